"""Options and helpers shared by commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from marketplace_kit.config import Platform, ServiceSpec

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="marketplace.yaml (default: ./marketplace.yaml, else the built-in dev blueprint).",
        dir_okay=False,
    ),
]

NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Plan afresh: neither read nor write the plan cache."),
]


def resolve_platform(config: Path | None) -> Platform:
    """The platform named by --config, ./marketplace.yaml, or the built-in dev blueprint."""
    from marketplace_kit.config import PLATFORM_FILE, default_platform, load_platform

    if config is not None:
        return load_platform(config)
    local = Path.cwd() / PLATFORM_FILE
    if local.is_file():
        return load_platform(local)
    return default_platform("dev")


def load_service_dir(directory: Path) -> ServiceSpec:
    """The service.yaml of a service directory, or a one-line KitError."""
    from marketplace_kit.config import SERVICE_FILE, load_service
    from marketplace_kit.errors import KitError

    file = directory / SERVICE_FILE
    if not file.is_file():
        raise KitError(f"{directory}: no {SERVICE_FILE}; fix: give the directory of a service")
    return load_service(file)


def refuse_overwriting_inputs(out: Path, platform: Platform, option: str) -> None:
    """An output path (``option``) that is the config, or is or lies inside the services
    folder (every service file is there), is a one-line KitError: outputs never overwrite
    what the platform is read from."""
    from marketplace_kit.errors import KitError

    target = out.resolve()
    config = platform.source.resolve() if platform.source is not None else None
    services = platform.services_dir.resolve() if platform.services_dir is not None else None
    if target == config:
        raise KitError(f"{option} {out}: that is the platform's config; refused, nothing was "
                       "written; fix: give another path")
    if services is not None and target.is_relative_to(services):
        raise KitError(f"{option} {out}: inside the services folder {platform.services_dir}; "
                       "refused, nothing was written; fix: give a path outside it")
