"""Nothing reachable from the internet but the gateway; nodes and databases in private subnets."""

from __future__ import annotations

from collections.abc import Iterator

from marketplace_kit.guardrails.base import CheckContext, Finding, finding, truthy
from marketplace_kit.plan.graph import PlannedResource
from marketplace_kit.plan.inputs import dig, is_istio_gateway_release, kind, load_balancer

WORLD = ("0.0.0.0/0", "::/0")


def no_public_database(ctx: CheckContext) -> Iterator[Finding]:
    """No database instance has a public address."""
    for type_ in ("aws:rds/instance:Instance", "aws:docdb/clusterInstance:ClusterInstance"):
        for r in ctx.graph.of_type(type_):
            if truthy(r.inputs.get("publiclyAccessible")):
                yield finding(r, "public-database", "the database is publicly accessible",
                              "set publiclyAccessible: false; reach it from inside the VPC")


def only_gateway_is_public(ctx: CheckContext) -> Iterator[Finding]:
    """Only Istio's gateway gets an internet-facing load balancer; no NodePorts, no public Kafka."""
    for r in ctx.graph:
        lb = load_balancer(r)
        if lb is not None and lb[1] and not _is_gateway(r):
            yield finding(r, "public-exposure", "creates an internet-facing load balancer",
                          "expose it through the Istio gateway (a route), or make it internal")
        if kind(r) == "Service" and dig(r.inputs, "spec", "type") == "NodePort":
            yield finding(r, "public-exposure", "opens a NodePort on every node",
                          "use a ClusterIP Service behind the gateway")
        if kind(r) == "Kafka":
            for listener in dig(r.inputs, "spec", "kafka", "listeners", default=[]) or []:
                if listener.get("type") in ("loadbalancer", "nodeport", "ingress", "route"):
                    name = listener.get("name")
                    yield finding(r, "public-exposure", f"Kafka listener {name} is reachable "
                                  "from outside the cluster", "use internal listeners only")


def _is_gateway(r: PlannedResource) -> bool:
    if is_istio_gateway_release(r):
        return True
    labels = dig(r.inputs, "spec", "selector", default={}) or {}
    return labels.get("istio") == "ingressgateway" or labels.get("app") == "istio-ingressgateway"


def eks_endpoint_restricted(ctx: CheckContext) -> Iterator[Finding]:
    """The EKS API endpoint is private, or public only to listed CIDRs (never the world)."""
    for r in ctx.graph.of_type("aws:eks/cluster:Cluster"):
        vpc = r.inputs.get("vpcConfig") or {}
        if vpc.get("endpointPublicAccess") is False or vpc.get("endpointPublicAccess") == "false":
            continue  # private only
        cidrs = vpc.get("publicAccessCidrs") or []
        if not cidrs or any(c in WORLD for c in cidrs):
            yield finding(r, "public-eks-endpoint",
                          "the Kubernetes API is reachable from the whole internet",
                          "set endpointPublicAccess: false, or publicAccessCidrs to your CIDRs")


def private_subnets_only(ctx: CheckContext) -> Iterator[Finding]:
    """Node groups and database subnet groups use private subnets only."""
    types = (
        "aws:eks/nodeGroup:NodeGroup",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:docdb/subnetGroup:SubnetGroup",
    )
    for type_ in types:
        for r in ctx.graph.of_type(type_):
            public = [s.name for s in _subnets(ctx, r.inputs.get("subnetIds")) if _public(s)]
            if public:
                yield finding(r, "private-subnets", f"placed in public subnets {', '.join(public)}",
                              "use the private subnets (no public IPs, NAT for egress)")


def _subnets(ctx: CheckContext, ids: object) -> list[PlannedResource]:
    found = [ctx.by_fake_id.get(str(i)) for i in ids or []] if isinstance(ids, list) else []
    return [s for s in found if s is not None and s.type == "aws:ec2/subnet:Subnet"]


def _public(subnet: PlannedResource) -> bool:
    tags = subnet.inputs.get("tags") or {}
    return truthy(subnet.inputs.get("mapPublicIpOnLaunch")) or tags.get(
        "kubernetes.io/role/elb"
    ) == "1"
