"""What must go before the rest on ``destroy``: things Kubernetes made outside Pulumi's view.

A LoadBalancer Service (the Istio ingress gateway's included) or an Ingress makes the cloud
controller create a load balancer and ENIs in the VPC; PVCs make EBS volumes (so do the charts
whose StatefulSets claim volumes: ``platform/claims.py``), which only the running EBS CSI driver
deletes; Strimzi's custom resources carry finalizers only the running operator removes. Deleted
after the cluster (or its operator) they are left behind: the VPC cannot be deleted, or the
destroy hangs on a finalizer.
So ``destroy`` first deletes these resources (and what depends on them) while the cluster and
operators still run, then everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marketplace_kit.platform.claims import makes_claims

SERVICE = "kubernetes:core/v1:Service"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
INGRESS_PREFIX = "kubernetes:networking.k8s.io/"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
STRIMZI_PREFIX = "kubernetes:kafka.strimzi.io/"
# Helm charts whose Service is a LoadBalancer by default: Istio's ingress gateway chart.
LOAD_BALANCER_CHARTS = frozenset({"gateway"})


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _is_load_balancer_service(resource: Mapping[str, Any]) -> bool:
    return any(
        _get(resource, part, "spec", "type") == "LoadBalancer" for part in ("inputs", "outputs")
    )


def _is_load_balancer_release(resource: Mapping[str, Any]) -> bool:
    chart = str(_get(resource, "inputs", "chart") or "").rsplit("/", 1)[-1]
    service_type = _get(resource, "inputs", "values", "service", "type")
    return chart in LOAD_BALANCER_CHARTS or service_type == "LoadBalancer"


def blocks_teardown(resource: Mapping[str, Any]) -> str | None:
    """Why this state resource must be deleted before the rest, or None."""
    kind = str(resource.get("type", ""))
    if kind == SERVICE and _is_load_balancer_service(resource):
        return "LoadBalancer Service (cloud load balancer and ENIs in the VPC)"
    if kind.startswith(INGRESS_PREFIX) and kind.endswith(":Ingress"):
        return "Ingress (cloud load balancer)"
    if kind == HELM_RELEASE and _is_load_balancer_release(resource):
        return "Helm release with a LoadBalancer Service (the ingress gateway)"
    if kind == HELM_RELEASE and makes_claims(
        str(_get(resource, "inputs", "chart") or ""), _get(resource, "inputs", "values")
    ):
        return "Helm release with volume claims (EBS volumes the CSI driver must delete)"
    if kind == PVC:
        return "PersistentVolumeClaim (EBS volume)"
    if kind.startswith(STRIMZI_PREFIX):
        return "Strimzi resource (finalizers need the running operator; broker volumes)"
    return None


def blockers(resources: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(urn, reason) of every state resource to delete before the full destroy, in state order."""
    found = []
    for resource in resources:
        reason = blocks_teardown(resource)
        if reason is not None and not resource.get("delete"):
            found.append((str(resource["urn"]), reason))
    return found


def state_resources(deployment: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The resources of an exported deployment (``stack export``)."""
    resources = _get(deployment, "resources") or []
    return [r for r in resources if isinstance(r, Mapping) and "urn" in r]


# Stores AWS refuses to delete while their deletion protection is on.
PROTECTABLE = frozenset({"aws:rds/instance:Instance", "aws:docdb/cluster:Cluster"})


def protected_stores(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """URNs of the databases whose deletion protection is on (destroy would fail on them)."""
    return [
        str(r["urn"]) for r in resources
        if r.get("type") in PROTECTABLE and any(
            _get(r, part, "deletionProtection") is True for part in ("inputs", "outputs")
        )
    ]


def is_default_provider(resource: Mapping[str, Any]) -> bool:
    """A provider the engine made itself (``default_<version>``): never counted by the engine."""
    urn = str(resource.get("urn", ""))
    return str(resource.get("type", "")).startswith("pulumi:providers:") and urn.rsplit(
        "::", 1
    )[-1].startswith("default")


def counted_resources(resources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The resources the engine's summaries count (default providers are internal steps)."""
    return [r for r in resources if not is_default_provider(r)]
