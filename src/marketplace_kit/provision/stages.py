"""``up`` in stages on AWS: the network and cluster first, then a check of the API, then the rest.

A single run would create the VPC, EKS and RDS (billing starts) and only then find that this
machine cannot reach the new API: every Helm release and custom resource would time out. Stage
one is a targeted ``up`` of the foundation's AWS resources (their URNs come from the offline plan
of the very same program); then ``api_check`` calls the API exactly as the Kubernetes provider
will; only then does the full ``up`` create anything in the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from marketplace_kit.plan.graph import ResourceGraph

FOUNDATION_COMPONENTS = frozenset({
    "marketplace-kit:platform:Network", "marketplace-kit:platform:Cluster",
})
# Not in stage one: they call the cluster's API (the StorageClass) or configure a client of it.
IN_CLUSTER_PREFIXES = ("kubernetes:", "pulumi:providers:")
# Always part of a targeted run (step_generator.go: providers and the root stack).
IMPLICIT = ("pulumi:pulumi:Stack", "pulumi:providers:")


def _type_chain(urn: str) -> list[str]:
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


def foundation_targets(graph: ResourceGraph) -> list[str]:
    """URNs of the network's and cluster's components and cloud resources, in plan order."""
    targets = []
    for resource in graph:
        if resource.type.startswith(IN_CLUSTER_PREFIXES):
            continue
        if FOUNDATION_COMPONENTS & set(_type_chain(resource.urn)):
            targets.append(resource.urn)
    return targets


def touched(planned: Mapping[str, Iterable[str]], targets: Iterable[str]) -> list[str]:
    """What stage one changes: the targets the preview plans to change, plus what the engine
    always includes in a targeted run (the root stack, explicit providers); empty when no
    target changes (then stage one has nothing to do)."""
    wanted = set(targets)
    changing = {urn for urns in planned.values() for urn in urns if urn in wanted}
    if not changing:
        return []
    implicit = {urn for urns in planned.values() for urn in urns
                if _type_chain(urn)[-1:] and _type_chain(urn)[-1].startswith(IMPLICIT)}
    return sorted(changing | implicit)
