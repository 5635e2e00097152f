"""Reading planned inputs: nested lookups and Kubernetes quantities."""

from __future__ import annotations

import re
from typing import Any

from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

_QUANTITY = re.compile(r"^\s*([0-9.]+)\s*([KMGTPE]i?)?\s*$")
_GIB = {
    None: 1 / 2**30, "Ki": 1 / 2**20, "Mi": 1 / 2**10, "Gi": 1.0, "Ti": 2**10, "Pi": 2**20,
    "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30, "T": 1e12 / 2**30, "P": 1e15 / 2**30,
}


def dig(data: Any, *path: str | int, default: Any = None) -> Any:
    """``data[p0][p1]...``, or ``default`` when any step is missing or of the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                return default
        elif not isinstance(data, dict) or step not in data:
            return default
        data = data[step]
    return data


def gib(quantity: Any) -> float | None:
    """A Kubernetes storage quantity ("100Gi", "1Ti", "500M") in GiB, or None if unreadable."""
    if isinstance(quantity, int | float):
        return float(quantity) / 2**30
    match = _QUANTITY.match(str(quantity)) if quantity is not None else None
    if not match:
        return None
    return float(match.group(1)) * _GIB[match.group(2)]


def kind(resource: PlannedResource) -> str:
    """The Kubernetes kind of a ``kubernetes:group/version:Kind`` type token ('' otherwise)."""
    if not resource.type.startswith("kubernetes:"):
        return ""
    return resource.type.rsplit(":", 1)[-1]


def component_type(graph: ResourceGraph, resource: PlannedResource) -> str:
    """The type token of the nearest enclosing component ('' at the top level)."""
    for ancestor in graph.ancestors(resource.urn):
        if not ancestor.custom:
            return ancestor.type
    return ""


def is_loadbalancer_service(resource: PlannedResource) -> bool:
    """A Kubernetes Service of type LoadBalancer (creates a cloud load balancer)."""
    return kind(resource) == "Service" and dig(resource.inputs, "spec", "type") == "LoadBalancer"


_LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
_LB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
_LB_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"


def is_istio_gateway_release(resource: PlannedResource) -> bool:
    """A Helm release of Istio's ``gateway`` chart (its Service is type LoadBalancer by default)."""
    if resource.type != "kubernetes:helm.sh/v3:Release":
        return False
    chart = str(resource.inputs.get("chart", ""))
    return chart == "gateway" or chart.endswith("/gateway")


def load_balancer(resource: PlannedResource) -> tuple[str, bool] | None:
    """``(kind, internet_facing)`` of the cloud load balancer a resource makes, kind nlb|classic.

    A Service of type LoadBalancer makes one, and so does Istio's gateway chart unless its values
    change the Service type. The AWS annotations decide the kind and the scheme: the in-tree
    controller makes an internet-facing classic ELB unless told otherwise; the AWS Load Balancer
    Controller (``type: external``) makes an internal NLB unless the scheme says internet-facing.
    """
    if is_loadbalancer_service(resource):
        annotations = dig(resource.inputs, "metadata", "annotations", default={}) or {}
    elif is_istio_gateway_release(resource):
        values = resource.inputs.get("values") or {}
        if dig(values, "service", "type", default="LoadBalancer") != "LoadBalancer":
            return None
        annotations = dig(values, "service", "annotations", default={}) or {}
    else:
        return None
    lb_type = str(annotations.get(_LB_TYPE, ""))
    kind_ = "nlb" if lb_type in ("nlb", "external", "nlb-ip") else "classic"
    scheme = annotations.get(_LB_SCHEME)
    if scheme is not None:
        public = scheme == "internet-facing"
    elif str(annotations.get(_LB_INTERNAL, "")).lower() in ("true", "0.0.0.0/0"):
        public = False
    else:
        public = lb_type != "external"
    return kind_, public


def availability_zones(graph: ResourceGraph) -> int:
    """How many availability zones the plan's subnets span (at least 1)."""
    zones = {
        r.inputs.get("availabilityZone") or r.inputs.get("availabilityZoneId")
        for r in graph.of_type("aws:ec2/subnet:Subnet")
    }
    zones.discard(None)
    return max(1, len(zones))


def is_custom_resource(resource: PlannedResource) -> bool:
    """A Kubernetes custom resource (e.g. ``kafka.strimzi.io/v1:Kafka``), not a built-in kind."""
    if not resource.type.startswith("kubernetes:"):
        return False
    group = resource.type.split(":")[1].split("/")[0]
    return "." in group and not group.endswith(".k8s.io") and group != "helm.sh"
