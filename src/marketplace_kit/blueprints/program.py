"""The one program function per platform: what ``plan`` records and what ``up`` deploys."""

from __future__ import annotations

from collections.abc import Callable

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS, DeployInputs
from marketplace_kit.config import Platform
from marketplace_kit.plan.graph import ResourceGraph


def platform_program(
    platform: Platform, inputs: DeployInputs | None = None
) -> Callable[[], None]:
    """The Pulumi program for a platform, per its blueprint."""
    from marketplace_kit.blueprints.compose import build_platform

    def program() -> None:
        build_platform(platform, inputs)

    return program


def plan_platform(platform: Platform, inputs: DeployInputs = PLAN_INPUTS) -> ResourceGraph:
    """Plan a platform offline (the deployer's address shown as ``PLAN_DEPLOYER_CIDR``; other
    ``inputs``: what a run reads from a stack's state, such as the creator-admin flag)."""
    from marketplace_kit.plan import plan_program

    return plan_program(
        platform_program(platform, inputs),
        project=platform.config.name,
        stack=platform.config.blueprint,
        region=platform.config.region,
    )
