"""marketplace-kit: a platform kit for event-driven marketplaces on AWS, in Python and Pulumi.

The offline plan is public: ``marketplace_kit.plan_program(program)`` runs any Pulumi program
function under the SDK mocks and returns its :class:`ResourceGraph` (no cloud account, no Pulumi
CLI). Both are imported on first use, so importing the package (and starting the CLI) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marketplace_kit.plan import PlannedResource, ResourceGraph, plan_program

__version__ = "0.1.0"
__all__ = ["PlannedResource", "ResourceGraph", "__version__", "plan_program"]
_LAZY = frozenset({"PlannedResource", "ResourceGraph", "plan_program"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from marketplace_kit import plan

        return getattr(plan, name)
    raise AttributeError(f"module 'marketplace_kit' has no attribute {name!r}")
