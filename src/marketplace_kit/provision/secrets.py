"""The passphrase that encrypts a stack's secrets (when the secrets provider is ``passphrase``).

Taken from PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE when set; otherwise read from
``.marketplace-kit/passphrase``, generated there once (mode 0600) for a stack that does not exist
yet, with a warning to keep it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from marketplace_kit.provision.settings import StackSettings

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only; never overwrite (O_EXCL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def passphrase_env(
    settings: StackSettings,
    *,
    may_generate: bool,
    warn: Callable[[str], None],
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """Environment variables that give the Pulumi CLI the stack's passphrase.

    A passphrase variable that is set, even to "", is the passphrase (the CLI reads it with
    LookupEnv). ``may_generate`` is true only once the backend said the stack does not exist:
    a passphrase made up for an existing stack (on S3, another machine's) would not decrypt it.
    Without a passphrase for an existing stack nothing is set: a KMS stack needs none (the CLI
    falls back to the state's secrets manager), a passphrase stack fails with the fix.
    """
    if not settings.uses_passphrase or any(var in environ for var in PASSPHRASE_VARS):
        return {}
    path = settings.passphrase_file
    if not path.is_file():
        if not may_generate:
            return {}
        _write_private(path, secrets.token_urlsafe(32) + "\n")
        warn(
            f"generated the passphrase that encrypts this stack's secrets in {path} "
            "(mode 0600): keep a copy in your password manager; without it the stack's "
            "secrets cannot be decrypted"
        )
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}
