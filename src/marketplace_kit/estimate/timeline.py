"""Estimated wall-clock time of ``up``: the critical path through the plan's dependency graph.

Pulumi creates a resource once everything it depends on exists: its ``dependencies``, its
provider, and, for a dependency on a component, every resource inside that component. A
component takes no time itself: it is done when its children are. Each custom resource takes the
duration of its type (``data/durations.yaml``, each with a cited source).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace_kit.estimate.data import Duration, DurationTable, ScaleStep, duration_table
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.inputs import dig, is_custom_resource, kind, load_balancer

WAIT_FOR = "pulumi.com/waitFor"
NO_DURATION = Duration(0.0, "none", "components and providers take no time of their own")


@dataclass(frozen=True)
class Step:
    """When one resource starts and finishes (seconds from the start of ``up``)."""

    resource: PlannedResource
    start: float
    finish: float
    duration: Duration

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data."""
        return {
            "resource": self.resource.name,
            "type": self.resource.type,
            "start_s": round(self.start, 1),
            "finish_s": round(self.finish, 1),
            "duration_s": self.duration.seconds,
            "basis": self.duration.basis,
            "source": self.duration.source,
        }


@dataclass(frozen=True)
class ScaleOut:
    """How long a scale-out takes once the platform runs: on the nodes there are, and (with
    node autoscaling) when a node must be added first."""

    steps: list[ScaleStep]
    node_autoscaling: bool  # Karpenter NodePools in the plan

    @property
    def on_free_capacity(self) -> float:
        """Seconds from a load rise to new pods ready on nodes with room."""
        return sum(s.duration.seconds for s in self.steps if not s.new_node)

    @property
    def with_new_node(self) -> float | None:
        """Seconds when the pods need a new node (None: no node autoscaling in the plan)."""
        if not self.node_autoscaling:
            return None
        return sum(s.duration.seconds for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """The path as JSON-ready data."""
        return {
            "on_free_capacity_s": self.on_free_capacity,
            "with_new_node_s": self.with_new_node,
            "steps": [{"step": s.step, "seconds": s.duration.seconds, "new_node": s.new_node,
                       "basis": s.duration.basis, "source": s.duration.source}
                      for s in self.steps if self.node_autoscaling or not s.new_node],
        }


def scale_out_path(graph: ResourceGraph, table: DurationTable | None = None) -> ScaleOut | None:
    """The scale-out path of a plan with HPAs to feed (metrics-server); None without it."""
    table = table or duration_table()
    releases = {str(r.inputs.get("chart", "")).rsplit("/", 1)[-1]
                for r in graph.of_type("kubernetes:helm.sh/v3:Release")}
    if "metrics-server" not in releases:
        return None
    return ScaleOut(list(table.scale_out), any(kind(r) == "NodePool" for r in graph))


@dataclass
class Timeline:
    """Every custom resource's schedule, the critical path, and what runs beside each step."""

    steps: dict[str, Step]
    critical_path: list[Step]
    scale_out: ScaleOut | None = field(default=None)

    @property
    def total(self) -> float:
        """Estimated wall-clock seconds of ``up``."""
        return max((s.finish for s in self.steps.values()), default=0.0)

    @property
    def serial(self) -> float:
        """Seconds if every resource were created one after another."""
        return sum(s.duration.seconds for s in self.steps.values())

    def alongside(self, step: Step) -> list[Step]:
        """Resources off the critical path that are being created while ``step`` runs."""
        on_path = {s.resource.urn for s in self.critical_path}
        return sorted(
            (
                s
                for s in self.steps.values()
                if s.resource.urn not in on_path
                and s.duration.seconds > 0
                and s.start < step.finish
                and s.finish > step.start
            ),
            key=lambda s: (-s.duration.seconds, s.resource.name),
        )

    def to_dict(self) -> dict[str, Any]:
        """The timeline as JSON-ready data."""
        return {
            "total_s": round(self.total, 1),
            "serial_s": round(self.serial, 1),
            "critical_path": [
                {**s.to_dict(), "alongside": [a.resource.name for a in self.alongside(s)]}
                for s in self.critical_path
            ],
            "resources": [s.to_dict() for s in sorted(self.steps.values(), key=_order)],
            "scale_out": self.scale_out.to_dict() if self.scale_out else None,
        }


def _order(step: Step) -> tuple[float, str]:
    return step.start, step.resource.name


def duration_of(resource: PlannedResource, table: DurationTable) -> Duration:
    """How long creating ``resource`` takes."""
    if not resource.custom or resource.type.startswith("pulumi:"):
        return NO_DURATION
    if load_balancer(resource) is not None and kind(resource) == "Service":
        return table.loadbalancer_service
    annotations = dig(resource.inputs, "metadata", "annotations", default={}) or {}
    if WAIT_FOR in annotations and is_custom_resource(resource):
        return table.awaited_custom_resource(kind(resource))
    return table.for_type(resource.type)


class _Scheduler:
    """Earliest finish of each resource (memoised), remembering what held each one back."""

    def __init__(self, graph: ResourceGraph, table: DurationTable) -> None:
        self.graph = graph
        self.table = table
        self.urns = {r.urn for r in graph}
        self.children: dict[str, list[str]] = {}
        for r in graph:
            if r.parent in self.urns:
                self.children.setdefault(r.parent, []).append(r.urn)
        self.finish: dict[str, float] = {}
        self.start: dict[str, float] = {}
        self.blocker: dict[str, str | None] = {}
        self._visiting: set[str] = set()

    def waits_for(self, r: PlannedResource) -> list[str]:
        """What must be finished before ``r`` starts (a component: before it is done)."""
        ancestors = {a.urn for a in self.graph.ancestors(r.urn)}
        found = [d for d in r.dependencies if d in self.urns and d not in ancestors]
        if r.provider in self.urns and r.provider not in ancestors:
            found.append(r.provider)
        return found

    def finish_of(self, urn: str) -> float:
        if urn in self.finish:
            return self.finish[urn]
        if urn in self._visiting:  # a cycle cannot be planned by Pulumi; ignore the back edge
            return 0.0
        self._visiting.add(urn)
        r = self.graph.get(urn)
        before = self.waits_for(r)
        start, blocker = self._latest(before)
        done = start + duration_of(r, self.table).seconds
        if not r.custom:  # a component is done when its last child is
            end, last_child = self._latest(self.children.get(urn, []))
            if end > done:
                done, blocker = end, last_child
        self._visiting.discard(urn)
        self.start[urn], self.finish[urn], self.blocker[urn] = start, done, blocker
        return done

    def _latest(self, urns: list[str]) -> tuple[float, str | None]:
        latest, which = 0.0, None
        for u in sorted(urns):
            t = self.finish_of(u)
            if t > latest or which is None:
                latest, which = t, u
        return latest, which


def critical_path(graph: ResourceGraph, table: DurationTable | None = None) -> Timeline:
    """Schedule every resource as early as its dependencies allow; return the longest chain."""
    table = table or duration_table()
    sched = _Scheduler(graph, table)
    for r in graph:
        sched.finish_of(r.urn)
    steps = {
        r.urn: Step(r, sched.start[r.urn], sched.finish[r.urn], duration_of(r, table))
        for r in graph
        if r.custom and not r.type.startswith("pulumi:")
    }
    path: list[Step] = []
    current = max(sched.finish, key=lambda u: (sched.finish[u], u), default=None)
    while current is not None:
        if current in steps and steps[current].duration.seconds > 0:
            path.append(steps[current])
        current = sched.blocker.get(current)
    path.reverse()
    return Timeline(steps=steps, critical_path=path, scale_out=scale_out_path(graph, table))
