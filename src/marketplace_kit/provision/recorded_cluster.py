"""What the stack's state records of an existing EKS cluster that today's program must keep.

``bootstrapClusterCreatorAdminPermissions`` is ForceNew: a kit that changed it (true in the first
kit versions, false since) would plan the cluster for replacement. ``up`` and ``preview`` read the
value the cluster was created with and hand it to the program (``DeployInputs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marketplace_kit.plan.inputs import dig
from marketplace_kit.provision.api_check import EKS_CLUSTER

CREATOR_FLAG = ("accessConfig", "bootstrapClusterCreatorAdminPermissions")


def recorded_creator_bootstrap(resources: Iterable[Mapping[str, Any]]) -> bool:
    """The creator-admin flag of the cluster in the state (outputs first, then inputs); False
    when there is no cluster yet (a new cluster gets an explicit entry instead)."""
    for resource in resources:
        if resource.get("type") != EKS_CLUSTER or resource.get("delete"):
            continue
        for part in ("outputs", "inputs"):
            value = dig(dict(resource.get(part) or {}), *CREATOR_FLAG)
            if isinstance(value, bool):
                return value
    return False
