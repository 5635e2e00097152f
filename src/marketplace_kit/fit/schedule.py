"""Placing pods on nodes the way the scheduler's resource filter would: DaemonSets on every
node first, then the largest pods first, each on the node with the most free memory that fits."""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace_kit.fit.nodes import Node
from marketplace_kit.fit.pods import Pod


@dataclass(frozen=True)
class Pending:
    """A pod that would stay Pending, and why."""

    pod: Pod
    reason: str


@dataclass
class FitReport:
    """Nodes after placement, the pods that did not fit, and notes."""

    nodes: list[Node]
    placed: int
    pending: list[Pending] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _why(pod: Pod, nodes: list[Node]) -> str:
    if not nodes:
        return "no nodes (no node group with a known instance type)"
    largest = max(nodes, key=lambda n: (n.memory_mib + 0, n.cpu_m))
    fresh_memory = max(n.memory_mib for n in nodes)
    if all(n.pods >= n.max_pods for n in nodes):
        return f"every node is at its pod limit ({', '.join(str(n.max_pods) for n in nodes)})"
    best_cpu = max(n.cpu_m for n in nodes)
    if pod.memory_mib > fresh_memory:
        return (f"requests {pod.memory_mib}Mi memory; the most any node has left is "
                f"{fresh_memory}Mi ({largest.instance_type})")
    if pod.cpu_m > best_cpu:
        return f"requests {pod.cpu_m}m CPU; the most any node has left is {best_cpu}m"
    return f"requests {pod.requests}; no single node has both left"


def simulate(nodes: list[Node], pods: list[Pod]) -> FitReport:
    """Place ``pods`` on ``nodes`` (mutated: their free resources shrink)."""
    report = FitReport(nodes, 0)
    for pod in (p for p in pods if p.daemon):
        for node in nodes:
            if node.fits(pod.cpu_m, pod.memory_mib):
                node.take(pod.cpu_m, pod.memory_mib)
                report.placed += 1
            else:
                report.pending.append(Pending(pod, f"{_why(pod, [node])} on {node.name}"))
    ordered = sorted((p for p in pods if not p.daemon),
                     key=lambda p: (p.memory_mib, p.cpu_m), reverse=True)
    for pod in ordered:
        fitting = [n for n in nodes if n.fits(pod.cpu_m, pod.memory_mib)]
        if not fitting:
            report.pending.append(Pending(pod, _why(pod, nodes)))
            continue
        max(fitting, key=lambda n: (n.memory_mib, n.cpu_m)).take(pod.cpu_m, pod.memory_mib)
        report.placed += 1
    return report
