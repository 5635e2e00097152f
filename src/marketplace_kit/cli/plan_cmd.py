"""``marketplace-kit plan``: what ``up`` would build, offline, in seconds."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, NoCacheOption, resolve_platform


class PlanFormat(StrEnum):
    table = "table"
    json = "json"


def plan(
    config: ConfigOption = None,
    format: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = PlanFormat.table,
    service: Annotated[
        Path | None,
        typer.Option("--service", metavar="DIR", file_okay=False,
                     help="Plan only this service's own stack (its service.yaml), the platform "
                     "stack it reads mocked from the platform's plan."),
    ] = None,
    program: Annotated[
        Path | None,
        typer.Option("--program", metavar="PATH",
                     help="Plan a Pulumi program of your own instead (a Python file, or a "
                     "project directory with Pulumi.yaml), run as `pulumi up` runs it."),
    ] = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Plan the platform offline (Pulumi SDK mocks): no cloud account, no Pulumi CLI."""
    if program is not None:
        _plan_program(program, config, service, format)
        return
    from marketplace_kit.blueprints.plan_cache import cached_plan

    platform = resolve_platform(config)
    if service is not None:
        from marketplace_kit.blueprints.projects import service_project
        from marketplace_kit.blueprints.service_plan import plan_service
        from marketplace_kit.cli.common import load_service_dir

        spec = load_service_dir(service)
        graph = plan_service(platform, spec)
        title = f"{service_project(platform, spec)} (service stack)"
    else:
        graph = cached_plan(platform, use_cache=not no_cache)
        title = f"{platform.config.name} ({platform.config.blueprint} blueprint)"
    if format is PlanFormat.json:
        typer.echo(graph.to_json(), nl=False)
        return
    from marketplace_kit.plan.table import print_table

    print_table(graph, title=title)
    from marketplace_kit.estimate.views import plan_summary

    typer.echo(plan_summary(graph, platform.config.region))


def _plan_program(program: Path, config: Path | None, service: Path | None,
                  format: PlanFormat) -> None:
    from marketplace_kit.errors import KitError
    from marketplace_kit.plan.program_file import plan_program_file

    if config is not None or service is not None:
        raise KitError("--program plans your own program: it takes no --config or --service; "
                       "fix: give one of them")
    graph = plan_program_file(program)
    if format is PlanFormat.json:
        typer.echo(graph.to_json(), nl=False)
        return
    from marketplace_kit.plan.table import print_table

    print_table(graph, title=f"{program} (your program)")


def register(app: typer.Typer) -> None:
    app.command()(plan)
