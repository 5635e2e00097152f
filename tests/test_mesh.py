"""ServiceMesh under the mocks: pinned charts, ordering, istiod by revision (a canary beside the
old, an in-place one as an earlier kit's), STRICT mTLS, tracing, gateway PDB."""

from __future__ import annotations

import pulumi
import pytest
from support.incluster import depends_on, fake_foundation, plan, validate_all

from marketplace_kit.errors import ConfigError
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh import ServiceMesh, ServiceMeshArgs
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    chart_revision,
    injected_revision,
    injection_labels,
    istio_revision,
    istiod_release,
    release_revision,
    revision_version,
    sidecar_annotations,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
PINNED = istio_revision(versions.ISTIO)
ISTIOD = f"istiod-{PINNED}"


def _mesh(**kwargs: object) -> ResourceGraph:
    def body() -> None:
        provider = fake_foundation("local").provider
        args = ServiceMeshArgs(workload_namespace="shop", **kwargs)  # type: ignore[arg-type]
        ServiceMesh("mesh", args, pulumi.ResourceOptions(providers=[provider]))

    return plan(body)


def test_charts_are_pinned_and_ordered() -> None:
    graph = _mesh(tracing_host="otel.observability.svc.cluster.local")
    releases = {r.name: r for r in graph.of_type(RELEASE)}
    assert set(releases) == {"istio-base", ISTIOD, "istio-ingressgateway"}
    for release, chart in [("istio-base", versions.ISTIO_BASE), (ISTIOD, versions.ISTIOD),
                           ("istio-ingressgateway", versions.ISTIO_GATEWAY)]:
        inputs = releases[release].inputs
        assert inputs["chart"] == chart.name and inputs["version"] == versions.ISTIO
        assert inputs["repositoryOpts"] == {"repo": chart.repository}
        assert inputs["name"] == release  # fixed release names, no random suffix
    assert releases["istio-base"].urn in releases[ISTIOD].dependencies
    assert releases[ISTIOD].urn in releases["istio-ingressgateway"].dependencies
    assert validate_all(graph) >= 4
    # istiod's chart reads top-level values (autoscaleMin); images from the hub 1.31+ uses.
    istiod = releases[ISTIOD].inputs["values"]
    assert istiod["autoscaleMin"] == 1 and "pilot" not in istiod
    assert istiod["global"]["hub"] == versions.ISTIO_HUB == "docker.io/istio"
    assert all(c.repository == "https://blob.istio.io/istio-release/charts"
               for c in (versions.ISTIO_BASE, versions.ISTIOD, versions.ISTIO_GATEWAY))


def test_strict_mtls_and_injection() -> None:
    graph = _mesh()
    peer = graph.named("mesh-mtls-strict")
    assert peer.type == "kubernetes:security.istio.io/v1:PeerAuthentication"
    assert peer.inputs["metadata"]["namespace"] == "istio-system"
    assert peer.inputs["spec"] == {"mtls": {"mode": "STRICT"}}
    assert depends_on(graph, peer, graph.named("istio-base"))
    namespace = graph.named("workload-namespace").inputs["metadata"]
    assert namespace["name"] == "shop"
    assert namespace["labels"]["istio.io/rev"] == PINNED
    assert "istio-injection" not in namespace["labels"]
    assert namespace["labels"]["app.kubernetes.io/part-of"] == "marketplace"


def test_tracing_goes_to_the_collector() -> None:
    host = "otel.observability.svc.cluster.local"
    graph = _mesh(tracing_host=host)
    telemetry = graph.named("mesh-tracing")
    assert telemetry.inputs["spec"]["tracing"][0]["providers"] == [{"name": "otel"}]
    assert depends_on(graph, telemetry, graph.named("istio-base"))
    mesh_config = graph.named(ISTIOD).inputs["values"]["meshConfig"]
    assert mesh_config["extensionProviders"] == [
        {"name": "otel", "opentelemetry": {"service": host, "port": 4318,
                                           "http": {"path": "/v1/traces", "timeout": "5s"}}}
    ]  # OTLP/HTTP, the protocol and port of the container contract and the collector
    assert not [r for r in _mesh() if r.name == "mesh-tracing"]


def test_gateway_replicas_and_pdb() -> None:
    single = _mesh(gateway_replicas=1)
    assert not single.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    assert single.named("istio-ingressgateway").inputs["values"]["replicaCount"] == 1
    double = _mesh(gateway_replicas=2)
    values = double.named("istio-ingressgateway").inputs["values"]
    assert values["replicaCount"] == 2 and values["autoscaling"]["minReplicas"] == 2
    (pdb,) = double.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.inputs["spec"] == {"minAvailable": 1,
                                  "selector": {"matchLabels": {"istio": "ingressgateway"}}}
    validate_all(double)


def test_user_values_deep_merge_over_defaults() -> None:
    user = {"meshConfig": {"accessLogFile": "/dev/stdout"}}
    graph = _mesh(tracing_host="otel", istiod_values=user)
    mesh_config = graph.named(ISTIOD).inputs["values"]["meshConfig"]
    assert mesh_config["accessLogFile"] == "/dev/stdout"
    assert mesh_config["enableTracing"] is True  # the default survives the merge


def test_gateway_is_a_network_load_balancer_on_aws_only() -> None:
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform

    def annotations(blueprint: str) -> dict[str, str]:
        graph = plan_platform(default_platform(blueprint))
        gateway = graph.named("istio-ingressgateway", "kubernetes:helm.sh/v3:Release")
        return dict(gateway.inputs["values"]["service"]["annotations"])

    assert annotations("dev")["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    scheme = annotations("dev")["service.beta.kubernetes.io/aws-load-balancer-scheme"]
    assert scheme == "internet-facing"  # stated, not a controller's default
    assert annotations("local") == {}


def test_gateway_publishes_http_and_https_but_not_the_status_port() -> None:
    values = _mesh().named("istio-ingressgateway").inputs["values"]
    ports = {p["name"]: p["port"] for p in values["service"]["ports"]}
    assert ports == {"http2": 80, "https": 443}
    assert 15021 not in {p["port"] for p in values["service"]["ports"]}


def _revisions(graph: ResourceGraph) -> dict[str, tuple[str, str | None]]:
    """istiod release name -> (chart version, ``revision`` value)."""
    return {r.name: (r.inputs["version"], r.inputs["values"].get("revision"))
            for r in graph.of_type(RELEASE) if r.inputs["chart"] == "istiod"}


def test_istiod_is_installed_by_revision_and_everything_follows_the_injection() -> None:
    graph = _mesh()
    assert _revisions(graph) == {ISTIOD: (versions.ISTIO, PINNED)}
    assert graph.named("istio-ingressgateway").inputs["values"]["revision"] == PINNED
    # Istio's default validation webhook points at the revision that serves (istiod-<rev>)
    assert graph.named("istio-base").inputs["values"]["defaultRevision"] == PINNED


def test_a_canary_runs_the_old_revision_beside_the_new() -> None:
    graph = _mesh(revisions=("1-30-2", PINNED), injection_revision=PINNED)
    assert _revisions(graph) == {"istiod-1-30-2": ("1.30.2", "1-30-2"),
                                 ISTIOD: (versions.ISTIO, PINNED)}
    labels = graph.named("workload-namespace").inputs["metadata"]["labels"]
    assert labels["istio.io/rev"] == PINNED and "istio-injection" not in labels
    assert graph.named("istio-ingressgateway").inputs["values"]["revision"] == PINNED
    gateway = graph.named("istio-ingressgateway")
    assert graph.named(ISTIOD).urn in gateway.dependencies
    assert graph.named("istiod-1-30-2").urn not in gateway.dependencies


def test_in_place_is_the_earlier_kits_shape() -> None:
    """Release ``istiod`` without a revision, ``istio-injection=enabled``, gateway by default."""
    graph = _mesh(revisions=(IN_PLACE,), injection_revision=IN_PLACE, in_place_version="1.30.2")
    assert _revisions(graph) == {"istiod": ("1.30.2", None)}
    labels = graph.named("workload-namespace").inputs["metadata"]["labels"]
    assert labels["istio-injection"] == "enabled" and "istio.io/rev" not in labels
    assert "revision" not in graph.named("istio-ingressgateway").inputs["values"]
    assert graph.named("istio-base").inputs["values"]["defaultRevision"] == "default"
    # the canary from it: the in-place release kept as it was, the injection on the new one
    canary = _mesh(revisions=(IN_PLACE, PINNED), injection_revision=PINNED,
                   in_place_version="1.30.2")
    assert _revisions(canary) == {"istiod": ("1.30.2", None), ISTIOD: (versions.ISTIO, PINNED)}


@pytest.mark.parametrize(("revisions", "injection", "says"), [
    ((), PINNED, "name each installed istiod revision once"),
    ((PINNED, PINNED), PINNED, "name each installed istiod revision once"),
    (("1-30-2",), PINNED, "add it to revisions"),
    (("canary",), "canary", "names no Istio version"),
])
def test_bad_revisions_are_one_line(revisions: tuple[str, ...], injection: str,
                                    says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        ServiceMeshArgs(workload_namespace="shop", revisions=revisions,
                        injection_revision=injection)
    line = str(refused.value)
    assert says in line and "fix:" in line and "\n" not in line


def test_the_revision_definitions_read_back_what_they_write() -> None:
    """Labels and annotations the mesh writes are those the plan's readers (fit, scale, the
    upgrade plan) read, in place as by revision."""
    for revision in (IN_PLACE, PINNED, "1-30-2"):
        assert injected_revision(injection_labels(revision)) == revision
        assert release_revision(chart_revision(revision)) == revision
    assert injected_revision({"app.kubernetes.io/name": "shop"}) is None
    assert injected_revision({"istio-injection": "disabled"}) is None
    assert istiod_release(IN_PLACE) == "istiod" and istiod_release(PINNED) == ISTIOD
    assert revision_version(PINNED) == versions.ISTIO and revision_version(IN_PLACE) is None
    # pods an in-place istiod injects carry no annotation (as an earlier kit's), so moving to a
    # revision changes their template: a restart
    assert sidecar_annotations(IN_PLACE) == sidecar_annotations(None) == {}
    assert sidecar_annotations(PINNED) == {"marketplace-kit.io/sidecar-revision": PINNED}
