"""The typer application. Command modules import their heavy dependencies inside the command."""

from __future__ import annotations

import sys

import typer

from marketplace_kit.errors import INTERRUPTED_EXIT, KitError

app = typer.Typer(
    name="marketplace-kit",
    help="Stand up an event-driven marketplace platform on AWS (or a local cluster) with Pulumi, "
    "and give product teams a golden path for new services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from marketplace_kit import __version__

        typer.echo(f"marketplace-kit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No spinner on stderr while a command works (also off "
        "when stderr is not a terminal or NO_COLOR is set)."
    ),
) -> None:
    """Stand up an event-driven marketplace platform and give teams a golden path."""


def _register_commands() -> None:
    from marketplace_kit.cli import (
        api_doc_cmd,  # the gateway's merged OpenAPI document
        bootstrap_cmd,  # durable state backend for CI deploys
        deploy_service_cmd,  # one service's own stack
        destroy_service_cmd,  # and its teardown
        dev_cmd,  # the reference marketplace on one machine
        estimate_cmds,
        new_service_cmd,  # golden path
        plan_cmd,
        provision_cmds,
        render_cmd,
        tokens_cmd,  # signing-key rotation
        update_service_cmd,
        upgrade_cmd,  # day two: from what runs to the pins
    )

    for module in (plan_cmd, render_cmd, estimate_cmds, provision_cmds, bootstrap_cmd,
                   deploy_service_cmd, destroy_service_cmd, new_service_cmd, update_service_cmd,
                   dev_cmd, tokens_cmd, api_doc_cmd, upgrade_cmd):
        module.register(app)


_register_commands()


def main() -> None:
    """Console entry point: user errors print one line and exit with their code."""
    try:  # typer >= 0.29 vendors click as typer._click; older ones use click itself
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions as click  # type: ignore[no-redef]

    from marketplace_kit.cli.progress import spinner_for

    try:
        with spinner_for(sys.argv[1:]):
            result = app(standalone_mode=False)
    except KitError as exc:
        _fail(str(exc), exc.exit_code)
    except click.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "marketplace-kit"
        _fail(f"{exc.format_message()}; fix: see {where} --help", exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    if result == INTERRUPTED_EXIT:  # Ctrl-C outside a file change (typer exits 130 silently)
        _fail("interrupted (Ctrl-C)", INTERRUPTED_EXIT)
    sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)
