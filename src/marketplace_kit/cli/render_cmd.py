"""``marketplace-kit render``: the plan's Kubernetes manifests and Helm releases as YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import (
    ConfigOption,
    NoCacheOption,
    refuse_overwriting_inputs,
    resolve_platform,
)


def render(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write (created; must be empty).",
                           file_okay=False)
    ],
    config: ConfigOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace what an earlier render wrote to --out (refused "
                     "when --out holds anything else, the config or the services)."),
    ] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Write every Kubernetes object and Helm release of the plan as YAML under --out."""
    from marketplace_kit.blueprints.plan_cache import cached_plan
    from marketplace_kit.render.writer import check_target, render_plan

    platform = resolve_platform(config)
    keep = [path for path in (platform.source, platform.services_dir) if path is not None]
    refuse_overwriting_inputs(out, platform, "--out")
    check_target(out, force, keep)  # before the plan: a refused --out costs nothing
    graph = cached_plan(platform, use_cache=not no_cache)
    result = render_plan(graph, out, force=force, keep=keep)
    typer.echo(
        f"wrote {result.manifests} manifests and {result.releases} Helm releases to {result.out}"
    )


def register(app: typer.Typer) -> None:
    app.command()(render)
