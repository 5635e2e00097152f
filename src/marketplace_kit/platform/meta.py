"""Kubernetes metadata shared by every layer: the app.kubernetes.io labels and object metadata."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

PART_OF = "marketplace"
MANAGED_BY = "marketplace-kit"
# Pods that must not get an Istio sidecar (Jobs that must complete, brokers with their own TLS).
NO_SIDECAR = {"sidecar.istio.io/inject": "false"}
# Node label of the EKS node groups: on-demand or spot (stateful pods stay off spot).
CAPACITY_LABEL = "marketplace-kit/capacity"
ZONE_LABEL = "topology.kubernetes.io/zone"


def labels(name: str, component: str, version: str | None = None) -> dict[str, str]:
    """The recommended app.kubernetes.io labels of one object."""
    found = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version:
        found["app.kubernetes.io/version"] = version
    return found


def metadata(
    name: str,
    namespace: str | None,
    component: str,
    *,
    version: str | None = None,
    extra_labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> k8s.meta.v1.ObjectMetaArgsDict:
    """ObjectMeta as a plain mapping (usable for built-in kinds and custom resources alike)."""
    meta: k8s.meta.v1.ObjectMetaArgsDict = {
        "name": name, "labels": {**labels(name, component, version), **(extra_labels or {})}
    }
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = annotations
    return meta


def restricted_container(uid: int | None = None) -> dict[str, Any]:
    """A container securityContext of the restricted Pod Security Standard (read-only root, no
    capabilities, no escalation, RuntimeDefault seccomp); ``uid``: also run as this user and
    group (None: the pod's securityContext says who)."""
    context: dict[str, Any] = {"runAsNonRoot": True}
    if uid is not None:
        context |= {"runAsUser": uid, "runAsGroup": uid}
    return context | {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
