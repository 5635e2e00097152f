"""``marketplace-kit new-service``: generate a service from the golden-path template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FIELD_HELP = (
    "An entity field NAME:TYPE, repeatable; TYPE is str, int, float, bool, decimal, datetime "
    "(timezone-aware), date or uuid; append '?' for an optional field (price:decimal?). "
    "Default: name:str."
)


def new_service(
    name: Annotated[
        str,
        typer.Argument(
            help="Service name: a DNS-1123 label (lowercase letters, digits, '-', starting with "
            "a letter, at most 32 characters); its Python package is the name with '_' for '-'.",
            show_default=False,
        ),
    ],
    dir: Annotated[
        Path | None,
        typer.Option("--dir", help="Parent directory; the service goes to DIR/NAME.",
                     show_default="./services"),
    ] = None,
    datastore: Annotated[
        str,
        typer.Option(
            "--datastore",
            metavar="postgres|documentdb|none",
            help="postgres: typed columns; documentdb: JSON documents (PostgreSQL JSONB, see the "
            "README); none: no database (stateless or events only, no entity).",
        ),
    ] = "postgres",
    publishes: Annotated[
        list[str] | None,
        typer.Option("--publishes", metavar="TOPIC",
                     help="A topic this service publishes (repeatable); the first one carries "
                     "the entity's created/updated/deleted events through the outbox."),
    ] = None,
    consumes: Annotated[
        list[str] | None,
        typer.Option("--consumes", metavar="TOPIC",
                     help="A topic this service consumes (repeatable); failures are parked on "
                     "TOPIC.dlq."),
    ] = None,
    entity: Annotated[
        str | None,
        typer.Option("--entity", metavar="NAME",
                     help="The entity the CRUD API manages (snake_case).", show_default="item"),
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", metavar="NAME:TYPE", help=FIELD_HELP)
    ] = None,
    port: Annotated[
        str, typer.Option("--port", metavar="N", help="HTTP port (1024-65535).")
    ] = "8000",
    path: Annotated[
        str,
        typer.Option("--path", metavar="/PREFIX",
                     help="Route prefix at the gateway and in the app.", show_default="/NAME"),
    ] = "",
    owner: Annotated[
        str,
        typer.Option("--owner", metavar="TEAM", help="Owning team (Backstage catalog owner).",
                     show_default="team-NAME"),
    ] = "",
) -> None:
    """Generate a production-grade service: FastAPI + PostgreSQL + Kafka (transactional outbox,
    idempotent consumers), Dockerfile, CI workflow, catalog entry, docs and tests."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.scaffold import make_answers, render_service

    try:
        port_number = int(port)
    except ValueError:
        raise KitError(f"--port {port!r}: give a number between 1024 and 65535") from None
    options = {key: f"--{key}" for key in ("datastore", "publishes", "consumes", "entity", "port",
                                          "path", "owner")}
    answers = make_answers(
        names={**options, "name": "NAME", "fields": "--field"},
        name=name,
        datastore=datastore,
        publishes=publishes or [],
        consumes=consumes or [],
        entity=entity,
        fields=field or [],
        port=port_number,
        path=path,
        owner=owner,
    )
    dest = (dir if dir is not None else Path("services")) / name
    report = render_service(answers, dest)
    typer.echo(f"Created {dest} ({len(report.created)} files):")
    for relative in report.created:
        typer.echo(f"  {relative}")
    package = name.replace("-", "_")
    typer.echo(
        "\nNext steps:\n"
        f"  cd {dest} && python -m venv .venv && .venv/bin/pip install -e '.[dev]'\n"
        "  .venv/bin/pytest            # set DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS for "
        "integration tests\n"
        f"  .venv/bin/python -m {package} serve\n"
        f"  Your code goes in src/{package}/domain.py"
        + (f" and src/{package}/handlers.py" if answers.consumes else "")
        + "; git push and the platform deploys it."
    )


def register(app: typer.Typer) -> None:
    app.command("new-service")(new_service)
