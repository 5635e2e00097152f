"""``cost``, ``timeline``, ``diagram`` and ``check``: what the plan will cost, take, look like
and whether it passes the guardrails, before anything is created."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, NoCacheOption, resolve_platform

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


def _plan(config: Path | None, no_cache: bool) -> tuple[Platform, ResourceGraph]:
    from marketplace_kit.blueprints.plan_cache import cached_plan

    platform = resolve_platform(config)
    return platform, cached_plan(platform, use_cache=not no_cache)


def _cache_dir(no_cache: bool, name: str) -> Path | None:
    """A view's own cache folder beside the plans (None with ``--no-cache`` or no home)."""
    from marketplace_kit import home

    root = None if no_cache else home.cache_dir()
    return root / name if root is not None else None


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def cost(config: ConfigOption = None, format: FormatOption = ReportFormat.table,
         no_cache: NoCacheOption = False) -> None:
    """Monthly cost of the planned platform, per resource, from the shipped price table; with
    its range from minimum (node groups at min size) to maximum (at max size, Karpenter full)."""
    from rich.console import Console

    from marketplace_kit.estimate.scale import scale_range
    from marketplace_kit.estimate.views import print_cost, print_scale_range

    platform, graph = _plan(config, no_cache)
    scale = scale_range(graph, platform.config.region)
    if format is ReportFormat.json:
        _echo_json({**scale.desired.to_dict(), "range": scale.to_dict()})
        return
    console = Console()
    print_cost(scale.desired, console)
    print_scale_range(scale, console)


def timeline(config: ConfigOption = None, format: FormatOption = ReportFormat.table,
         no_cache: NoCacheOption = False) -> None:
    """Estimated wall-clock time of `up`: the critical path and what runs in parallel."""
    from rich.console import Console

    from marketplace_kit.estimate.timeline import critical_path
    from marketplace_kit.estimate.views import print_timeline

    _, graph = _plan(config, no_cache)
    result = critical_path(graph)
    if format is ReportFormat.json:
        _echo_json(result.to_dict())
        return
    print_timeline(result, Console())


def diagram(
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of stdout.", dir_okay=False),
    ] = None,
    format: Annotated[
        DiagramFormat,
        typer.Option("--format", "-f", help="mermaid (renders on GitHub); svg/png via Graphviz."),
    ] = DiagramFormat.mermaid,
    no_cache: NoCacheOption = False,
) -> None:
    """The architecture as a diagram: layers, topics with publishers and consumers, services."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.estimate.addon_groups import groups
    from marketplace_kit.estimate.diagram import build, render

    platform, graph = _plan(config, no_cache)
    cache = _cache_dir(no_cache, "addon-groups")
    data = render(build(graph, platform.services, groups(cache)), format.value)
    if out is None:
        if format is not DiagramFormat.mermaid:
            raise KitError(f"--format {format.value} is binary; fix: add --out FILE")
        typer.echo(data.decode(), nl=False)
        return
    from marketplace_kit.changeset import replace_file

    try:
        replace_file(out, data)
    except OSError as exc:
        raise KitError(f"{out}: cannot be written ({exc.strerror}); fix: check the path") from None
    typer.echo(f"wrote {out}")


def check(config: ConfigOption = None, format: FormatOption = ReportFormat.table,
         no_cache: NoCacheOption = False) -> None:
    """Guardrails over the plan; exit 1 on any violation (one line per finding)."""
    from marketplace_kit.guardrails import RULES, run_checks

    platform, graph = _plan(config, no_cache)
    report = run_checks(graph, production=platform.config.blueprint == "production",
                        schema_cache=_cache_dir(no_cache, "schemas"))
    if format is ReportFormat.json:
        _echo_json(report.to_dict())
    else:
        for f in report.findings:
            typer.echo(f"{f.resource}: {f.rule}: {f.message}; fix: {f.fix}")
        for note in report.notes:
            typer.echo(f"note: {note}")
        verdict = f"{len(report.findings)} violation(s)" if report.findings else "no violations"
        typer.echo(f"{len(RULES)} rules over {len(graph)} resources: {verdict}.")
    if report.findings:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(cost)
    app.command()(timeline)
    app.command()(diagram)
    app.command()(check)
