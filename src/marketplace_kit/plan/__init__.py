"""The offline plan: run a Pulumi program function under the SDK mocks and record its graph."""

from marketplace_kit.plan.engine import plan_program
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

__all__ = ["PlannedResource", "ResourceGraph", "plan_program"]
