"""Finding the Pulumi CLI binary on this machine: where it is and whether it is recent enough."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from marketplace_kit.platform.versions import PULUMI_CLI_MINIMUM
from marketplace_kit.provision.errors import MissingPrerequisite, no_cli


@dataclass(frozen=True)
class PulumiCli:
    """A located Pulumi CLI."""

    path: str
    version: str


def _parse(version: str) -> tuple[int, ...]:
    core = version.strip().lstrip("v").split("-")[0].split("+")[0]
    return tuple(int(part) for part in core.split(".") if part.isdigit())


def find_cli() -> PulumiCli:
    """The Pulumi CLI on PATH at or above the minimum version, or a one-line error with the fix."""
    path = shutil.which("pulumi")
    if path is None:
        raise no_cli()
    try:
        out = subprocess.run(
            [path, "version"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise MissingPrerequisite(
            f"`{path} version` failed ({exc.__class__.__name__}); fix: reinstall the Pulumi CLI: "
            "curl -fsSL https://get.pulumi.com | sh"
        ) from None
    version = out.lstrip("v")
    if _parse(version) < _parse(PULUMI_CLI_MINIMUM):
        raise MissingPrerequisite(
            f"Pulumi CLI {version or '(unknown version)'} is older than {PULUMI_CLI_MINIMUM}; "
            "fix: upgrade it: curl -fsSL https://get.pulumi.com | sh"
        )
    return PulumiCli(path=path, version=version)
