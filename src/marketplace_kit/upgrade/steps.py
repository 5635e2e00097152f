"""The step model of an upgrade plan: what each step changes, replaces, takes and undoes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace_kit.estimate.data import Duration
from marketplace_kit.platform.pins import Pins


@dataclass(frozen=True)
class Step:
    """One step of an upgrade, applied after the ones before it.

    Attributes:
        id: Stable name the order rules (and tests) refer to, e.g. ``eks:1.34``.
        title: One line: what moves from where to where.
        changes: What the step changes.
        replaces: What it replaces (nodes drained within their PDBs); never a stateful resource.
        duration: Expected wall-clock time (the timeline model's durations).
        rollback: How to undo it (or why it cannot be undone).
        pins: The versions an ``up`` deploys once this step and those before it are done
            (everything not moved yet at what runs): what ``upgrade --apply`` holds for it.
        made_by: Who makes the step when ``up`` does not (an operator, on its own), and how to
            see it done; empty: ``up`` makes it.
    """

    id: str
    title: str
    changes: tuple[str, ...]
    duration: Duration
    rollback: str
    replaces: tuple[str, ...] = ()
    pins: Pins | None = None
    made_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data."""
        return {"id": self.id, "title": self.title, "changes": list(self.changes),
                "replaces": list(self.replaces), "duration_s": self.duration.seconds,
                "duration_basis": self.duration.basis, "duration_source": self.duration.source,
                "rollback": self.rollback,
                "made_by": self.made_by,
                "pins": None if self.pins is None else self.pins.to_dict()}


@dataclass(frozen=True)
class UpgradePlan:
    """The ordered steps from what runs to the pins, and what the plan could not move."""

    source: str  # where the state was read from
    running_kubernetes: str | None
    target_kubernetes: str
    addon_source: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def seconds(self) -> float:
        """The expected time of every step, one after another."""
        return sum(s.duration.seconds for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {"source": self.source, "running_kubernetes": self.running_kubernetes,
                "target_kubernetes": self.target_kubernetes, "addon_source": self.addon_source,
                "duration_s": self.seconds, "steps": [s.to_dict() for s in self.steps],
                "notes": list(self.notes)}
