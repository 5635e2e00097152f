"""Guardrails: clean on the blueprints, and each rule catches the break it exists for."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from support.estimate_graphs import PLATFORMS, blueprint, is_production, res
from typer.testing import CliRunner

from marketplace_kit.cli.app import app
from marketplace_kit.guardrails import RULES, run_checks
from marketplace_kit.plan import fakes
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK

LABELS = {"app.kubernetes.io/name": "orders"}


def _deployment() -> PlannedResource:
    container = {
        "name": "orders", "image": "registry.example/orders:1.0.0",
        "livenessProbe": {"httpGet": {"path": "/livez", "port": 8000}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8000}},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True},
    }
    return res("kubernetes:apps/v1:Deployment", "orders", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "orders", "namespace": "shop", "labels": LABELS},
        "spec": {"replicas": 2, "selector": {"matchLabels": LABELS},
                 "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [container]}}},
    })


def _pdb() -> PlannedResource:
    return res("kubernetes:policy/v1:PodDisruptionBudget", "orders-pdb", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "orders", "namespace": "shop"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": LABELS}},
    })


def _with(graph: ResourceGraph, *extra: PlannedResource) -> ResourceGraph:
    return ResourceGraph([*graph.resources, *extra])


def _broken(graph: ResourceGraph, type_: str, change: Callable[[dict[str, Any]], Any],
            name: str | None = None) -> ResourceGraph:
    """The graph with the first resource of a type (and name) changed in place of the original."""
    target = next(r for r in graph.of_type(type_) if name in (None, r.name))
    inputs = copy.deepcopy(target.inputs)
    change(inputs)
    changed = PlannedResource(target.urn, target.type, target.name, target.parent,
                              target.dependencies, target.provider, inputs, target.custom)
    return ResourceGraph([changed if r.urn == target.urn else r for r in graph])


def _container(inputs: dict[str, Any]) -> dict[str, Any]:
    return inputs["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def _good() -> ResourceGraph:
    return _with(blueprint("production"), _deployment(), _pdb())


@pytest.mark.parametrize("name", PLATFORMS)
def test_blueprints_are_clean(name: str) -> None:
    report = run_checks(blueprint(name), production=is_production(name))
    assert report.findings == []


def test_a_well_formed_service_is_clean() -> None:
    assert run_checks(_good(), production=True).findings == []


def _drop_lt(g: ResourceGraph) -> ResourceGraph:
    group = g.of_type("aws:eks/nodeGroup:NodeGroup")[0]
    kept = tuple(d for d in group.dependencies
                 if "launchTemplate" not in d)
    changed = PlannedResource(group.urn, group.type, group.name, group.parent, kept,
                              group.provider, group.inputs, group.custom)
    return ResourceGraph([changed if r.urn == group.urn else r for r in g])


def _public_subnet_nodes(g: ResourceGraph) -> ResourceGraph:
    public = next(s for s in g.of_type("aws:ec2/subnet:Subnet") if "public" in s.name)
    return _broken(g, "aws:eks/nodeGroup:NodeGroup",
                   lambda i: i.update(subnetIds=[fakes.fake_id(public.type, public.name)]))


def _set(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        target = inputs
        for step in path[:-1]:
            target = target.setdefault(step, {})
        target[path[-1]] = value
    return change


def _unencrypted_class(inputs: dict[str, Any]) -> None:
    storage = inputs["spec"]["storage"]
    for volume in storage.get("volumes", [storage]):
        volume["class"] = "gp2"  # not a class of the plan: encryption unknown


LB_SERVICE = res("kubernetes:core/v1:Service", "admin", {
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "admin", "namespace": "shop"},
    "spec": {"type": "LoadBalancer", "selector": LABELS, "ports": [{"port": 80}]},
})

BREAKS: dict[str, Callable[[], ResourceGraph]] = {
    "pods-fit": lambda: _broken(  # the on-demand group at 0 nodes: the spot pair is too small
        _good(), "aws:eks/nodeGroup:NodeGroup", _set(["scalingConfig", "desiredSize"], 0)),
    "kubernetes-support": lambda: _broken(  # 1.33 left standard support on 2026-07-29
        _good(), "aws:eks/cluster:Cluster", _set(["version"], "1.33")),
    "encryption-eks-secrets": lambda: _broken(
        _good(), "aws:eks/cluster:Cluster", lambda i: i.pop("encryptionConfig")),
    "encryption-database": lambda: _broken(
        _good(), "aws:rds/instance:Instance", _set(["storageEncrypted"], False)),
    "encryption-ebs": lambda: _drop_lt(_good()),
    "encryption-kafka-volumes": lambda: _broken(
        _good(), "kubernetes:kafka.strimzi.io/v1:KafkaNodePool", _unencrypted_class,
        name="kafka-pool-broker"),
    "public-database": lambda: _broken(
        _good(), "aws:rds/instance:Instance", _set(["publiclyAccessible"], True)),
    "public-exposure": lambda: _with(_good(), LB_SERVICE),
    "public-eks-endpoint": lambda: _broken(
        _good(), "aws:eks/cluster:Cluster",
        lambda i: i["vpcConfig"].update(endpointPublicAccess=True,
                                        publicAccessCidrs=["0.0.0.0/0"])),
    "private-subnets": lambda: _public_subnet_nodes(_good()),
    "deployment-probes": lambda: _broken(
        _good(), "kubernetes:apps/v1:Deployment", lambda i: _container(i).pop("readinessProbe")),
    "deployment-resources": lambda: _broken(
        _good(), "kubernetes:apps/v1:Deployment",
        lambda i: _container(i)["resources"].pop("limits")),
    "deployment-security": lambda: _broken(
        _good(), "kubernetes:apps/v1:Deployment",
        lambda i: _container(i)["securityContext"].update(readOnlyRootFilesystem=False)),
    "deployment-pdb": lambda: _with(blueprint("production"), _deployment()),
    "mesh-strict-mtls": lambda: _broken(
        _good(), "kubernetes:security.istio.io/v1:PeerAuthentication",
        _set(["spec", "mtls", "mode"], "PERMISSIVE")),
    "pinned-images": lambda: _broken(
        _good(), "kubernetes:apps/v1:Deployment",
        lambda i: _container(i).update(image="registry.example/orders:latest")),
    "pinned-charts": lambda: _broken(
        _good(), "kubernetes:helm.sh/v3:Release", lambda i: i.pop("version"), name="istio-base"),
    "topic-durability": lambda: _broken(
        _good(), "kubernetes:kafka.strimzi.io/v1:Kafka",
        _set(["spec", "kafka", "config", "min.insync.replicas"], 1)),
    "plaintext-secret": lambda: _broken(
        _good(), "aws:rds/instance:Instance", _set(["password"], "hunter2")),
    "schema": lambda: _broken(
        _good(), "kubernetes:apps/v1:Deployment", lambda i: _container(i).update(imagePull="x")),
}


def test_every_rule_has_a_break() -> None:
    assert sorted(BREAKS) == sorted(rule.id for rule in RULES)


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_rule_catches_its_break(rule: str) -> None:
    findings = run_checks(BREAKS[rule](), production=True).findings
    assert findings, rule
    assert {f.rule for f in findings} == {rule}, [f.message for f in findings]
    assert all(f.fix and f.resource for f in findings)


def test_topic_durability_is_a_production_rule() -> None:
    assert run_checks(BREAKS["topic-durability"](), production=False).findings == []


def test_schema_covers_istio_and_strimzi_kinds() -> None:
    istio = _broken(_good(), "kubernetes:security.istio.io/v1:PeerAuthentication",
                    _set(["spec", "mtlsMode"], "STRICT"))
    strimzi = _broken(_good(), "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
                      _set(["spec", "replica"], 3), name="kafka-pool-broker")
    for graph in (istio, strimzi):
        assert [f.rule for f in run_checks(graph).findings] == ["schema"]


def test_masked_and_referenced_secrets_are_not_findings() -> None:
    graph = ResourceGraph([
        res("aws:rds/instance:Instance", "db", {"password": SECRET_MASK, "storageEncrypted": True}),
        res("kubernetes:helm.sh/v3:Release", "grafana", {"version": "1.0.0", "values": {
            "admin": {"existingSecret": "grafana-admin", "passwordKey": "password"}}}),
    ])
    assert run_checks(graph).findings == []


def test_cli_check_exit_codes_and_json(tmp_path: Any) -> None:
    runner = CliRunner()
    clean = runner.invoke(app, ["check"])
    assert clean.exit_code == 0, clean.output
    assert "no violations" in clean.output
    bad = tmp_path / "marketplace.yaml"
    bad.write_text("blueprint: production\nname: shop\n")
    (tmp_path / "services").mkdir()
    result = runner.invoke(app, ["check", "--config", str(bad), "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == (1 if data["findings"] else 0)
    assert set(data["rules"]) == {rule.id for rule in RULES}


def _policy_resources(graph: ResourceGraph, secret: tuple[str, str] | None = None) -> list[Any]:
    """The graph as the policy engine hands it over (parents, dependencies, providers linked)."""
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
    )
    from pulumi_policy.secret import Secret, secrets_preserving_proxy

    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    made: dict[str, PolicyResource] = {}
    for r in graph:  # sorted by URN; parents and dependencies linked after
        props = copy.deepcopy(r.inputs)
        if secret and r.name == secret[0]:
            props[secret[1]] = Secret(props[secret[1]])
        provider = None
        if r.custom and not r.type.startswith("pulumi:providers:"):
            provider = PolicyProviderResource("pulumi:providers:x", {}, r.provider or "p", "p")
        made[r.urn] = PolicyResource(r.type, secrets_preserving_proxy(props), r.urn, r.name,
                                     opts, provider, None, [], {})
    for r in graph:
        made[r.urn].parent = made.get(r.parent or "")
        made[r.urn].dependencies = [made[d] for d in r.dependencies if d in made]
    return list(made.values())


def test_policy_pack_runs_the_same_rules() -> None:
    from pulumi_policy import StackValidationArgs

    from marketplace_kit.guardrails.policy_pack import graph_of, policies

    graph = BREAKS["public-exposure"]()
    args = StackValidationArgs(_policy_resources(graph), config={"production": True})
    adapted = graph_of(args)
    def shape(g: ResourceGraph) -> list[tuple[Any, ...]]:
        return [(r.urn, r.type, r.name, r.parent, r.dependencies, r.inputs, r.custom) for r in g]

    assert shape(adapted) == shape(graph)
    violations: list[tuple[str, str | None]] = []
    for policy in policies():
        policy.validate(args, lambda message, urn=None: violations.append((message, urn)))
    expected = run_checks(graph, production=True).findings
    assert [(f"{f.resource}: {f.message}; fix: {f.fix}", f.urn) for f in expected] == violations
    assert [p.name for p in policies()] == [rule.id for rule in RULES]


def test_policy_adapter_masks_secrets() -> None:
    from pulumi_policy import StackValidationArgs

    from marketplace_kit.guardrails.policy_pack import graph_of

    graph = BREAKS["plaintext-secret"]()
    rds = graph.of_type("aws:rds/instance:Instance")[0]
    args = StackValidationArgs(_policy_resources(graph, (rds.name, "password")))
    adapted = graph_of(args)
    assert adapted.get(rds.urn).inputs["password"] == SECRET_MASK
    assert run_checks(adapted).findings == []


def test_real_services_pass_and_show_in_the_diagram(tmp_path: Any) -> None:
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import load_platform
    from marketplace_kit.estimate.diagram import build

    (tmp_path / "marketplace.yaml").write_text("name: shop\nblueprint: production\n")
    for port, (name, key) in enumerate((("orders", "publishes"), ("billing", "consumes"))):
        (tmp_path / "services" / name).mkdir(parents=True)
        (tmp_path / "services" / name / "service.yaml").write_text(
            f"name: {name}\n{key}: [order-events]\n"
            f"image: registry.example/{name}@sha256:{'ab' * 32}\n"
            f"port: {8000 + port}\n"
        )
    platform = load_platform(tmp_path / "marketplace.yaml")
    graph = plan_platform(platform)
    assert graph.of_type("kubernetes:apps/v1:Deployment")
    assert run_checks(graph, production=True).findings == []
    text = build(graph, platform.services).to_mermaid()
    assert 'svc_orders -->|"publishes"| topic_order_events' in text
    assert 'topic_order_events -->|"consumes"| svc_billing' in text


def test_secret_references_are_not_plaintext_but_a_literal_still_is() -> None:
    from marketplace_kit.guardrails.secrets import plaintext_paths

    names = frozenset({"opensearch-admin"})
    refs = {"opensearchAccount": {"secret": "opensearch-admin"},
            "auth": {"basic": {"password": "${env:OPENSEARCH_PASSWORD}"}},
            "fluent": {"HTTP_Passwd": "${OPENSEARCH_PASSWORD}"}}
    assert list(plaintext_paths(refs, secret_names=names)) == []
    literal = {"opensearchAccount": {"secret": "other"},
               "auth": {"basic": {"password": "${env:X} and more"}}}
    assert sorted(plaintext_paths(literal, secret_names=names)) == [
        "auth.basic.password", "opensearchAccount.secret"]


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every object the schema rule validates (its kind), counted through ``schema.problem``."""
    from marketplace_kit.guardrails import schema

    seen: list[str] = []
    real = schema.problem

    def counted(m: Any) -> str | None:
        seen.append(m.kind)
        return real(m)

    monkeypatch.setattr(schema, "problem", counted)
    return seen


RULES_BY_ID = {rule.id: rule for rule in RULES}


def _schema_report(graph: ResourceGraph, cache: Any) -> dict[str, Any]:
    return run_checks(graph, production=True, rules=[RULES_BY_ID["schema"]],
                      schema_cache=cache).to_dict()


def test_schema_verdicts_are_cached_and_a_changed_object_is_validated_again(
        validated: list[str], tmp_path: Any) -> None:
    cache = tmp_path / "schemas"
    good, broken = _good(), BREAKS["schema"]()
    fresh = _schema_report(good, None)
    first = len(validated)
    assert first > 0
    assert _schema_report(good, cache) == fresh and len(validated) == 2 * first  # validated, kept
    assert _schema_report(good, cache) == fresh and len(validated) == 2 * first  # read back
    report = _schema_report(broken, cache)  # one object changed: validated again, found
    assert len(validated) == 3 * first
    assert [f["rule"] for f in report["findings"]] == ["schema"]
    assert _schema_report(broken, cache) == report and len(validated) == 3 * first
    assert _schema_report(broken, None) == report  # the cached verdicts are the fresh ones


def test_schema_verdicts_are_validated_again_for_another_validator_or_kit(
        validated: list[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketplace_kit.guardrails import schema_cache

    cache, good = tmp_path / "schemas", _good()
    _schema_report(good, cache)
    count = len(validated)
    versions = {**schema_cache.dependency_versions(), "kubernetes-validate": "0.0.1"}
    monkeypatch.setattr(schema_cache, "dependency_versions", lambda: versions)
    _schema_report(good, cache)
    assert len(validated) == 2 * count
    monkeypatch.setattr(schema_cache, "kit_digest", lambda: "another kit source")
    _schema_report(good, cache)
    assert len(validated) == 3 * count


def test_a_corrupt_schema_verdict_entry_is_validated_again(
        validated: list[str], tmp_path: Any) -> None:
    cache, good = tmp_path / "schemas", _good()
    fresh = _schema_report(good, cache)
    count = len(validated)
    for entry in cache.glob("*.json"):
        data = json.loads(entry.read_text())
        data["data"] = data["data"][1:]  # one verdict short: not these objects' verdicts
        entry.write_text(json.dumps(data))
    assert _schema_report(good, cache) == fresh
    assert len(validated) == 2 * count
    assert _schema_report(good, cache) == fresh and len(validated) == 2 * count  # rewritten


def test_cli_check_keeps_schema_verdicts_unless_no_cache(validated: list[str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["check", "--no-cache"]).exit_code == 0
    count = len(validated)
    assert runner.invoke(app, ["check", "--no-cache"]).exit_code == 0
    assert len(validated) == 2 * count  # --no-cache: validated each time
    assert runner.invoke(app, ["check"]).exit_code == 0
    assert runner.invoke(app, ["check"]).exit_code == 0
    assert len(validated) == 3 * count  # validated once, then read back
