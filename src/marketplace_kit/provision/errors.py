"""Provisioning errors: one line for the user and an exit code per kind of failure.

Exit codes (also in the README): 2 bad input, 3 something missing on this machine (Pulumi CLI,
credentials, passphrase), 4 stack locked by another update, 5 the engine failed (a resource).
"""

from __future__ import annotations

from marketplace_kit.errors import KitError

INSTALL_PULUMI = "curl -fsSL https://get.pulumi.com | sh"


class ProvisionError(KitError):
    """The engine run failed."""

    exit_code = 5


class MissingPrerequisite(KitError):
    """Something the run needs is missing on this machine."""

    exit_code = 3


class StackLockedError(KitError):
    """Another update holds the stack's lock."""

    exit_code = 4


class NoStackError(KitError):
    """The stack does not exist yet (nothing deployed)."""

    exit_code = 2


def no_cli() -> MissingPrerequisite:
    """The Pulumi CLI is not on PATH."""
    return MissingPrerequisite(
        f"the Pulumi CLI is not installed (no `pulumi` on PATH); fix: {INSTALL_PULUMI} "
        "and open a new shell (or add ~/.pulumi/bin to PATH)"
    )


def no_aws_credentials(detail: str = "") -> MissingPrerequisite:
    """No AWS credentials for the aws target."""
    found = f" ({detail})" if detail else ""
    return MissingPrerequisite(
        f"no AWS credentials found{found}; fix: run `aws configure` (or `aws sso login "
        "--profile NAME` and export AWS_PROFILE=NAME), or export AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY"
    )
