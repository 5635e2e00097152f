"""The guard of ``up``: a plan that deletes a service, a database, a topic or the cluster needs an
explicit ``--allow-delete`` (or a yes at the confirmation prompt, which lists them).

A mistyped ``services_dir`` or service name makes the program register fewer services; the
engine then plans to delete the missing ones with their databases and topics. This module names
what such a plan would destroy so ``up`` can stop before it does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from marketplace_kit.errors import KitError
from marketplace_kit.provision.progress import resource_name, resource_type

# Resource types whose deletion loses a service, data or the platform itself, in the user's words.
GUARDED: dict[str, str] = {
    "marketplace-kit:platform:MarketplaceService": "service",
    "aws:rds/instance:Instance": "database",
    "aws:rds/cluster:Cluster": "database",
    "aws:docdb/cluster:Cluster": "database",
    "aws:docdb/clusterInstance:ClusterInstance": "database",
    "kubernetes:apps/v1:StatefulSet": "database",  # the in-cluster PostgreSQL (local target)
    "kubernetes:core/v1:PersistentVolumeClaim": "volume",
    "kubernetes:kafka.strimzi.io/v1:KafkaTopic": "topic",
    "kubernetes:kafka.strimzi.io/v1:Kafka": "event bus",
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": "event bus",
    "aws:eks/cluster:Cluster": "cluster",
    "marketplace-kit:platform:Cluster": "cluster",
    "marketplace-kit:platform:LocalCluster": "cluster",
}
# Engine operations that remove the resource as it is (a replace deletes, then creates anew).
DESTRUCTIVE_OPS = ("delete", "replace", "delete-replaced")
LISTED = 12


@dataclass(frozen=True)
class Doomed:
    """A guarded resource the plan deletes or replaces."""

    what: str  # service, database, topic, ...
    name: str
    op: str

    def __str__(self) -> str:
        verb = "" if self.op == "delete" else f" ({self.op})"
        return f"{self.what} {self.name}{verb}"


def doomed(planned: Mapping[str, list[str]]) -> list[Doomed]:
    """The guarded resources among a preview's planned operations (op -> URNs), deduplicated."""
    found: dict[str, Doomed] = {}
    for op in DESTRUCTIVE_OPS:
        for urn in planned.get(op, []):
            what = GUARDED.get(resource_type(urn))
            if what is not None and urn not in found:
                found[urn] = Doomed(what, resource_name(urn), op)
    return sorted(found.values(), key=lambda d: (d.what, d.name))


def describe(found: list[Doomed]) -> str:
    """``service catalog, database catalog-db, topic order-events`` (the first few)."""
    names = ", ".join(str(d) for d in found[:LISTED])
    more = f" and {len(found) - LISTED} more" if len(found) > LISTED else ""
    return names + more


def prompt_text(found: list[Doomed]) -> str:
    """The lines the confirmation prompt adds when the plan deletes guarded resources."""
    if not found:
        return ""
    return (f"\n  THIS DELETES {len(found)} service(s)/database(s)/topic(s)/cluster: "
            f"{describe(found)}\n  (a mistyped services_dir or service name looks exactly like "
            "this: check the config before you answer yes)")


def refuse(found: list[Doomed], stack: str) -> KitError:
    """The error of ``up --yes`` without ``--allow-delete`` on a plan that deletes ``found``."""
    return KitError(f"up on stack {stack!r} would delete {describe(found)}; nothing was changed; "
                    "fix: if a service went missing, check services_dir and the services' "
                    "service.yaml files; if the deletion is intended, run up --allow-delete")


def check(
    allow_delete: bool,
    unattended: bool,
    planned: Mapping[str, list[str]],
    stack: str,
    warn: Callable[[str], None],
) -> list[Doomed]:
    """The hook in ``up`` after its preview: refuse an unattended (``--yes``) plan that deletes
    guarded resources unless ``allow_delete``; warn what an allowed one deletes. Returns them
    (the prompt of an attended run lists them)."""
    found = doomed(planned)
    if found and unattended and not allow_delete:
        raise refuse(found, stack)
    if found and allow_delete:
        warn(f"--allow-delete: up deletes {describe(found)}")
    deleted = [resource_name(urn) for op in DESTRUCTIVE_OPS for urn in planned.get(op, [])]
    if unattended and deleted:  # no prompt shows them: say what goes
        listed = ", ".join(deleted[:LISTED]) + (
            f" and {len(deleted) - LISTED} more" if len(deleted) > LISTED else "")
        warn(f"up deletes or replaces {len(deleted)} resource(s): {listed}")
    return found
