"""``cost``, ``timeline``, ``diagram`` and ``check``: what the plan will cost, take, look like
and whether it passes the guardrails, before anything is created."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform

if TYPE_CHECKING:
    from marketplace_kit.config import Platform
    from marketplace_kit.plan.graph import ResourceGraph


class ReportFormat(StrEnum):
    table = "table"
    json = "json"


class DiagramFormat(StrEnum):
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


FormatOption = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
]


def _plan(config: Path | None) -> tuple[Platform, ResourceGraph]:
    from marketplace_kit.blueprints.program import plan_platform

    platform = resolve_platform(config)
    return platform, plan_platform(platform)


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def cost(config: ConfigOption = None, format: FormatOption = ReportFormat.table) -> None:
    """Monthly cost of the planned platform, per resource, from the shipped price table."""
    from rich.console import Console

    from marketplace_kit.estimate.cost import estimate
    from marketplace_kit.estimate.views import print_cost

    platform, graph = _plan(config)
    report = estimate(graph, platform.config.region)
    if format is ReportFormat.json:
        _echo_json(report.to_dict())
        return
    print_cost(report, Console())


def timeline(config: ConfigOption = None, format: FormatOption = ReportFormat.table) -> None:
    """Estimated wall-clock time of `up`: the critical path and what runs in parallel."""
    from rich.console import Console

    from marketplace_kit.estimate.timeline import critical_path
    from marketplace_kit.estimate.views import print_timeline

    _, graph = _plan(config)
    result = critical_path(graph)
    if format is ReportFormat.json:
        _echo_json(result.to_dict())
        return
    print_timeline(result, Console())


def register(app: typer.Typer) -> None:
    app.command()(cost)
    app.command()(timeline)
