"""``marketplace-kit dev``: run the whole marketplace on this machine, without Kubernetes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption


def dev(
    config: ConfigOption = None,
    free_ports: Annotated[
        bool,
        typer.Option("--free-ports", help="Run each service on a free port instead of the port "
                     "in its service.yaml."),
    ] = False,
    gateway_port: Annotated[
        int | None,
        typer.Option("--gateway-port", min=1, max=65535, help="Port of the front door: one "
                     "URL for every service, routed as the production gateway routes "
                     "[default: 8080]."),
    ] = None,
    mail_dir: Annotated[
        Path | None,
        typer.Option("--mail-dir", file_okay=False, help="Keep what the sinks receive here: "
                     "e-mails (*.eml), SMS (sms/*.json) and push messages (push/*.json) "
                     "(default: a temporary directory removed on exit)."),
    ] = None,
    info_file: Annotated[
        Path | None,
        typer.Option("--info-file", help="Write the URLs, mail directory and "
                     "per-run secrets as JSON here once every service is ready (default: in "
                     "the run's temporary directory; secret values are never printed)."),
    ] = None,
) -> None:
    """Run every service as a process with one PostgreSQL (a database per service), one tansu
    Kafka broker and SMTP, SMS (Amazon SNS API) and Web Push sinks, behind one front door (the
    production gateway's routes, timeouts, retries and rate limit; the merged API document at
    /docs); logs are prefixed per service; Ctrl-C stops everything.

    Services run from this Python environment with PYTHONPATH=<service>/src: their third-party
    dependencies must be installed (pip install 'marketplace-kit[local]')."""
    from contextlib import nullcontext
    from dataclasses import replace

    from marketplace_kit.blueprints.routes import route_table
    from marketplace_kit.cli.common import refuse_overwriting_inputs, resolve_platform
    from marketplace_kit.devrun import DevOptions, local_services, run_dev
    from marketplace_kit.runlock import run_lock

    platform = resolve_platform(config)
    for path, option in ((info_file, "--info-file"), (mail_dir, "--mail-dir")):
        if path is not None:
            refuse_overwriting_inputs(path, platform, option)
    services = local_services(platform)
    options = DevOptions(free_ports=free_ports, mail_dir=mail_dir, info_file=info_file)
    if gateway_port is not None:
        options = replace(options, gateway_port=gateway_port)
    # A kept --mail-dir is one run's at a time: two runs would number their records alike.
    with run_lock(mail_dir, "dev", create=True) if mail_dir is not None else nullcontext():
        code = run_dev(services, route_table(platform), options)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)
