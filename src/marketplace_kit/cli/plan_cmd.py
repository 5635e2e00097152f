"""``marketplace-kit plan``: what ``up`` would build, offline, in seconds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform


class PlanFormat(StrEnum):
    table = "table"
    json = "json"


def plan(
    config: ConfigOption = None,
    format: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = PlanFormat.table,
) -> None:
    """Plan the platform offline (Pulumi SDK mocks): no cloud account, no Pulumi CLI."""
    from marketplace_kit.blueprints.program import plan_platform

    platform = resolve_platform(config)
    graph = plan_platform(platform)
    if format is PlanFormat.json:
        typer.echo(graph.to_json(), nl=False)
        return
    from marketplace_kit.plan.table import print_table

    print_table(graph, title=f"{platform.config.name} ({platform.config.blueprint} blueprint)")
    from marketplace_kit.estimate.views import plan_summary

    typer.echo(plan_summary(graph, platform.config.region))


def register(app: typer.Typer) -> None:
    app.command()(plan)
