"""``up`` in stages on AWS: the network and cluster first, then a check of the API, then the rest.

A single run would create the VPC, EKS and RDS (billing starts) and only then find that this
machine cannot reach the new API: every Helm release and custom resource would time out. Stage
one is a targeted ``up`` of the foundation's AWS resources; then ``api_check`` calls the API
exactly as the Kubernetes provider will; only then does the full ``up`` create anything in the
cluster.

The targets come from the engine's own preview of the same run, never from the offline plan:
names derived from the caller, the account or the AZs (the creator's access entry is named after
the caller's ARN) differ between the SDK mocks and the real run, and the engine refuses targets
it does not register (diag 2010) and an always-targeted provider depending on an untargeted
create (diag 2013).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def foundation_targets(planned: Mapping[str, Iterable[str]]) -> list[str]:
    """What the preview plans to change (op -> URNs, from its events) under the network's and
    cluster's components, but no in-cluster object or provider; in event order, each once."""
    targets: dict[str, None] = {}
    for urns in planned.values():
        for urn in urns:
            chain = _type_chain(urn)
            if chain and not chain[-1].startswith(IN_CLUSTER_PREFIXES) and (
                FOUNDATION_COMPONENTS & set(chain)
            ):
                targets[urn] = None
    return list(targets)


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
