"""``marketplace-kit api-doc``: the gateway's one API document, merged from every service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, refuse_overwriting_inputs, resolve_platform
from marketplace_kit.errors import KitError


def api_doc(
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, help="Write the document here (default: "
                     "standard output)."),
    ] = None,
) -> None:
    """Merge the services' OpenAPI documents (each service's openapi.json, written by its own
    `python -m <service> documents`; no service code is imported) into the one the gateway
    serves at /openapi.json (in dev; on the cluster with gateway.api_docs). A path two services
    declare, a path outside its service's route prefix (the gateway would not route it) or a
    schema name two services define differently is an error here, before any deploy."""
    import json

    from marketplace_kit.blueprints.api_documents import api_documents
    from marketplace_kit.devrun.services import local_services

    if out is not None and not out.parent.is_dir():
        raise KitError(f"{out.parent}: no such directory; fix: create it or choose another --out")
    platform = resolve_platform(config)
    if out is not None:
        refuse_overwriting_inputs(out, platform, "--out")
    services = local_services(platform)  # each service's code is here (one-line error if not)
    documents = api_documents(platform)  # exactly what the cluster's ApiDocs add-on serves
    if documents is None:
        raise KitError("no services to document; fix: add services to the services_dir")
    merged = documents.openapi
    text = json.dumps(merged, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        from marketplace_kit.changeset import replace_file

        try:
            replace_file(out, text.encode("utf-8"))  # whole or not at all
        except OSError as exc:
            raise KitError(f"{out}: cannot be written ({exc.strerror}); nothing was written; "
                           "fix: check the path") from None
        typer.echo(f"wrote the API document of {len(services)} services "
                   f"({len(merged['paths'])} paths) to {out}")


def register(app: typer.Typer) -> None:
    app.command("api-doc")(api_doc)
