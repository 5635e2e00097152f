"""Destroy order over the real plans of the dev and production blueprints.

The engine deletes in reverse dependency order: a resource goes before everything it depends on,
directly or through others (``DependenciesOf``: dependencies, parent, provider, in
pkg/resource/graph/dependency_graph.go). So each pair "A must be deleted before B" below is an
edge path A -> B in the graph ``marketplace-kit plan`` records, which is the one ``up`` registers.
"""

from __future__ import annotations

from functools import cache

import pytest
from support.plans import full_plan

from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.platform import claims
from marketplace_kit.provision.teardown import blocks_teardown

BLUEPRINTS = ("dev", "production")
RELEASE = "kubernetes:helm.sh/v3:Release"
CSI_DRIVER = "aws-ebs-csi-driver"
# API group of custom resources -> (the operator's release, what installs the CRDs). Istio's
# resources are configuration without finalizers: istiod is no operator to them, only the CRDs.
OPERATORS: dict[str, tuple[str | None, str]] = {
    "kafka.strimzi.io": ("strimzi-kafka-operator", "strimzi-crds"),
    "monitoring.coreos.com": ("kube-prometheus-stack", "kube-prometheus-stack"),
    "karpenter.sh": ("karpenter", "karpenter"),
    "karpenter.k8s.aws": ("karpenter", "karpenter"),
    "networking.istio.io": (None, "istio-base"),
    "security.istio.io": (None, "istio-base"),
    "telemetry.istio.io": (None, "istio-base"),
}
BUILT_IN_GROUPS = {"core", "apps", "batch", "policy", "autoscaling", "helm.sh", "yaml"}


@cache
def _closure(blueprint: str) -> dict[str, frozenset[str]]:
    """Every resource's transitive dependencies (what it must be deleted before)."""
    graph = full_plan(blueprint)
    known = {r.urn for r in graph}
    direct = {
        r.urn: ({*r.dependencies, r.parent, r.provider} - {None}) & known for r in graph
    }
    found: dict[str, frozenset[str]] = {}

    def visit(urn: str) -> frozenset[str]:
        if urn not in found:
            found[urn] = frozenset()  # no cycles in a plan; guards the recursion anyway
            reached: set[str] = set()
            for dep in direct[urn]:
                reached |= {dep, *visit(dep)}
            found[urn] = frozenset(reached)
        return found[urn]

    for urn in direct:
        visit(urn)
    return found


def _before(blueprint: str, first: PlannedResource, then: PlannedResource) -> bool:
    """Whether the engine deletes ``first`` before ``then``."""
    return then.urn in _closure(blueprint)[first.urn]


def _group(resource: PlannedResource) -> str:
    return resource.type.split(":")[1].split("/")[0] if resource.type.count(":") == 2 else ""


def _custom_resources(graph: ResourceGraph) -> list[PlannedResource]:
    return [
        r for r in graph
        if r.type.startswith("kubernetes:") and r.custom
        and _group(r) not in BUILT_IN_GROUPS and not _group(r).endswith(".k8s.io")
    ]


def _one(graph: ResourceGraph, name: str) -> PlannedResource:
    """The Helm release of this name, else the one resource of this name."""
    releases = [r for r in graph.of_type(RELEASE) if r.name == name]
    return releases[0] if len(releases) == 1 else graph.named(name)


def _holds_load_balancer(resource: PlannedResource) -> bool:
    reason = blocks_teardown(resource.to_dict()) or ""
    return "loadbalancer" in reason.lower().replace(" ", "")


def _csi_driver(graph: ResourceGraph) -> PlannedResource:
    (addon,) = [r for r in graph.of_type("aws:eks/addon:Addon") if r.name.endswith(CSI_DRIVER)]
    return addon


def _default_storage_class(graph: ResourceGraph) -> PlannedResource:
    (gp3,) = [r for r in graph.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
              if r.inputs["metadata"]["name"] == "gp3"]
    return gp3


def _network(graph: ResourceGraph, type_: str, part: str) -> list[PlannedResource]:
    found = [r for r in graph.of_type(f"aws:ec2/{type_}") if f"-{part}" in r.name]
    assert found, (type_, part)
    return found


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_custom_resources_go_before_their_operators_and_operators_before_crds(
    blueprint: str,
) -> None:
    graph = full_plan(blueprint)
    found = _custom_resources(graph)
    assert {_group(r) for r in found} >= {"kafka.strimzi.io", "monitoring.coreos.com",
                                         "karpenter.sh", "networking.istio.io"}
    for resource in found:
        assert _group(resource) in OPERATORS, f"{resource.type}: which operator serves it?"
        operator_name, crds_name = OPERATORS[_group(resource)]
        crds = _one(graph, crds_name)
        assert _before(blueprint, resource, crds), (resource.name, crds.name)
        if operator_name is not None:
            operator = _one(graph, operator_name)
            assert _before(blueprint, resource, operator), (resource.name, operator.name)
    for operator_name, crds_name in set(OPERATORS.values()):
        if operator_name is not None and operator_name != crds_name:
            operator, crds = _one(graph, operator_name), _one(graph, crds_name)
            assert _before(blueprint, operator, crds), operator_name


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_release_is_known_to_make_volume_claims_or_not(blueprint: str) -> None:
    """A new chart must say how its claims go (platform/claims.py) before it ships."""
    for release in full_plan(blueprint).of_type(RELEASE):
        name = claims.chart_name(release.inputs["chart"])
        assert name in claims.CHARTS or name in claims.WITHOUT_CLAIMS, name


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_claims_go_before_the_csi_driver_and_with_their_statefulsets(blueprint: str) -> None:
    graph = full_plan(blueprint)
    driver, gp3 = _csi_driver(graph), _default_storage_class(graph)
    with_claims = [r for r in graph.of_type(RELEASE)
                   if claims.makes_claims(r.inputs["chart"], r.inputs["values"])]
    expected = {"kube-prometheus-stack", "loki" if blueprint == "dev" else "opensearch"}
    assert {r.name for r in with_claims} == expected
    for release in with_claims:  # direct edges: not left to a namespace in between
        assert {driver.urn, gp3.urn} <= set(release.dependencies), release.name
        assert blocks_teardown(release.to_dict()), release.name
    values = graph.named("kube-prometheus-stack").inputs["values"]
    for spec in (values["prometheus"]["prometheusSpec"],
                 values["alertmanager"]["alertmanagerSpec"]):
        assert spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"
    if blueprint == "dev":
        loki = graph.named("loki").inputs["values"]["singleBinary"]["persistence"]
        assert loki["enableStatefulSetAutoDeletePVC"] is True
    else:  # opensearch 3.6.0 has no retention field: its claims go with its namespace
        assert claims.leaves_claims("opensearch")
        namespace = graph.named("observability-namespace")
        store = _one(graph, "opensearch")
        assert store.inputs["namespace"] == namespace.inputs["metadata"]["name"]
        assert _before(blueprint, namespace, driver)
    kafka_claims = [*graph.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool"),
                    *graph.of_type("kubernetes:core/v1:PersistentVolumeClaim")]
    assert kafka_claims
    for resource in kafka_claims:
        assert _before(blueprint, resource, driver), resource.name
    for storage_class in graph.of_type("kubernetes:storage.k8s.io/v1:StorageClass"):
        assert storage_class.inputs["reclaimPolicy"] == "Delete", storage_class.name


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_load_balancers_go_before_the_cluster_and_the_public_network(blueprint: str) -> None:
    """The in-tree cloud controller (EKS control plane) makes the gateway's NLB in the public
    subnets: its ENIs and public addresses block the subnets, the internet gateway and the
    VPC until it is gone. The kit installs no AWS Load Balancer Controller; if one comes, the
    load balancers must go before it too."""
    graph = full_plan(blueprint)
    holders = [r for r in graph if _holds_load_balancer(r)]
    assert [r.name for r in holders] == ["istio-ingressgateway"]
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    (vpc,) = graph.of_type("aws:ec2/vpc:Vpc")
    edge = [*_network(graph, "subnet:Subnet", "public"),
            *_network(graph, "route:Route", "public-internet"),
            *_network(graph, "routeTableAssociation:RouteTableAssociation", "public"),
            *graph.of_type("aws:ec2/internetGateway:InternetGateway")]
    controllers = [r for r in graph.of_type(RELEASE)
                   if claims.chart_name(r.inputs["chart"]) == "aws-load-balancer-controller"]
    for holder in holders:
        for needed in (cluster, vpc, *edge, *graph.of_type("aws:eks/nodeGroup:NodeGroup"),
                       *controllers):
            assert _before(blueprint, holder, needed), (holder.name, needed.name)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_nodes_go_before_the_cluster_and_keep_their_way_out(blueprint: str) -> None:
    """Node groups before the cluster; while they run, controllers on them (EBS CSI driver,
    Karpenter, Strimzi) call AWS and the API through the NAT gateways: those go after."""
    graph = full_plan(blueprint)
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    egress = [*graph.of_type("aws:ec2/natGateway:NatGateway"),
              *_network(graph, "route:Route", "private"),
              *_network(graph, "routeTableAssociation:RouteTableAssociation", "private")]
    groups = graph.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups
    for group in groups:
        assert _before(blueprint, group, cluster)
        for needed in egress:
            assert _before(blueprint, group, needed), (group.name, needed.name)
    for resource in graph:
        if resource.type.startswith("kubernetes:"):  # through the provider, at least
            assert _before(blueprint, resource, cluster), resource.name
