"""Plans shared by the platform tests (each planned once per test session)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS
from marketplace_kit.config import Platform, default_platform, parse_platform
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.plan import ResourceGraph, plan_program


@dataclass
class FoundationPlan:
    """The graph of a foundation-only program and the Foundation it returned."""

    graph: ResourceGraph
    foundation: Foundation


def plan_foundation(platform: Platform) -> FoundationPlan:
    """Plan only the network and cluster layers of a platform (no in-cluster layers)."""
    from marketplace_kit.blueprints.base import build_foundation

    found: list[Foundation] = []
    graph = plan_program(
        lambda: found.append(build_foundation(platform, PLAN_INPUTS)),
        project=platform.config.name,
        stack=platform.config.blueprint,
        region=platform.config.region,
    )
    return FoundationPlan(graph, found[0])


@cache
def foundation(blueprint: str) -> FoundationPlan:
    """The foundation of a built-in blueprint."""
    return plan_foundation(default_platform(blueprint))


def platform_from(data: dict[str, object]) -> Platform:
    """A platform from an inline marketplace.yaml mapping."""
    return Platform(config=parse_platform(data, Path("<test>")))


@cache
def full_plan(blueprint: str) -> ResourceGraph:
    """The whole platform of a built-in blueprint, as ``marketplace-kit plan`` sees it."""
    from marketplace_kit.blueprints.program import plan_platform

    return plan_platform(default_platform(blueprint))
