"""The platform's `destroy` while service stacks still run on it: refused, or them first.

Each service stack (project ``<platform>-<service>``, the platform's stack name, same backend)
reads the platform through a StackReference and owns objects in its cluster. Destroying the
platform under them would leave their state naming objects that no longer exist (and, on AWS,
their roles and load balancers holding the VPC). So ``destroy`` lists the backend's stacks
(``pulumi stack ls --all``) and refuses while one of them holds resources, unless asked to
destroy them first (``--with-services``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from marketplace_kit.errors import KitError
from marketplace_kit.provision.settings import StackSettings

if TYPE_CHECKING:
    from pulumi import automation as auto

BOOTSTRAP_SUFFIX = "-bootstrap"  # the state backend's own stack is not a service


def live_service_stacks(stack: auto.Stack, settings: StackSettings) -> list[str]:
    """Projects ``<platform>-*`` in the same backend with a stack of this name holding resources
    (the platform stack's own excluded), in name order."""
    prefix = f"{settings.project}-"
    found = set()
    for summary in stack.workspace.list_stacks(include_all=True):
        parts = summary.name.split("/")
        if len(parts) < 2 or parts[-1] != settings.stack:
            continue
        project = parts[-2]
        if (project.startswith(prefix) and not project.endswith(BOOTSTRAP_SUFFIX)
                and (summary.resource_count or 0) > 0):
            found.add(project)
    return sorted(found)


def refuse(projects: list[str], settings: StackSettings) -> KitError:
    """The one line when service stacks still run on the platform."""
    names = ", ".join(f"{p}/{settings.stack}" for p in projects)
    return KitError(
        f"destroy: service stacks still run on this platform ({names}); fix: destroy them first "
        "(`marketplace-kit destroy --with-services` does it), or keep the platform"
    )


def service_settings(settings: StackSettings, project: str) -> StackSettings:
    """Where a service stack lives: the platform's backend and stack name, its own project and
    workspace (as `deploy-service` opens it)."""
    service = project.removeprefix(f"{settings.project}-")
    return replace(settings, project=project, workspace=f"workspace-{service}")
