"""Zero trust between services, proved on the rendered policy set of the reference marketplace.

``allowed`` evaluates Istio's AuthorizationPolicy semantics (a workload selected by an ALLOW
policy admits only what one of its rules matches; DENY wins) and ``admitted`` Kubernetes'
NetworkPolicy ingress semantics (a selected pod admits only what one rule matches), both over
the objects the plan renders. Every Istio object is validated with the cloudcoil models.
"""

from __future__ import annotations

import fnmatch
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.incluster import validate

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import load_platform
from marketplace_kit.errors import ConfigError
from marketplace_kit.render import manifests

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "marketplace" / "marketplace.yaml"
NS = "marketplace"
GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
ROUTES = {"user": ("/user", 8001), "catalog": ("/catalog", 8002), "order": ("/order", 8003),
          "payment": ("/payment", 8004), "notification": ("/notification", 8005)}


def identity(service: str) -> str:
    return f"cluster.local/ns/{NS}/sa/{service}"


@cache
def rendered(config: Path = CONFIG) -> tuple[dict[str, Any], ...]:
    return tuple(m.object for m in manifests(plan_platform(load_platform(config))))


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def _matches(values: list[str] | None, value: str) -> bool:
    return values is None or any(fnmatch.fnmatchcase(value, v) for v in values)


def _rule_matches(rule: dict[str, Any], principal: str | None, port: int, path: str,
                  method: str) -> bool:
    sources = [f["source"] for f in rule.get("from", [])]
    if sources and not any(principal is not None and _matches(s.get("principals"), principal)
                           for s in sources):
        return False
    operations = [t["operation"] for t in rule.get("to", [])]
    return not operations or any(
        _matches(o.get("ports"), str(port)) and _matches(o.get("paths"), path)
        and _matches(o.get("methods"), method) for o in operations)


def allowed(objects: tuple[dict[str, Any], ...], workload: str, principal: str | None,
            port: int, path: str = "/", method: str = "GET") -> bool:
    """Istio's decision for a request to ``workload`` (namespace NS) from ``principal``."""
    applying = [p for p in of_kind(objects, "AuthorizationPolicy")
                if p["metadata"]["namespace"] == NS
                and (p["spec"].get("selector") or {}).get("matchLabels", {}).items()
                <= {"app.kubernetes.io/name": workload}.items()]
    by_action: dict[str, list[dict[str, Any]]] = {}
    for policy in applying:
        by_action.setdefault(policy["spec"].get("action", "ALLOW"), []).append(policy)
    hit = {action: any(_rule_matches(r, principal, port, path, method)
                       for p in policies for r in p["spec"].get("rules", []))
           for action, policies in by_action.items()}
    if hit.get("DENY"):
        return False
    return "ALLOW" not in by_action or hit["ALLOW"]


def admitted(objects: tuple[dict[str, Any], ...], workload: str, namespace: str,
             labels: dict[str, str], port: int) -> bool:
    """Kubernetes' NetworkPolicy decision for TCP to ``workload``'s pods from a pod."""
    selecting = [p["spec"] for p in of_kind(objects, "NetworkPolicy")
                 if p["metadata"]["namespace"] == NS
                 and p["spec"]["podSelector"]["matchLabels"].items()
                 <= {"app.kubernetes.io/name": workload}.items()
                 and "Ingress" in p["spec"]["policyTypes"]]
    if not selecting:
        return True

    def peer_ok(peer: dict[str, Any]) -> bool:
        ns_sel = (peer.get("namespaceSelector") or {}).get("matchLabels")
        pod_sel = (peer.get("podSelector") or {}).get("matchLabels")
        in_ns = (ns_sel.items() <= {"kubernetes.io/metadata.name": namespace}.items()
                 if ns_sel is not None else namespace == NS)
        return in_ns and (pod_sel is None or pod_sel.items() <= labels.items())

    return any(any(peer_ok(peer) for peer in rule.get("from", []))
               and any(p["port"] == port for p in rule.get("ports", []))
               for spec in selecting for rule in spec.get("ingress", []))


def test_every_service_has_one_authorization_and_one_network_policy() -> None:
    objects = rendered()
    for kind in ("AuthorizationPolicy", "NetworkPolicy"):
        selected = sorted(o["spec"]["selector" if kind == "AuthorizationPolicy"
                                    else "podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                          for o in of_kind(objects, kind) if o["metadata"]["namespace"] == NS
                          and o["metadata"]["labels"]["app.kubernetes.io/component"] == "service")
        assert selected == sorted(ROUTES), kind
    for policy in of_kind(objects, "AuthorizationPolicy"):
        validate(policy)  # cloudcoil's Istio models: every field known
    for policy in of_kind(objects, "NetworkPolicy"):
        validate(policy)  # the Kubernetes schema, strictly


@pytest.mark.parametrize("service", sorted(ROUTES))
def test_the_gateway_reaches_each_service_on_its_route_only(service: str) -> None:
    objects = rendered()
    prefix, port = ROUTES[service]
    assert allowed(objects, service, GATEWAY, port, f"{prefix}/items", "POST")
    assert not allowed(objects, service, GATEWAY, port, "/admin")
    assert admitted(objects, service, "istio-ingress", {"app": "istio-ingressgateway"}, port)
    assert not admitted(objects, service, "default", {}, port)
    # Prometheus (no sidecar, no identity) scrapes the merged metrics port, nothing else.
    assert allowed(objects, service, None, 15020, "/stats/prometheus")
    assert not allowed(objects, service, None, port, f"{prefix}/items")
    assert admitted(objects, service, "observability", {}, 15020)


def test_an_undeclared_caller_is_denied() -> None:
    objects = rendered()
    # No service declares `calls: [payment]`: order may not call payment, in either wall.
    assert not allowed(objects, "payment", identity("order"), 8004, "/payment/payments", "POST")
    assert not admitted(objects, "payment", NS, {"app.kubernetes.io/name": "order"}, 8004)
    # Token verifiers reach the issuer's JWK Set and discovery document, and nothing else there.
    assert allowed(objects, "user", identity("catalog"), 8001, "/user/.well-known/jwks.json")
    assert not allowed(objects, "user", identity("catalog"), 8001, "/user/profiles")


def test_a_declared_caller_is_admitted(tmp_path: Path) -> None:
    platform = tmp_path / "marketplace"
    shutil.copytree(CONFIG.parent, platform,
                    ignore=shutil.ignore_patterns("tests", "docs", ".*"))
    order = platform / "services" / "order" / "service.yaml"
    data = yaml.safe_load(order.read_text())
    order.write_text(yaml.safe_dump({**data, "calls": ["payment"]}))
    objects = rendered(platform / "marketplace.yaml")
    assert allowed(objects, "payment", identity("order"), 8004, "/payment/payments", "POST")
    assert admitted(objects, "payment", NS, {"app.kubernetes.io/name": "order"}, 8004)
    assert not allowed(objects, "payment", identity("catalog"), 8004, "/payment/payments")
    (egress,) = [p["spec"]["egress"] for p in of_kind(objects, "NetworkPolicy")
                 if p["metadata"]["name"] == "order"]
    assert {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "payment"}}}],
            "ports": [{"protocol": "TCP", "port": 8004}]} in egress


def test_egress_is_dns_mesh_kafka_database_collector() -> None:
    (spec,) = [p["spec"] for p in of_kind(rendered(), "NetworkPolicy")
               if p["metadata"]["name"] == "order"]
    ports = sorted(p["port"] for rule in spec["egress"] for p in rule["ports"])
    assert ports == sorted([53, 53, 15012, 15017, 9093, 5432, 4318, 8001])  # 8001: the JWKS


def test_calls_must_name_another_service(tmp_path: Path) -> None:
    platform = tmp_path / "marketplace"
    shutil.copytree(CONFIG.parent, platform,
                    ignore=shutil.ignore_patterns("tests", "docs", ".*"))
    order = platform / "services" / "order" / "service.yaml"
    order.write_text(yaml.safe_dump({**yaml.safe_load(order.read_text()), "calls": ["ghost"]}))
    with pytest.raises(ConfigError, match=r"calls: 'ghost' is not another service.*; fix: "):
        load_platform(platform / "marketplace.yaml")
