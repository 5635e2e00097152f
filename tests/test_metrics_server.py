"""metrics-server: one add-on file, one blueprint line, this test."""

from __future__ import annotations

import pytest
from support.incluster import plan
from support.plans import full_plan

from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import versions
from marketplace_kit.platform.metrics_server import MetricsServer, MetricsServerArgs

RELEASE = "kubernetes:helm.sh/v3:Release"


def _release(graph: ResourceGraph) -> dict[str, object]:
    return graph.named("metrics-server", RELEASE).inputs


@pytest.mark.parametrize(("replicas", "local"), [(1, True), (2, False)])
def test_values_pin_requests_pdb_and_local_tls(replicas: int, local: bool) -> None:
    def body() -> None:
        MetricsServer("metrics-server", MetricsServerArgs(replicas=replicas,
                                                          insecure_kubelet_tls=local))

    inputs = _release(plan(body))
    assert (inputs["chart"], inputs["version"]) == ("metrics-server",
                                                    versions.METRICS_SERVER.version)
    assert inputs["namespace"] == "kube-system"
    values = inputs["values"]
    assert values["replicas"] == replicas
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "200Mi"}}
    assert values["podDisruptionBudget"]["enabled"] is (replicas >= 2)
    assert ("--kubelet-insecure-tls" in values.get("args", [])) is local


@pytest.mark.parametrize("blueprint", ["dev", "production", "local"])
def test_every_blueprint_serves_the_metrics_api(blueprint: str) -> None:
    graph = full_plan(blueprint)
    release = graph.named("metrics-server", RELEASE)
    assert release.inputs["values"]["replicas"] == (2 if blueprint == "production" else 1)
    if blueprint != "local":
        groups = {g.urn for g in graph.of_type("aws:eks/nodeGroup:NodeGroup")}
        assert groups <= set(release.dependencies)


def test_it_is_registered_and_drawn_with_the_cluster() -> None:
    from marketplace_kit.platform import registry

    assert registry.by_component("MetricsServer") is not None
    assert registry.groups()["MetricsServer"] == "cluster"
