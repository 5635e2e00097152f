"""``marketplace-kit rotate-signing-key``: a new signing key for the platform's tokens."""

from __future__ import annotations

import typer

from marketplace_kit.cli.common import ConfigOption


def rotate_signing_key(config: ConfigOption = None) -> None:
    """Add a signing key to marketplace.yaml (tokens.signing_keys) that starts signing in 15
    minutes, and drop the keys no unexpired token can carry. Run `marketplace-kit up` within
    those minutes: it creates the key and publishes it (the issuer picks it up without a
    restart). Tokens signed by the previous key keep verifying until they expire."""
    from datetime import UTC, datetime
    from pathlib import Path

    from marketplace_kit.config import PLATFORM_FILE
    from marketplace_kit.errors import KitError
    from marketplace_kit.signing_rotation import rotate

    file = config or Path.cwd() / PLATFORM_FILE
    if not file.is_file():
        raise KitError(f"{file}: no such file; fix: run in the platform's directory or pass "
                       "--config marketplace.yaml")
    old, new = rotate(file, datetime.now(UTC))
    dropped = [k for k in old if k not in new]
    typer.echo(f"{file}: signing key {new[-1]} added (signs from {new[-1]}); keys now "
               f"{', '.join(new)}" + (f" (dropped {', '.join(dropped)})" if dropped else ""))
    typer.echo("next: marketplace-kit up, before the new key starts signing")


def register(app: typer.Typer) -> None:
    app.command("rotate-signing-key")(rotate_signing_key)
