"""Observability under the mocks: pinned charts, retention, Grafana secret, logs and traces."""

from __future__ import annotations

import pulumi
import pytest
from support.incluster import fake_foundation, plan, validate_all

from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.recorder import SECRET_MASK
from marketplace_kit.platform import versions
from marketplace_kit.platform.observability import (
    Observability,
    ObservabilityArgs,
    TelemetrySettings,
)

RELEASE = "kubernetes:helm.sh/v3:Release"


def _graph(**config: object) -> ResourceGraph:
    def body() -> None:
        provider = fake_foundation("local").provider
        Observability(
            "observability",
            ObservabilityArgs(config=TelemetrySettings(**config),
                              values={"kube-prometheus-stack": {"grafana": {"enabled": True}}}),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return plan(body)


def _releases(graph: ResourceGraph) -> dict[str, dict[str, object]]:
    return {r.name: r.inputs for r in graph.of_type(RELEASE)}


@pytest.mark.parametrize(
    ("logs", "expected"),
    [
        ("efk", {"elasticsearch", "kibana", "fluent-bit"}),
        ("loki", {"loki", "fluent-bit"}),
        ("none", set()),
    ],
)
def test_log_stacks(logs: str, expected: set[str]) -> None:
    releases = _releases(_graph(logs=logs, traces=False))
    assert set(releases) == {"kube-prometheus-stack", *expected}


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
    assert graph.named("grafana-admin").inputs["stringData"] == SECRET_MASK
    assert "fake-password-" not in graph.to_json()


def test_traces_through_the_collector_into_jaeger() -> None:
    releases = _releases(_graph(traces=True, logs="none"))
    assert {"jaeger", "otel-collector"} <= set(releases)
    collector = releases["otel-collector"]["values"]
    exporter = collector["config"]["exporters"]["otlp/jaeger"]  # type: ignore[index]
    assert exporter["endpoint"].startswith("jaeger-collector.observability")
    assert collector["mode"] == "deployment"  # type: ignore[index]
    for name, chart in [("jaeger", versions.JAEGER), ("otel-collector", versions.OTEL_COLLECTOR)]:
        assert releases[name]["version"] == chart.version


def test_everything_waits_for_the_namespace_only() -> None:
    graph = _graph(logs="efk", traces=True)
    namespace = graph.named("observability-namespace")
    for release in graph.of_type(RELEASE):
        if release.name in ("kibana", "fluent-bit"):
            assert graph.named("elasticsearch").urn in release.dependencies
        else:
            assert namespace.urn in release.dependencies or graph.named(
                "grafana-admin").urn in release.dependencies
    assert validate_all(graph) == 2
