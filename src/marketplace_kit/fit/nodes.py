"""Nodes of a plan: each managed node group at its desired size, with EKS allocatable resources.

Allocatable = capacity - kube-reserved - eviction threshold, as the EKS AMIs compute it:
kube-reserved memory is 255Mi + 11Mi per pod the node may run, kube-reserved CPU 6% of the first
core, 1% of the second, 0.5% of the next two and 0.25% of the rest; eviction keeps 100Mi.
A spot group is sized by its smallest instance type (any of them may be launched).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_kit.fit.data import instances
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.inputs import dig

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@dataclass
class Node:
    """One node and what is still free on it."""

    name: str
    instance_type: str
    cpu_m: int
    memory_mib: int
    max_pods: int
    pods: int = 0

    def fits(self, cpu_m: int, memory_mib: int) -> bool:
        return self.cpu_m >= cpu_m and self.memory_mib >= memory_mib and self.pods < self.max_pods

    def take(self, cpu_m: int, memory_mib: int) -> None:
        self.cpu_m -= cpu_m
        self.memory_mib -= memory_mib
        self.pods += 1


def reserved_cpu_m(cores: int) -> int:
    """kube-reserved CPU of a node with ``cores`` vCPUs (millicores)."""
    steps = [(1, 0.06), (1, 0.01), (2, 0.005)]
    left, reserved = cores, 0.0
    for count, share in steps:
        used = min(left, count)
        reserved += used * 1000 * share
        left -= used
    reserved += max(left, 0) * 1000 * 0.0025
    return round(reserved)


def allocatable(instance_type: str, name: str) -> Node | None:
    """A fresh node of an instance type (None when the type is not in the table)."""
    spec = instances().get(instance_type)
    if spec is None:
        return None
    max_pods = int(spec["max_pods"])
    memory = int(spec["memory_gib"] * 1024) - (255 + 11 * max_pods) - 100
    cpu = int(spec["cpu"]) * 1000 - reserved_cpu_m(int(spec["cpu"]))
    return Node(name, instance_type, cpu, memory, max_pods)


def nodes_of(graph: ResourceGraph) -> list[Node]:
    """Every node the plan's node groups start (desired size), smallest type of each group."""
    nodes: list[Node] = []
    for group in graph.of_type(NODE_GROUP):
        count = int(dig(group.inputs, "scalingConfig", "desiredSize", default=0) or 0)
        sized = [n for t in group.inputs.get("instanceTypes") or []
                 if (n := allocatable(t, group.name)) is not None]
        if not sized:
            continue
        smallest = min(sized, key=lambda n: (n.memory_mib, n.cpu_m))
        for i in range(count):
            nodes.append(Node(f"{group.name}-{i + 1}", smallest.instance_type, smallest.cpu_m,
                              smallest.memory_mib, smallest.max_pods))
    return nodes
