"""Small hand-made plans (and the real blueprints, planned once) for the estimate tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from marketplace_kit.estimate.reference import seed_design
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

PREFIX = "urn:pulumi:test::proj::"
__all__ = ["PLATFORMS", "blueprint", "is_production", "res", "seed_design"]


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


REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "marketplace" / "marketplace.yaml"
PLATFORMS = ["dev", "production", "reference"]


@cache
def blueprint(name: str) -> ResourceGraph:
    """The plan of a built-in blueprint, or of the reference marketplace (planned once)."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform, load_platform

    if name == "reference":
        if not REFERENCE.is_file():
            pytest.skip("the reference marketplace (examples/marketplace) is not in this build")
        return plan_platform(load_platform(REFERENCE))
    return plan_platform(default_platform(name))


def is_production(name: str) -> bool:
    """Whether the production-only rules apply to a platform of PLATFORMS."""
    if name == "reference":
        from marketplace_kit.config import load_platform

        return load_platform(REFERENCE).config.blueprint == "production"
    return name == "production"
