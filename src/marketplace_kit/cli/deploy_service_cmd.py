"""``marketplace-kit deploy-service``: preview or update one service's own stack (or all)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.cli.provision_cmds import (
    BackendOption,
    JsonOption,
    SecretsOption,
    StackOption,
    YesOption,
    _confirm,
    _live,
    _quiet,
    _report,
    _warn,
)

if TYPE_CHECKING:
    from marketplace_kit.config import Platform, ServiceSpec
    from marketplace_kit.provision.operations import Session


def _targets(path: Path | None, all_services: bool, platform: Platform) -> list[ServiceSpec]:
    from marketplace_kit.errors import KitError
    from marketplace_kit.provision.service_member import platform_service

    if all_services == (path is not None):
        raise KitError("give a service DIR or --all (every service of the platform), not both")
    if path is not None:
        return [platform_service(platform, path)]
    if platform.source is None:
        raise KitError("--all needs a marketplace.yaml; fix: run it beside one or pass --config")
    return list(platform.services)


def require_service_stacks(platform: Platform) -> None:
    """Each service has a stack of its own only with ``service_stacks: true``; else one line."""
    from marketplace_kit.errors import KitError

    if not platform.config.service_stacks:
        raise KitError("the platform stack deploys the services (service_stacks: false); fix: "
                       "set service_stacks: true in marketplace.yaml, `marketplace-kit up`, then "
                       "deploy each service (moving a running platform: see the docs)")


def _session(platform: Platform, spec: ServiceSpec, image: str | None, stack: str | None,
             backend: str | None, secrets_provider: str | None, yes: bool,
             as_json: bool, platform_stack: str | None,
             command: str = "deploy-service") -> Session:
    """The session of a service's own stack (project ``<platform>-<service>``, its own key and
    workspace, the service program reading ``platform_stack``): deploy-service's and
    destroy-service's one definition."""
    from marketplace_kit.blueprints import service_stack
    from marketplace_kit.blueprints.projects import (
        contract_parameter,
        platform_stack_name,
        service_project,
    )
    from marketplace_kit.provision.operations import Session
    from marketplace_kit.provision.service_stacks import service_settings
    from marketplace_kit.provision.settings import resolve_settings
    from marketplace_kit.provision.stack_keys import service_provider

    if image:
        spec = spec.model_copy(update={"image": image})
    settings = resolve_settings(platform, stack, backend, secrets_provider)
    own_key = service_provider(settings.secrets_provider, platform, spec.name, command)
    reference = platform_stack or platform_stack_name(platform)
    return Session(
        command=command,
        platform=platform,
        settings=replace(service_settings(settings, service_project(platform, spec)),
                         secrets_provider=own_key),
        display=_quiet if as_json else _live,
        warn=_warn,
        confirm=None if yes else _confirm,
        program=service_stack.service_program(  # type: ignore[arg-type]
            spec, reference, contract_parameter(platform, settings.stack, spec)),
    )


def deploy_service(
    path: Annotated[
        Path | None, typer.Argument(help="The service directory (its service.yaml).",
                                    file_okay=False, show_default=False)
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", metavar="REF", help="Deploy this image (e.g. the "
                                 "one CI just pushed) instead of service.yaml's.")
    ] = None,
    all_services: Annotated[
        bool, typer.Option("--all", help="Every service of the platform, one stack after "
                           "another (after `up` of the platform).")
    ] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what would change; change nothing.")
    ] = False,
    platform_stack: Annotated[
        str | None, typer.Option("--platform-stack", metavar="ORG/PROJECT/STACK",
                                 help="The platform stack to read (default: "
                                 "organization/<name>/<blueprint>, a DIY backend's naming).")
    ] = None,
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    secrets_provider: SecretsOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Preview or update only a service's own stack (project <platform>-<service>): its
    workload, route, the topics it publishes and its Kafka user, on the contract the platform
    stack exports. The platform and every other service are not touched. Needs
    `service_stacks: true` in marketplace.yaml."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.platform.waits import wait_line
    from marketplace_kit.provision import operations
    from marketplace_kit.provision.api_reach import check_service_deploy
    from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci

    platform = resolve_platform(config)
    require_service_stacks(platform)
    if image and all_services:
        raise KitError("--image names one service's image; fix: drop --all or --image")
    refuse_file_backend_in_ci(backend)
    checked = False
    for spec in _targets(path, all_services, platform):
        session = _session(platform, spec, image, stack, backend, secrets_provider, yes,
                           as_json, platform_stack)
        if not checked:  # before touching the cluster: this identity can call its API
            check_service_deploy(platform, session.settings.stack)
            checked = True
        if not preview:
            typer.echo(wait_line(spec.name), err=True)
        outcome = operations.preview(session) if preview else operations.up(session)
        _report(outcome, as_json)


def register(app: typer.Typer) -> None:
    app.command("deploy-service")(deploy_service)
