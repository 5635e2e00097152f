"""`marketplace-kit plan --config examples/marketplace/marketplace.yaml`: the platform plus the
five reference services, each with its topics, Kafka user and ACLs, route, HPA and database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketplace_kit.cli.app import app
from marketplace_kit.config import load_platform

CONFIG = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "marketplace.yaml"
NAMES = ("catalog", "notification", "order", "payment", "user")


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["plan", "--config", str(CONFIG), "--format", "json"])
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
    return found


def named(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Resources whose type ends with ``:kind``, by their Kubernetes name (or logical name)."""
    return {
        (r["inputs"].get("metadata") or {}).get("name", r["name"]): r["inputs"]
        for r in resources if r["type"].endswith(f":{kind}")
    }


def test_the_platform_and_the_five_services_are_planned(resources: list[dict[str, Any]]) -> None:
    types = {r["type"] for r in resources}
    for layer in ("Network", "Cluster", "ServiceMesh", "ApiGateway", "EventBus", "Datastores",
                  "Observability"):
        assert any(t.endswith(f":platform:{layer}") for t in types), layer
    services = [r for r in resources if r["type"].endswith(":platform:MarketplaceService")]
    assert sorted(r["name"] for r in services) == list(NAMES)
    assert set(named(resources, "Deployment")) >= set(NAMES)
    hpas = named(resources, "HorizontalPodAutoscaler")
    assert {spec["spec"]["scaleTargetRef"]["name"] for spec in hpas.values()} == set(NAMES)


def test_every_published_topic_and_each_services_acls(resources: list[dict[str, Any]]) -> None:
    platform = load_platform(CONFIG)
    topics = {spec["spec"].get("topicName", name) for name, spec in
              named(resources, "KafkaTopic").items()}
    assert set(platform.topics) <= topics
    assert set(platform.topics) == {"order-events", "payment-events", "product-events",
                                    "user-events"}
    users = named(resources, "KafkaUser")
    for service in platform.services:
        acls = users[service.name]["spec"]["authorization"]["acls"]
        grants = {(a["resource"]["type"], a["resource"]["name"], op)
                  for a in acls for op in a["operations"]}
        for topic in service.publishes:
            assert ("topic", topic, "Write") in grants, (service.name, topic)
        for topic in service.consumes:
            assert ("topic", topic, "Read") in grants, (service.name, topic)
            assert ("group", service.name, "Read") in grants
        readable = {name for kind, name, op in grants if kind == "topic" and op == "Read"}
        assert readable == set(service.consumes), service.name  # least privilege


def test_routes_and_databases_per_service(resources: list[dict[str, Any]]) -> None:
    routes = named(resources, "VirtualService")
    prefixes = {json.dumps(spec["spec"]["http"]) for spec in routes.values()}
    for name in NAMES:
        assert any(f'"/{name}' in p for p in prefixes), name
    secrets = named(resources, "Secret")
    assert {f"{n}-db" for n in NAMES} <= set(secrets)
    bootstrap = json.dumps(named(resources, "Job"))
    for name in NAMES:
        assert f"db={name}" in bootstrap


def test_the_gateway_serves_the_merged_api_document(resources: list[dict[str, Any]]) -> None:
    from openapi_spec_validator import validate

    site = named(resources, "ConfigMap")["api-docs-site"]["data"]
    document = json.loads(site["openapi.json"])
    validate(document)
    for name in NAMES:  # every service's routes, under its prefix
        assert any(path.startswith(f"/{name}/") for path in document["paths"]), name
    assert "/order/me/orders/{id_}/events" in document["paths"]
    assert {f"asyncapi-{name}.json" for name in NAMES} <= set(site)
    route = named(resources, "VirtualService")["api-docs"]["spec"]
    assert route["gateways"] == ["istio-ingress/marketplace"]
    # the platform checks tokens at the edge (user issues them): the documents stay open
    opened = named(resources, "AuthorizationPolicy")["api-docs-open"]["spec"]
    assert opened["rules"][0]["to"][0]["operation"]["paths"] == [
        "/openapi.json", "/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css",
        "/docs/swagger-init.js", "/asyncapi/*"]
    # Swagger UI from the cluster itself (compressed; no CDN)
    assets = named(resources, "ConfigMap")["api-docs-assets"]["binaryData"]
    assert set(assets) == {"swagger-ui-bundle.js.gz", "swagger-ui.css.gz"}
