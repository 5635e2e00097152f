"""Observability under the mocks: pinned charts, retention, Grafana secret, logs and traces."""

from __future__ import annotations

import pulumi
import pytest
from support.incluster import fake_foundation, plan, validate_all

from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK, masked_secret
from marketplace_kit.platform import versions
from marketplace_kit.platform.observability import (
    Observability,
    ObservabilityArgs,
    TelemetrySettings,
)

RELEASE = "kubernetes:helm.sh/v3:Release"


def _graph(replicas: int = 1, **config: object) -> ResourceGraph:
    def body() -> None:
        provider = fake_foundation("local").provider
        Observability(
            "observability",
            ObservabilityArgs(config=TelemetrySettings(**config), replicas=replicas,
                              values={"kube-prometheus-stack": {"grafana": {"enabled": True}}}),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return plan(body)


def _releases(graph: ResourceGraph) -> dict[str, dict[str, object]]:
    return {r.name: r.inputs for r in graph.of_type(RELEASE)}


@pytest.mark.parametrize(
    ("logs", "expected"),
    [
        ("opensearch", {"opensearch", "opensearch-dashboards", "fluent-bit"}),
        ("loki", {"loki", "fluent-bit"}),
        ("none", set()),
    ],
)
def test_log_stacks(logs: str, expected: set[str]) -> None:
    releases = _releases(_graph(logs=logs, traces=False))
    assert set(releases) == {"prometheus-operator-crds", "kube-prometheus-stack", *expected}


def test_metrics_retention_and_grafana_admin_from_a_secret() -> None:
    graph = _graph(metrics_retention_days=30)
    prom = _releases(graph)["kube-prometheus-stack"]
    assert prom["version"] == versions.KUBE_PROMETHEUS_STACK.version
    values = prom["values"]
    assert values["prometheus"]["prometheusSpec"]["retention"] == "30d"  # type: ignore[index]
    grafana = values["grafana"]  # type: ignore[index]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert grafana["enabled"] is True  # user values merged over the defaults
    assert grafana["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    assert graph.named("grafana-admin").inputs["stringData"] == {
        "admin-user": SECRET_MASK, "admin-password": SECRET_MASK}
    assert "fake-password-" not in graph.to_json()


def test_traces_through_the_collector_into_jaeger_v2_in_memory_without_opensearch() -> None:
    releases = _releases(_graph(traces=True, logs="none"))
    assert {"jaeger", "otel-collector"} <= set(releases)
    collector = releases["otel-collector"]["values"]
    exporter = collector["config"]["exporters"]["otlp/jaeger"]  # type: ignore[index]
    # The jaeger chart names its Deployment and Service after the release (chart name = release).
    assert exporter["endpoint"] == "jaeger.observability.svc.cluster.local:4317"
    assert collector["mode"] == "deployment"  # type: ignore[index]
    for name, chart in [("jaeger", versions.JAEGER), ("otel-collector", versions.OTEL_COLLECTOR)]:
        assert releases[name]["version"] == chart.version
    assert versions.JAEGER.version.split(".")[0] == "4"  # the charts that deploy Jaeger v2
    config = releases["jaeger"]["values"]["userconfig"]  # type: ignore[index]
    assert config["extensions"]["jaeger_storage"]["backends"] == {
        "traces": {"memory": {"max_traces": 50000}}}
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "0.0.0.0:4317"
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["exporters"] == ["jaeger_storage_exporter"]
    assert config["exporters"]["jaeger_storage_exporter"]["trace_storage"] == "traces"
    assert config["extensions"]["jaeger_query"]["storage"]["traces"] == "traces"


def test_opensearch_holds_logs_and_traces_with_one_generated_admin_password() -> None:
    graph = _graph(logs="opensearch", traces=True)
    releases = _releases(graph)
    assert releases["opensearch"]["version"] == versions.OPENSEARCH.version
    assert releases["opensearch-dashboards"]["version"] == versions.OPENSEARCH_DASHBOARDS.version
    store = releases["opensearch"]["values"]
    assert store["singleNode"] is True and store["replicas"] == 1  # type: ignore[index]
    assert store["persistence"]["size"] == "30Gi"  # type: ignore[index]
    secret = graph.named("opensearch-admin")
    assert masked_secret(secret.inputs["stringData"])
    ref = {"secretKeyRef": {"name": "opensearch-admin", "key": "password"}}
    assert store["extraEnvs"] == [  # type: ignore[index]
        {"name": "OPENSEARCH_INITIAL_ADMIN_PASSWORD", "valueFrom": ref}]
    dashboards = releases["opensearch-dashboards"]["values"]
    assert dashboards == {"opensearchHosts": "https://opensearch-cluster-master:9200",
                          "opensearchAccount": {"secret": "opensearch-admin"}}
    fluent = releases["fluent-bit"]["values"]
    assert "Name opensearch" in fluent["config"]["outputs"]  # type: ignore[index]
    assert "Host opensearch-cluster-master" in fluent["config"]["outputs"]  # type: ignore[index]
    assert fluent["env"] == [{"name": "OPENSEARCH_PASSWORD", "valueFrom": ref}]  # type: ignore[index]
    jaeger = releases["jaeger"]["values"]
    backend = jaeger["userconfig"]["extensions"]["jaeger_storage"][  # type: ignore[index]
        "backends"]["traces"]["opensearch"]
    assert backend["server_urls"] == ["https://opensearch-cluster-master:9200"]
    assert backend["auth"]["basic"]["password"] == "${env:OPENSEARCH_PASSWORD}"
    assert backend["indices"]["spans"]["replicas"] == 0  # one node: no replica to place
    assert jaeger["jaeger"]["extraEnv"] == [  # type: ignore[index]
        {"name": "OPENSEARCH_PASSWORD", "valueFrom": ref}]
    three = _releases(_graph(logs="opensearch", traces=True, replicas=3))
    assert three["opensearch"]["values"]["singleNode"] is False  # type: ignore[index]
    assert three["opensearch"]["values"]["replicas"] == 3  # type: ignore[index]


def test_everything_waits_for_the_namespace_or_the_store() -> None:
    graph = _graph(logs="opensearch", traces=True)
    namespace = graph.named("observability-namespace")
    store = graph.named("opensearch", RELEASE)
    assert graph.named("opensearch-admin").urn in store.dependencies
    for release in graph.of_type(RELEASE):
        if release.name in ("opensearch-dashboards", "fluent-bit", "jaeger"):
            assert store.urn in release.dependencies
        else:
            assert namespace.urn in release.dependencies
    assert validate_all(graph) == 3


def test_the_retired_elastic_option_is_refused_with_its_replacement() -> None:
    from pathlib import Path

    from marketplace_kit.config import parse_platform
    from marketplace_kit.errors import KitError

    with pytest.raises(KitError) as caught:
        parse_platform({"blueprint": "dev", "observability": {"logs": "efk"}}, Path("m.yaml"))
    message = str(caught.value)
    assert "observability.logs" in message and "use opensearch" in message
    assert "\n" not in message
    ok = parse_platform({"blueprint": "production"}, Path("m.yaml"))
    assert ok.observability.logs == "opensearch"
