"""What a guardrail rule is: a plain function from the plan to findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from marketplace_kit.plan import fakes
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.render.manifests import Manifest, is_kubernetes_object, manifest_of


@dataclass(frozen=True)
class Finding:
    """One violation: which resource, which rule, what is wrong and how to fix it."""

    resource: str
    urn: str
    rule: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """The finding as JSON-ready data."""
        return {
            "resource": self.resource,
            "urn": self.urn,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class CheckContext:
    """The plan under check, and whether the production rules apply."""

    graph: ResourceGraph
    production: bool = False
    notes: list[str] = field(default_factory=list)
    today: date = field(default_factory=date.today)  # support windows are judged on this day
    schema_cache: Path | None = None  # where schema verdicts are kept (None: validate each time)

    @cached_property
    def objects(self) -> list[tuple[PlannedResource, Manifest]]:
        """Every Kubernetes object of the plan, with the resource that creates it."""
        return [(r, manifest_of(r)) for r in self.graph if is_kubernetes_object(r)]

    def of_kind(self, *kinds: str) -> list[tuple[PlannedResource, Manifest]]:
        """The Kubernetes objects of some kinds."""
        return [(r, m) for r, m in self.objects if m.kind in kinds]

    @cached_property
    def by_fake_id(self) -> dict[str, PlannedResource]:
        """Resources by the physical id the plan gave them (ids inside other inputs)."""
        return {fakes.fake_id(r.type, r.name): r for r in self.graph if r.custom}

    def resource(self, urn: str) -> PlannedResource | None:
        """The resource with this URN, if it is in the plan."""
        try:
            return self.graph.get(urn)
        except KeyError:
            return None


RuleFn = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered guardrail."""

    id: str
    title: str
    check: RuleFn


def finding(resource: PlannedResource, rule: str, message: str, fix: str) -> Finding:
    """A finding about a plan resource."""
    return Finding(resource.name, resource.urn, rule, message, fix)


def truthy(value: Any) -> bool:
    """True for ``True`` and ``"true"`` (AWS and Kubernetes both use string booleans)."""
    return value is True or str(value).lower() == "true"
