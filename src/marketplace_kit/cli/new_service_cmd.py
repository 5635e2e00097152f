"""``marketplace-kit new-service``: generate a service from the golden-path template.

Its argument and options are built from the answers' declarations (``contract.answer_options``,
pure data: the CLI starts without pydantic or jinja2); the answers model takes its help and
defaults from the same declarations.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from marketplace_kit.contract.answer_options import OPTIONS, AnswerOption

DIR_OPTION = typer.Option("--dir", help="Parent directory; the service goes to DIR/NAME.",
                          show_default="./services")


def _parameter(option: AnswerOption) -> inspect.Parameter:
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    name = option.name
    if option.argument:
        info: Any = typer.Argument(help=option.help, show_default=option.show_default)
        return inspect.Parameter(name, keyword, annotation=Annotated[str, info])
    if option.is_flag:
        flag = typer.Option(option.cli_name, help=option.help)
        return inspect.Parameter(name, keyword, default=False, annotation=Annotated[bool, flag])
    info = typer.Option(option.cli_name, metavar=option.metavar, help=option.help,
                        show_default=option.show_default)
    if option.repeatable:
        return inspect.Parameter(name, keyword, default=None,
                                 annotation=Annotated[list[str] | None, info])
    default = option.default
    kind = str | None if default is None else str
    return inspect.Parameter(name, keyword, default=None if default is None else str(default),
                             annotation=Annotated[kind, info])


def _signature() -> inspect.Signature:
    params = [_parameter(o) for o in OPTIONS if o.argument]
    params.append(inspect.Parameter("dir", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                    annotation=Annotated[Path | None, DIR_OPTION]))
    params += [_parameter(o) for o in OPTIONS if not o.argument]
    return inspect.Signature(params)


def new_service(**values: Any) -> None:
    """Generate a production-grade service: FastAPI + PostgreSQL + Kafka (transactional outbox,
    idempotent consumers), Dockerfile, CI workflow, catalog entry, docs and tests."""
    from marketplace_kit.contract.service_documents import ASYNCAPI_FILE, OPENAPI_FILE, command
    from marketplace_kit.runlock import run_lock
    from marketplace_kit.scaffold import make_answers, render_service
    from marketplace_kit.scaffold.documents import write_documents
    from marketplace_kit.scaffold.siblings import fit_among_siblings

    parent: Path | None = values.pop("dir", None)
    names = {o.name: o.cli_name for o in OPTIONS}
    answers = make_answers(names=names, **{k: v for k, v in values.items() if v is not None})
    name = answers.name
    dest = (parent if parent is not None else Path("services")) / name
    package = name.replace("-", "_")
    unwritten: list[str | None] = []

    def documents(staged: Path) -> None:  # the service's own command, before dest appears
        note = write_documents(staged, package)
        unwritten.append(note.replace(str(staged), str(dest)) if note else None)

    # Under the services folder's lock: the siblings' ports are read and the new service
    # written with no other run between (two runs at once never both take port 8000).
    with run_lock(dest.parent, f"new-service {name}", create=True):
        answers = fit_among_siblings(answers, dest,
                                     lambda text: typer.echo(f"note: {text}", err=True))
        report = render_service(answers, dest, finish=documents)
    typer.echo(f"Created {dest} ({len(report.created)} files):")
    for relative in report.created:
        typer.echo(f"  {relative}")
    if unwritten == [None]:
        typer.echo(f"  {OPENAPI_FILE}, {ASYNCAPI_FILE} (written by `{command(package)}`)")
    else:
        typer.echo(f"note: {unwritten[0]}", err=True)
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


new_service.__signature__ = _signature()  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    app.command("new-service")(new_service)
