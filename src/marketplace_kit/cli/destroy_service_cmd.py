"""``marketplace-kit destroy-service``: tear down one service's own stack, the platform running."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.cli.deploy_service_cmd import _session, require_service_stacks
from marketplace_kit.cli.provision_cmds import (
    BackendOption,
    JsonOption,
    RemoveOption,
    StackOption,
    YesOption,
    _report,
)


def destroy_service(
    path: Annotated[
        Path, typer.Argument(help="The service directory (its service.yaml).", metavar="DIR",
                             file_okay=False, show_default=False)
    ],
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
    remove: RemoveOption = False,
) -> None:
    """Tear down only a service's own stack (project <platform>-<service>, as `deploy-service`
    made it): its workload and route, its KafkaTopics and KafkaUser (first, while the
    platform's topic operator still runs to finalize them) and its claims. The platform stack
    and every other service are not touched. Asks first; --yes skips that."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.provision import operations
    from marketplace_kit.provision.api_reach import check_service_deploy
    from marketplace_kit.provision.errors import NoStackError
    from marketplace_kit.provision.service_member import platform_service

    platform = resolve_platform(config)
    require_service_stacks(platform)
    spec = platform_service(platform, path, verb="destroy")
    session = _session(platform, spec, None, stack, backend, None, yes, as_json, None,
                       command="destroy-service")
    session.remove = remove
    check_service_deploy(platform, session.settings.stack)  # the cluster answers, first
    try:
        outcome = operations.destroy(session)
    except NoStackError:
        where = session.settings
        raise KitError(
            f"destroy-service {spec.name}: no stack {where.stack!r} of project "
            f"{where.project!r} in {where.backend_url} (the service is not deployed there); fix: "
            "pass the --stack/--backend it was deployed with, or nothing is left to destroy"
        ) from None
    _report(outcome, as_json)


def register(app: typer.Typer) -> None:
    app.command("destroy-service")(destroy_service)
