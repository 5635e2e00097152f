"""Small hand-made plans (and the real blueprints, planned once) for the estimate tests."""

from __future__ import annotations

from functools import cache
from typing import Any

from marketplace_kit.estimate.reference import seed_design
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

PREFIX = "urn:pulumi:test::proj::"
__all__ = ["blueprint", "res", "seed_design"]


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    deps: tuple[str, ...] = (),
    parent: str | None = None,
    provider: str | None = None,
    custom: bool = True,
) -> PlannedResource:
    """A planned resource with a URN derived from its type and name."""
    return PlannedResource(
        urn=f"{PREFIX}{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        dependencies=deps,
        provider=provider,
        inputs=inputs or {},
        custom=custom,
    )


@cache
def blueprint(name: str) -> ResourceGraph:
    """The plan of a built-in blueprint (planned once per test session)."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform

    return plan_platform(default_platform(name))
