"""The pods a plan starts, with their requests: the kit's own workloads from the plan's objects,
each Helm release's pods from the recorded chart facts under the kit's values, EKS's own pods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_kit.fit.data import facts
from marketplace_kit.fit.quantity import mebibytes, millicores
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.inputs import dig, kind

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_TEMPLATES = {"Deployment", "StatefulSet", "DaemonSet"}


@dataclass(frozen=True)
class Pod:
    """One pod to place (a DaemonSet's pod goes on every node)."""

    name: str
    owner: str  # the release or object that starts it
    cpu_m: int
    memory_mib: int
    daemon: bool = False

    @property
    def requests(self) -> str:
        return f"{self.cpu_m}m CPU, {self.memory_mib}Mi memory"


def _requests(requests: Any) -> tuple[int, int]:
    requests = requests if isinstance(requests, dict) else {}
    return millicores(requests.get("cpu")), mebibytes(requests.get("memory"))


def _container_requests(pod_spec: dict[str, Any]) -> tuple[int, int]:
    cpu = memory = 0
    for container in pod_spec.get("containers") or []:
        c, m = _requests(dig(container, "resources", "requests"))
        cpu, memory = cpu + c, memory + m
    return cpu, memory


def _injected_namespaces(graph: ResourceGraph) -> set[str]:
    return {str(dig(r.inputs, "metadata", "name")) for r in graph
            if kind(r) == "Namespace"
            and dig(r.inputs, "metadata", "labels", "istio-injection") == "enabled"}


def _hpa_minimums(graph: ResourceGraph) -> dict[str, int]:
    return {str(dig(r.inputs, "spec", "scaleTargetRef", "name")):
            int(dig(r.inputs, "spec", "minReplicas", default=1) or 1)
            for r in graph if kind(r) == "HorizontalPodAutoscaler"}


def _workload_pods(graph: ResourceGraph) -> list[Pod]:
    injected, minimums = _injected_namespaces(graph), _hpa_minimums(graph)
    sidecar = _requests(facts()["sidecar"])
    pods: list[Pod] = []
    for r in graph:
        k = kind(r)
        if k not in _TEMPLATES:
            continue
        name = str(dig(r.inputs, "metadata", "name", default=r.name))
        template = dig(r.inputs, "spec", "template", default={}) or {}
        cpu, memory = _container_requests(template.get("spec") or {})
        namespace = dig(r.inputs, "metadata", "namespace")
        opted_out = dig(template, "metadata", "annotations", "sidecar.istio.io/inject") == "false"
        if namespace in injected and not opted_out:
            cpu, memory = cpu + sidecar[0], memory + sidecar[1]
        replicas = int(dig(r.inputs, "spec", "replicas", default=0) or minimums.get(name, 1))
        pods += [Pod(f"{name}-{i}", name, cpu, memory, daemon=k == "DaemonSet")
                 for i in range(1 if k == "DaemonSet" else replicas)]
    return pods


def _strimzi_pods(graph: ResourceGraph) -> list[Pod]:
    pods: list[Pod] = []
    for r in graph:
        if kind(r) == "KafkaNodePool":
            role = str(dig(r.inputs, "metadata", "name", default=r.name))
            cpu, memory = _requests(dig(r.inputs, "spec", "resources", "requests"))
            replicas = int(dig(r.inputs, "spec", "replicas", default=1) or 1)
            pods += [Pod(f"kafka-{role}-{i}", f"KafkaNodePool {role}", cpu, memory)
                     for i in range(replicas)]
        elif kind(r) == "Kafka":
            pods.append(Pod("kafka-entity-operator", "Kafka", 0, 0))
    return pods


def _value(values: dict[str, Any], path: str, default: Any) -> Any:
    found = dig(values, *path.split(".")) if path != "none" else None
    return default if found is None else found


def chart_pods(chart: str, values: dict[str, Any], owner: str) -> list[Pod]:
    """The pods one chart starts under ``values`` (empty when no facts are recorded)."""
    entry = facts()["charts"].get(chart) or {}
    return _pods_from(entry.get("pods") or [], values, owner)


@dataclass(frozen=True)
class ChartVolume:
    """The claims one chart pod asks for: one per replica."""

    pod: str
    size_path: str
    count: int
    size: str


def chart_volumes(chart: str, values: dict[str, Any]) -> list[ChartVolume] | None:
    """The volumes a chart's pods claim under ``values`` (None: no volume facts recorded)."""
    entry = facts()["charts"].get(chart) or {}
    recorded = [p for p in entry.get("pods") or [] if "volume" in p]
    if not recorded:
        return None
    found: list[ChartVolume] = []
    for pod in recorded:
        size_path, size_default, enabled_path, enabled_default = pod["volume"]
        enabled = pod.get("enabled")
        if enabled is not None and not _value(values, *enabled):
            continue
        if not _value(values, enabled_path, enabled_default):
            continue
        replicas = pod.get("replicas", 1)
        count = int(_value(values, *replicas) if isinstance(replicas, list) else replicas)
        found.append(ChartVolume(pod["name"], size_path, count,
                                 str(_value(values, size_path, size_default))))
    return found


def _pods_from(entries: list[dict[str, Any]], values: dict[str, Any], owner: str) -> list[Pod]:
    pods: list[Pod] = []
    for entry in entries:
        enabled = entry.get("enabled")
        if enabled is not None and not _value(values, *enabled):
            continue
        replicas = entry.get("replicas", 1)
        count = int(_value(values, *replicas) if isinstance(replicas, list) else replicas)
        path, default = entry["resources"]
        requests = _value(values, path, default) or default
        cpu, memory = _requests(requests if requests else default)
        if not cpu and not memory:
            cpu, memory = _requests(default)
        if "memory_from" in entry:
            size_path, size_default, factor = entry["memory_from"]
            if not dig(requests if isinstance(requests, dict) else {}, "memory"):
                memory = round(float(_value(values, size_path, size_default)) * factor)
        daemon = entry["kind"] == "DaemonSet"
        pods += [Pod(f"{entry['name']}-{i}", owner, cpu, memory, daemon)
                 for i in range(1 if daemon else count)]
    return pods


def _release_pods(graph: ResourceGraph, notes: list[str]) -> list[Pod]:
    pods: list[Pod] = []
    for r in graph.of_type(HELM_RELEASE):
        chart = str(r.inputs.get("chart", "")).rsplit("/", 1)[-1]
        version = str(r.inputs.get("version", ""))
        entry = facts()["charts"].get(chart)
        if entry is None:
            notes.append(f"fit: no pod facts recorded for chart {chart} {version}; "
                         "its pods are not counted")
            continue
        if str(entry["version"]) != version:
            notes.append(f"fit: pod facts of {chart} were read at {entry['version']}, the pin "
                         f"is {version}; re-read them from the chart")
        pods += chart_pods(chart, r.inputs.get("values") or {}, f"release {r.name}")
    return pods


def _eks_pods(graph: ResourceGraph) -> list[Pod]:
    if not graph.of_type("aws:eks/cluster:Cluster"):
        return []
    return _pods_from(facts()["eks"]["pods"], {}, "EKS")


def pods_of(graph: ResourceGraph) -> tuple[list[Pod], list[str]]:
    """Every pod the plan starts at minimum replicas, and notes on what could not be counted."""
    notes: list[str] = []
    pods = [*_eks_pods(graph), *_release_pods(graph, notes), *_strimzi_pods(graph),
            *_workload_pods(graph)]
    return pods, notes
