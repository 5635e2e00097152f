"""The offline plan: run a Pulumi program function under the SDK mocks and record its graph.

``plan_program`` (the engine, and with it the Pulumi SDK) is imported on first use, so a command
that reads a cached graph (``marketplace_kit.plan.graph``) never loads the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

if TYPE_CHECKING:
    from marketplace_kit.plan.engine import plan_program

__all__ = ["PlannedResource", "ResourceGraph", "plan_program"]


def __getattr__(name: str) -> Any:
    if name == "plan_program":
        from marketplace_kit.plan.engine import plan_program

        return plan_program
    raise AttributeError(f"module 'marketplace_kit.plan' has no attribute {name!r}")
