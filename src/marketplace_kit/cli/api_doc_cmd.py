"""``marketplace-kit api-doc``: the gateway's one API document, merged from every service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.errors import KitError


def api_doc(
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, help="Write the document here (default: "
                     "standard output)."),
    ] = None,
) -> None:
    """Merge the services' OpenAPI documents (each built from its own code) into the one the
    gateway serves at /openapi.json. A path or schema name two services define differently is
    an error here, before anything is deployed."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from marketplace_kit.contract.openapi import merge_openapi
    from marketplace_kit.contract.service_documents import service_document
    from marketplace_kit.devrun.services import local_services

    if out is not None and not out.parent.is_dir():
        raise KitError(f"{out.parent}: no such directory; fix: create it or choose another --out")
    services = local_services(resolve_platform(config))
    with ThreadPoolExecutor() as pool:  # one subprocess each, in parallel
        built = pool.map(lambda s: service_document(s.name, s.spec.package, s.directory),
                         services)
        documents = dict(zip((s.name for s in services), built, strict=True))
    merged = merge_openapi(documents, {s.name: s.spec.route_prefix for s in services})
    text = json.dumps(merged, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        partial = out.with_name(f".{out.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)  # whole or not at all
        typer.echo(f"wrote the API document of {len(services)} services "
                   f"({len(merged['paths'])} paths) to {out}")


def register(app: typer.Typer) -> None:
    app.command("api-doc")(api_doc)
