"""The pods a plan starts, with their requests: the kit's own workloads from the plan's objects,
each Helm release's pods from the generated chart facts, EKS's own pods."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marketplace_kit.chartfacts import facts as chart_facts
from marketplace_kit.chartfacts.releases import HELM_RELEASE, chart_name
from marketplace_kit.fit.quantity import mebibytes, millicores
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.inputs import dig, kind
from marketplace_kit.platform.mesh_revision import injected_revision

_TEMPLATES = {"Deployment", "StatefulSet", "DaemonSet"}
_LINUX = {"", "linux"}  # the node groups run Linux: a Windows-only DaemonSet starts no pod


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
            and injected_revision(dig(r.inputs, "metadata", "labels")) is not None}


def _hpa_minimums(graph: ResourceGraph) -> dict[str, int]:
    return {str(dig(r.inputs, "spec", "scaleTargetRef", "name")):
            int(dig(r.inputs, "spec", "minReplicas", default=1) or 1)
            for r in graph if kind(r) == "HorizontalPodAutoscaler"}


def _workload_pods(graph: ResourceGraph) -> list[Pod]:
    injected, minimums = _injected_namespaces(graph), _hpa_minimums(graph)
    sidecar = _requests(chart_facts.sidecar()["requests"])
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
            cpu = memory = 0
            for operator in ("topicOperator", "userOperator"):
                c, m = _requests(dig(r.inputs, "spec", "entityOperator", operator, "resources",
                                     "requests"))
                cpu, memory = cpu + c, memory + m
            pods.append(Pod("kafka-entity-operator", "Kafka", cpu, memory))
            exporter = dig(r.inputs, "spec", "kafkaExporter")
            if isinstance(exporter, dict):
                c, m = _requests(dig(exporter, "resources", "requests"))
                pods.append(Pod("kafka-exporter", "Kafka", c, m))
    return pods


def workload_requests(workload: dict[str, Any]) -> tuple[int, int]:
    """A rendered workload's pod requests: its containers' sum, or its largest init container."""
    main = [c for c in workload["containers"] if not c.get("init")]
    init = [c for c in workload["containers"] if c.get("init")]
    cpu = sum(millicores(c["requests"].get("cpu")) for c in main)
    memory = sum(mebibytes(c["requests"].get("memory")) for c in main)
    for c in init:
        cpu = max(cpu, millicores(c["requests"].get("cpu")))
        memory = max(memory, mebibytes(c["requests"].get("memory")))
    return cpu, memory


def running(workloads: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The workloads that keep pods on Linux nodes: no Helm hooks, no Windows-only ones."""
    for workload in workloads:
        os = str((workload.get("node_selector") or {}).get("kubernetes.io/os", ""))
        if workload.get("hook") is None and os in _LINUX:
            yield workload


def replicas_of(workload: dict[str, Any]) -> int:
    """Pods of a non-DaemonSet workload at its minimum (an HPA's minReplicas where one is)."""
    return int(workload.get("hpa_min_replicas") or workload["replicas"] or 0)


def _pods_from(workloads: list[dict[str, Any]], owner: str) -> list[Pod]:
    pods: list[Pod] = []
    for workload in running(workloads):
        cpu, memory = workload_requests(workload)
        daemon = workload["replicas"] is None
        count = 1 if daemon else replicas_of(workload)
        pods += [Pod(f"{workload['name']}-{i}", owner, cpu, memory, daemon)
                 for i in range(count)]
    return pods


def release_facts(r: PlannedResource, notes: list[str]) -> dict[str, Any] | None:
    """The generated facts of a plan's release (a note where they are missing or approximate)."""
    chart = chart_name(str(r.inputs.get("chart", "")))
    version = str(r.inputs.get("version", ""))
    found = chart_facts.release(r.name, chart, version, dict(r.inputs.get("values") or {}))
    if found is None:
        notes.append(f"fit: no chart facts for {chart} {version} (release {r.name}); its pods "
                     "are not counted: regenerate data/chart_facts.yaml (tools/chart_facts.py)")
        return None
    if found.note:
        notes.append(f"fit: {found.note}")
    return found.facts


def _release_pods(graph: ResourceGraph, notes: list[str]) -> list[Pod]:
    pods: list[Pod] = []
    for r in graph.of_type(HELM_RELEASE):
        found = release_facts(r, notes)
        if found is not None:
            pods += _pods_from(found["workloads"], f"release {r.name}")
    return pods


def _eks_pods(graph: ResourceGraph) -> list[Pod]:
    if not graph.of_type("aws:eks/cluster:Cluster"):
        return []
    return _pods_from(chart_facts.eks_workloads(), "EKS")


def pods_of(graph: ResourceGraph) -> tuple[list[Pod], list[str]]:
    """Every pod the plan starts at minimum replicas, and notes on what could not be counted."""
    notes: list[str] = []
    pods = [*_eks_pods(graph), *_release_pods(graph, notes), *_strimzi_pods(graph),
            *_workload_pods(graph)]
    return pods, notes
