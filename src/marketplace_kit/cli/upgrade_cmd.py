"""``upgrade --plan``: the ordered steps from what the stack runs to the kit's pins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.cli.provision_cmds import BackendOption, JsonOption, StackOption


def upgrade(
    plan: Annotated[
        bool, typer.Option("--plan", help="Print the ordered steps (changes nothing).")
    ] = False,
    state: Annotated[
        Path | None,
        typer.Option("--state", dir_okay=False, help="A recorded state (`pulumi stack export` "
                     "output) instead of the stack's own."),
    ] = None,
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    as_json: JsonOption = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Take the add-on builds from the kit's recorded "
                           "table; do not ask AWS's DescribeAddonVersions.")
    ] = False,
) -> None:
    """Plan the way from what runs (the stack's state) to the kit's pinned versions: EKS one
    minor at a time with its add-ons and node groups, CRDs before their controllers, Strimzi
    before Kafka, Istio by canary revision; each step with what it changes and replaces, its
    expected time and its rollback. The add-on builds of each minor come from AWS when
    credentials exist, else (or with --offline) from the kit's recorded table; the plan says
    which."""
    from marketplace_kit.errors import KitError

    if not plan:
        raise KitError("upgrade: say what to do; fix: marketplace-kit upgrade --plan (applying "
                       "the steps is not built yet)")
    from marketplace_kit.estimate.data import duration_table
    from marketplace_kit.upgrade.addon_catalog import addon_catalog
    from marketplace_kit.upgrade.render import plan_lines
    from marketplace_kit.upgrade.rules import plan_upgrade
    from marketplace_kit.upgrade.running import read_running
    from marketplace_kit.upgrade.state_file import deployment_of, read_state_file
    from marketplace_kit.upgrade.targets import kit_targets, path_minors

    platform = resolve_platform(config)
    if state is not None:
        deployment, source = read_state_file(state), f"state file {state}"
    else:
        from marketplace_kit.cli.provision_cmds import session_for
        from marketplace_kit.provision.operations import exported_state

        session = session_for("upgrade", config, stack, backend)
        source = f"stack {session.settings.stack!r} ({session.settings.backend_url})"
        deployment = deployment_of(exported_state(session), source)
    running = read_running(deployment)
    target = platform.config.cluster.kubernetes_version
    catalog = addon_catalog(platform.config.region, sorted(running.addons),
                            path_minors(running.kubernetes, target), offline=offline)
    result = plan_upgrade(running, kit_targets(target, catalog), duration_table(), source)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    for line in plan_lines(result):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command()(upgrade)
