"""The scale range of a plan: its monthly cost with everything at minimum (node groups at min
size, every HPA at min replicas, Karpenter idle) and at maximum (node groups at max size,
Karpenter's NodePools up to their CPU limits), and what the HPAs ask for at max replicas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marketplace_kit.chartfacts.facts import sidecar as sidecar_facts
from marketplace_kit.estimate.cost import CostReport, estimate
from marketplace_kit.fit.quantity import mebibytes, millicores
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.inputs import dig, kind
from marketplace_kit.platform.mesh_revision import injected_revision


@dataclass(frozen=True)
class HpaDemand:
    """What one HPA's workload requests at its minimum and maximum replicas."""

    target: str
    min_replicas: int
    max_replicas: int
    cpu_m: int  # per pod, sidecar included
    memory_mib: int

    @property
    def extra_cpu_m(self) -> int:
        return (self.max_replicas - self.min_replicas) * self.cpu_m


@dataclass(frozen=True)
class ScaleRange:
    """Cost at minimum, desired and maximum capacity, and the HPAs' demand at max replicas."""

    minimum: CostReport
    desired: CostReport
    maximum: CostReport
    hpas: list[HpaDemand]

    @property
    def extra_cpu_m(self) -> int:
        """CPU the HPAs ask for beyond their minimum when all are at max replicas."""
        return sum(h.extra_cpu_m for h in self.hpas)

    def to_dict(self) -> dict[str, Any]:
        """The range as JSON-ready data."""
        return {
            "minimum_usd": self.minimum.total,
            "desired_usd": self.desired.total,
            "maximum_usd": self.maximum.total,
            "hpa_extra_cpu_m_at_max": self.extra_cpu_m,
            "hpas": [{"target": h.target, "min_replicas": h.min_replicas,
                      "max_replicas": h.max_replicas, "pod_cpu_m": h.cpu_m,
                      "pod_memory_mib": h.memory_mib} for h in self.hpas],
        }


def _pod_requests(template: dict[str, Any], sidecar: bool) -> tuple[int, int]:
    cpu = memory = 0
    for container in dig(template, "spec", "containers", default=[]) or []:
        requests = dig(container, "resources", "requests", default={}) or {}
        cpu += millicores(requests.get("cpu"))
        memory += mebibytes(requests.get("memory"))
    if sidecar:
        requests = sidecar_facts()["requests"]
        cpu += millicores(requests.get("cpu"))
        memory += mebibytes(requests.get("memory"))
    return cpu, memory


def hpa_demand(graph: ResourceGraph) -> list[HpaDemand]:
    """Every HPA of the plan whose target Deployment is in the plan, with its pod's requests."""
    injected = {str(dig(r.inputs, "metadata", "name")) for r in graph
                if kind(r) == "Namespace"
                and injected_revision(dig(r.inputs, "metadata", "labels")) is not None}
    deployments = {(str(dig(r.inputs, "metadata", "namespace")),
                    str(dig(r.inputs, "metadata", "name"))): r
                   for r in graph if kind(r) == "Deployment"}
    found: list[HpaDemand] = []
    for hpa in (r for r in graph if kind(r) == "HorizontalPodAutoscaler"):
        key = (str(dig(hpa.inputs, "metadata", "namespace")),
               str(dig(hpa.inputs, "spec", "scaleTargetRef", "name")))
        target = deployments.get(key)
        if target is None:
            continue
        template = dig(target.inputs, "spec", "template", default={}) or {}
        opted_out = dig(template, "metadata", "annotations", "sidecar.istio.io/inject") == "false"
        cpu, memory = _pod_requests(template, key[0] in injected and not opted_out)
        found.append(HpaDemand(key[1], int(dig(hpa.inputs, "spec", "minReplicas", default=1)),
                               int(dig(hpa.inputs, "spec", "maxReplicas", default=1)),
                               cpu, memory))
    return sorted(found, key=lambda h: h.target)


def scale_range(graph: ResourceGraph, region: str, today: date | None = None) -> ScaleRange:
    """The plan priced at minimum, desired and maximum capacity."""
    return ScaleRange(
        minimum=estimate(graph, region, today, "minimum"),
        desired=estimate(graph, region, today, "desired"),
        maximum=estimate(graph, region, today, "maximum"),
        hpas=hpa_demand(graph),
    )
