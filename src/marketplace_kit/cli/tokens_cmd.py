"""``marketplace-kit rotate-signing-key``: a new signing key for the platform's tokens."""

from __future__ import annotations

import typer

from marketplace_kit.cli.common import ConfigOption


def rotate_signing_key(config: ConfigOption = None) -> None:
    """Add a new signing key id to marketplace.yaml (tokens.signing_keys) and drop the keys no
    unexpired token can carry; `marketplace-kit up` then creates the key, publishes it and
    restarts the issuing service with it. Tokens signed by the previous key keep verifying."""
    from datetime import UTC, datetime
    from pathlib import Path

    from marketplace_kit.config import PLATFORM_FILE
    from marketplace_kit.errors import KitError
    from marketplace_kit.signing.rotation import rotate

    file = config or Path.cwd() / PLATFORM_FILE
    if not file.is_file():
        raise KitError(f"{file}: no such file; fix: run in the platform's directory or pass "
                       "--config marketplace.yaml")
    old, new = rotate(file, datetime.now(UTC))
    dropped = [k for k in old if k not in new]
    typer.echo(f"{file}: signing key {new[-1]} added; keys now {', '.join(new)}"
               + (f" (dropped {', '.join(dropped)})" if dropped else ""))
    typer.echo("next: marketplace-kit up (creates the key, publishes it, restarts the issuer)")


def register(app: typer.Typer) -> None:
    app.command("rotate-signing-key")(rotate_signing_key)
