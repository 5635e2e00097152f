"""``marketplace-kit bootstrap``: the durable state backend CI deploys need (``cdk bootstrap``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.cli.plan_cmd import PlanFormat
from marketplace_kit.cli.provision_cmds import (
    BackendOption,
    JsonOption,
    YesOption,
    _confirm,
    _live,
    _quiet,
    _report,
    _warn,
)


def bootstrap(
    config: ConfigOption = None,
    plan: Annotated[
        bool, typer.Option("--plan", help="Plan the bootstrap stack offline; create nothing.")
    ] = False,
    format: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="--plan output: table or json.")
    ] = PlanFormat.table,
    backend: BackendOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Create an S3 state bucket (versioned, KMS-encrypted, private, TLS-only), its KMS key and
    the platform stack's secrets key (explicit key policies; each service stack's key comes
    with its deploy role), then print the repository variables CI deploys with. The bootstrap
    stack's own state goes to --backend (default: the local file backend beside
    marketplace.yaml)."""
    from marketplace_kit.bootstrap import program as boot

    platform = resolve_platform(config)
    boot.require_aws(platform)
    if plan:
        graph = boot.plan_bootstrap(platform)
        if format is PlanFormat.json:
            typer.echo(graph.to_json(), nl=False)
            return
        from marketplace_kit.plan.table import print_table

        print_table(graph, title=f"{boot.project(platform)} (state backend)")
        return
    from marketplace_kit.provision import operations
    from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci
    from marketplace_kit.provision.settings import resolve_settings

    refuse_file_backend_in_ci(backend)
    settings = replace(resolve_settings(platform, boot.STACK, backend),
                       project=boot.project(platform), workspace="workspace-bootstrap")
    session = operations.Session(
        command="bootstrap",
        platform=platform,
        settings=settings,
        display=_quiet if as_json else _live,
        warn=_warn,
        confirm=None if yes else _confirm,
        program=boot.bootstrap_program(platform),
    )
    outcome = operations.up(session)
    if outcome.result == "no-changes":  # up reports outputs only when it ran
        outcome.outputs = operations.outputs(session).outputs
    _report(outcome, as_json)
    if not as_json:
        typer.echo("repository variables for the service workflows (and `up`):")
        for output, variable in boot.OUTPUTS.items():
            typer.echo(f"  {variable}={outcome.outputs[output][0]}")
        if all(output in outcome.outputs for output in boot.CONFIG_OUTPUTS):
            typer.echo("marketplace.yaml:")
            for output, key in boot.CONFIG_OUTPUTS.items():
                typer.echo(f"  {key}: {outcome.outputs[output][0]}")


def register(app: typer.Typer) -> None:
    app.command()(bootstrap)
