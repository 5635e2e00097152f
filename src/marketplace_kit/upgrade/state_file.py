"""A recorded stack state: ``pulumi stack export`` output (or its ``deployment`` alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marketplace_kit.errors import KitError
from marketplace_kit.provision.teardown import state_resources


def deployment_of(exported: Any, where: str) -> dict[str, Any]:
    """The deployment of an export (``{"version": 3, "deployment": ...}``) or a bare deployment;
    a one-line KitError when it holds no resources (nothing is deployed)."""
    deployment = exported.get("deployment", exported) if isinstance(exported, dict) else None
    if not isinstance(deployment, dict) or not isinstance(deployment.get("resources"), list):
        raise KitError(f"{where}: not a stack state (no deployment.resources); fix: give the "
                       "output of `pulumi stack export`")
    if not state_resources(deployment):
        raise KitError(f"{where}: the state holds no resources, nothing is deployed; fix: "
                       "`marketplace-kit up` first (or give the stack that runs)")
    return deployment


def read_state_file(path: Path) -> dict[str, Any]:
    """The deployment recorded in ``path``, or a one-line KitError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KitError(f"{path}: no such state file; fix: `pulumi stack export --file "
                       f"{path}` (or leave --state out to read the stack)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KitError(f"{path}: cannot read the state ({exc}); fix: give a readable "
                       "`pulumi stack export` file") from None
    try:
        exported = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KitError(f"{path}: not JSON (line {exc.lineno}: {exc.msg}); fix: give the output "
                       "of `pulumi stack export`") from None
    return deployment_of(exported, str(path))
