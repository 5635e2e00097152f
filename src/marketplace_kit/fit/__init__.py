"""The fit check: will the blueprint's pods fit on its node groups before anything is spent?

Every pod the plan starts (the kit's own workloads, the Helm charts' pods at their minimum
replicas, DaemonSets on every node, what EKS itself runs) is placed on the node groups at their
desired size, by allocatable CPU, memory and pod count. Pods that cannot be placed are named,
with the reason. A chart's pods come from the generated chart facts (``data/chart_facts.yaml``:
the chart rendered with the kit's values at its pinned version).
"""

from __future__ import annotations

from marketplace_kit.fit.nodes import Node, nodes_of
from marketplace_kit.fit.pods import Pod, pods_of
from marketplace_kit.fit.schedule import FitReport, Pending, simulate
from marketplace_kit.plan.graph import ResourceGraph


def fit(graph: ResourceGraph) -> FitReport:
    """Simulate scheduling a plan's pods on its node groups."""
    pods, notes = pods_of(graph)
    report = simulate(nodes_of(graph), pods)
    report.notes.extend(notes)
    return report


__all__ = ["FitReport", "Node", "Pending", "Pod", "fit", "nodes_of", "pods_of", "simulate"]
