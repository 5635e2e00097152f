"""Each blueprint plans the whole platform (foundation + in-cluster + the reference services);
dependency edges are explicit and minimal; every object validates; no secret leaks."""

from __future__ import annotations

import pytest
from support.incluster import depends_on, marketplace, validate_all

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK, masked_secret
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import istio_revision, istiod_release

STRIMZI = "kubernetes:kafka.strimzi.io/v1"

ISTIOD = istiod_release(istio_revision(versions.ISTIO))


@pytest.fixture(scope="module", params=["dev", "production", "local"])
def planned(request: pytest.FixtureRequest) -> tuple[str, ResourceGraph]:
    return request.param, plan_platform(marketplace(request.param))


def _direct(graph: ResourceGraph, resource: PlannedResource) -> set[str]:
    return {graph.get(u).name for u in resource.dependencies}


def test_every_object_validates(planned: tuple[str, ResourceGraph]) -> None:
    _, graph = planned
    assert validate_all(graph) > 60


def test_crds_before_their_custom_resources(planned: tuple[str, ResourceGraph]) -> None:
    _, graph = planned
    operator, base = graph.named("strimzi-kafka-operator"), graph.named("istio-base")
    assert graph.named("strimzi-crds").urn in operator.dependencies
    for kind in ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"):
        for r in graph.of_type(f"{STRIMZI}:{kind}"):
            assert depends_on(graph, r, operator), r.name
    for r in graph:
        if ".istio.io/" in r.type:
            assert depends_on(graph, r, base), r.name
    prometheus = graph.named("kube-prometheus-stack")
    monitoring = [r for r in graph if r.type.startswith("kubernetes:monitoring.coreos.com/")]
    kinds = sorted(r.type.rsplit(":", 1)[1] for r in monitoring)
    # Per service a ServiceMonitor and rules; istiod; the platform's rules; Kafka's PodMonitors.
    assert kinds == ["PodMonitor"] * 2 + ["PrometheusRule"] * 6 + ["ServiceMonitor"] * 6
    assert all(depends_on(graph, r, prometheus) for r in monitoring)


def test_workloads_after_the_mesh_and_their_secrets(planned: tuple[str, ResourceGraph]) -> None:
    _, graph = planned
    istiod = graph.named(ISTIOD)
    job = graph.named("db-bootstrap", "kubernetes:batch/v1:Job")
    for deployment in graph.of_type("kubernetes:apps/v1:Deployment"):
        assert depends_on(graph, deployment, istiod)
        assert depends_on(graph, deployment, job)
    order = graph.named("order-deployment")
    assert depends_on(graph, order, graph.named("kafka-user-order"))


def test_nothing_needlessly_serialized(planned: tuple[str, ResourceGraph]) -> None:
    _, graph = planned
    mesh = {"istio-base", ISTIOD, "istio-ingressgateway"}
    assert not _direct(graph, graph.named("kube-prometheus-stack")) & mesh
    assert not _direct(graph, graph.named("strimzi-kafka-operator")) & mesh
    assert not _direct(graph, graph.named("kafka")) & mesh
    assert _direct(graph, graph.named("istio-base")).isdisjoint({"kube-prometheus-stack",
                                                                  "strimzi-kafka-operator"})


def test_no_plaintext_secrets(planned: tuple[str, ResourceGraph]) -> None:
    _, graph = planned
    assert "fake-password-" not in graph.to_json()
    for secret in graph.of_type("kubernetes:core/v1:Secret"):
        assert masked_secret(secret.inputs.get("stringData", SECRET_MASK)), secret.name


def test_blueprint_shapes(planned: tuple[str, ResourceGraph]) -> None:
    blueprint, graph = planned
    topics = graph.of_type(f"{STRIMZI}:KafkaTopic")
    # user, product, order, payment events once each, plus the dead-letter topics of the
    # four consumed streams
    assert len(topics) == 4 + 4
    replicas = {t.inputs["spec"]["replicas"] for t in topics}
    pdbs = {r.name for r in graph.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    aws = [r for r in graph if r.type.startswith("aws:")]
    if blueprint == "production":
        assert replicas == {3} and "istio-ingressgateway-pdb" in pdbs
        (rds,) = graph.of_type("aws:rds/instance:Instance")
        assert rds.inputs["multiAz"] is True and rds.inputs["deletionProtection"] is True
        assert {r.name for r in graph.of_type("kubernetes:helm.sh/v3:Release")} >= {
            "opensearch", "opensearch-dashboards", "fluent-bit"}
    elif blueprint == "dev":
        assert replicas == {1} and "istio-ingressgateway-pdb" not in pdbs
        assert not graph.of_type("aws:docdb/cluster:Cluster")  # no service may ask for it
    else:
        assert replicas == {1} and not aws
        assert graph.named("postgres", "kubernetes:apps/v1:StatefulSet")
