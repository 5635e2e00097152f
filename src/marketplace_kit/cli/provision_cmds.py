"""``init``, ``doctor``, ``preview``, ``up``, ``destroy``, ``refresh``, ``outputs``.

Thin commands over ``marketplace_kit.provision``; the Automation API and rich load inside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform

if TYPE_CHECKING:
    from marketplace_kit.provision.operations import Outcome, Session
    from marketplace_kit.provision.progress import Progress

StackOption = Annotated[
    str | None,
    typer.Option("--stack", "-s", help="Stack name (default: the blueprint name)."),
]
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Pulumi state backend URL, e.g. s3://BUCKET or https://api.pulumi.com "
        "(default: file://<config dir>/.marketplace-kit/state, no account needed).",
    ),
]
SecretsOption = Annotated[
    str | None,
    typer.Option(
        "--secrets-provider",
        help="How the stack's secrets are encrypted when it is created: passphrase (default; "
        "PULUMI_CONFIG_PASSPHRASE or a generated .marketplace-kit/passphrase) or "
        "awskms://alias/NAME?region=REGION.",
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (CI, scripts).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout (no live display).")
]
RemoveOption = Annotated[
    bool, typer.Option("--remove", help="Also remove the emptied stack (its history too).")
]


def _warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def _confirm(text: str) -> bool:
    """Ask on stderr; no (or end of input, Ctrl-C) declines. No `import click`: typer >= 0.29
    vendors it and no longer depends on it, so a plain install has no click to import."""
    typer.echo(text, err=True)
    try:
        return typer.confirm("Proceed?", default=False, err=True)
    except typer.Abort:
        return False


def _live(progress: Progress, title: str) -> AbstractContextManager[object]:
    @contextmanager
    def shown() -> Iterator[None]:
        from rich.console import Console
        from rich.live import Live

        from marketplace_kit.provision.progress import render

        console = Console(stderr=True)
        if not console.is_terminal:  # CI logs: one line per engine run, at its end (its
            try:  # messages come once, in the summary)
                yield
            finally:
                console.print(render(progress, title, messages=False))
            return
        with Live(
            get_renderable=lambda: render(progress, title),
            console=console,
            refresh_per_second=4,
        ):
            yield

    return shown()


def _quiet(progress: Progress, title: str) -> AbstractContextManager[object]:
    return nullcontext()


def session_for(
    command: str,
    config: Path | None,
    stack: str | None,
    backend: str | None,
    secrets_provider: str | None = None,
    yes: bool = True,
    as_json: bool = False,
) -> Session:
    """A command's session over the platform's stack (the options every stack command takes)."""
    from marketplace_kit.provision.operations import Session
    from marketplace_kit.provision.settings import resolve_settings
    from marketplace_kit.provision.stack_keys import platform_provider

    platform = resolve_platform(config)
    settings = resolve_settings(platform, stack, backend, secrets_provider)
    platform_provider(settings.secrets_provider, platform)
    return Session(
        command=command,
        platform=platform,
        settings=settings,
        display=_quiet if as_json else _live,
        warn=_warn,
        confirm=None if yes else _confirm,
    )


def _report(outcome: Outcome, as_json: bool, show_secrets: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(outcome.to_json(show_secrets), indent=2, default=str))
    else:
        from marketplace_kit.provision.summary import summary_lines

        for line in summary_lines(outcome, show_secrets):
            typer.echo(line)
    if outcome.result == "cancelled":
        raise typer.Exit(1)


def preview(
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what `up` would change in the real stack (runs the engine; changes nothing)."""
    from marketplace_kit.provision import operations
    from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci

    refuse_file_backend_in_ci(backend)
    session = session_for("preview", config, stack, backend, secrets_provider, as_json=as_json)
    _report(operations.preview(session), as_json)


def up(
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    allow_delete: Annotated[
        bool,
        typer.Option("--allow-delete", help="Let up delete or replace services, databases, "
                     "topics or the cluster (without it, --yes refuses such a plan and the "
                     "prompt lists them)."),
    ] = False,
) -> None:
    """Create or update the platform: preview, confirm, then provision with live progress."""
    from marketplace_kit.provision import operations
    from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci

    refuse_file_backend_in_ci(backend)
    session = session_for("up", config, stack, backend, secrets_provider, yes, as_json)
    session.allow_delete = allow_delete
    _report(operations.up(session), as_json)


def destroy(
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    remove: RemoveOption = False,
    lift_deletion_protection: Annotated[
        bool,
        typer.Option(
            "--lift-deletion-protection",
            help="Delete production databases too: turn their deletion protection off first "
            "(final snapshots are kept). Asked interactively without --yes.",
        ),
    ] = False,
    with_services: Annotated[
        bool,
        typer.Option(
            "--with-services",
            help="Destroy the service stacks still running on the platform first (without it, "
            "destroy refuses while one holds resources).",
        ),
    ] = False,
) -> None:
    """Tear the platform down in one command.

    Load balancers, volumes and Kafka resources that Kubernetes created go first, while the
    cluster still runs, so nothing left behind keeps the VPC alive; then everything else.
    """
    from marketplace_kit.provision import operations

    session = session_for("destroy", config, stack, backend, None, yes, as_json)
    session.remove, session.lift_protection = remove, lift_deletion_protection
    session.with_services = with_services
    _report(operations.destroy(session), as_json)


def refresh(
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Read every resource back from the cloud and bring the stack's state in line with it."""
    from marketplace_kit.provision import operations

    session = session_for("refresh", config, stack, backend, None, yes, as_json)
    _report(operations.refresh(session), as_json)


def outputs(
    name: Annotated[
        str | None, typer.Argument(help="Print only this output's raw value (e.g. for a file).")
    ] = None,
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print secret outputs in plain text.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print the stack's outputs (no cloud access needed)."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.provision import operations

    outcome = operations.outputs(session_for("outputs", config, stack, backend, as_json=as_json))
    if name is None:
        _report(outcome, as_json, show_secrets)
        return
    if name not in outcome.outputs:
        known = ", ".join(sorted(outcome.outputs)) or "none"
        raise KitError(f"no output {name!r} in the stack (outputs: {known})")
    value, secret = outcome.outputs[name]
    if secret and not show_secrets:
        raise KitError(f"output {name!r} is a secret; fix: add --show-secrets")
    typer.echo(value if isinstance(value, str) else json.dumps(value))


class Blueprint(StrEnum):
    dev = "dev"
    production = "production"
    local = "local"


def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to write marketplace.yaml (created if missing).")
    ] = Path("."),
    name: Annotated[
        str, typer.Option("--name", help="Platform name (DNS label; prefixes resources).")
    ] = "marketplace",
    blueprint: Annotated[
        Blueprint, typer.Option("--blueprint", "-b", help="dev, production or local.")
    ] = Blueprint.dev,
    region: Annotated[str, typer.Option("--region", help="AWS region.")] = "us-east-1",
) -> None:
    """Start a platform: a commented marketplace.yaml and an empty services/ (never overwrites)."""
    from marketplace_kit.provision.starter import write_starter

    for path in write_starter(directory, name, blueprint.value, region):
        typer.echo(f"wrote {path}")
    typer.echo("next: marketplace-kit doctor, then marketplace-kit plan")


def doctor(
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check this machine can provision: Pulumi CLI and plugins, AWS credentials, region and
    CLI, the state backend, the secrets provider, the route to the cluster API (or kube
    context)."""
    from marketplace_kit.provision.doctor import run_checks
    from marketplace_kit.provision.settings import resolve_settings

    platform = resolve_platform(config)
    checks = run_checks(platform, resolve_settings(platform, stack, backend, secrets_provider))
    if as_json:
        typer.echo(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        marks = {"ok": "✓", "warn": "!", "fail": "✗"}
        for check in checks:
            typer.echo(f"{marks[check.status]} {check.name}: {check.detail}")
            if check.fix:
                typer.echo(f"    fix: {check.fix}")
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for command in (init, doctor, preview, up, destroy, refresh, outputs):
        app.command()(command)
