"""Run a Pulumi program function offline and return its resource graph.

The program is the very function that ``up`` hands to the Automation API: the plan is what
``up`` would register.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace_kit.plan import fakes
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.recorder import ResourceMocks, run_under_mocks


def plan_program(
    program: Callable[[], None],
    *,
    project: str = "marketplace",
    stack: str = "plan",
    region: str = "us-east-1",
) -> ResourceGraph:
    """Run ``program`` under the SDK mocks and record every resource it registers."""

    def new_resource(
        type_: str, name: str, inputs: dict[str, Any], import_id: str
    ) -> tuple[str, dict[str, Any]]:
        resource_id, state = fakes.new_resource(type_, name, inputs, region)
        return import_id or resource_id, state

    def call(token: str, args: dict[str, Any]) -> dict[str, Any]:
        return fakes.call(token, args, region)

    return ResourceGraph(
        run_under_mocks(program, ResourceMocks(new_resource, call), project=project, stack=stack)
    )
