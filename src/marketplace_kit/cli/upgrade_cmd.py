"""``upgrade --plan``: the ordered steps from what the stack runs to the kit's pins;
``upgrade --apply [--step N]``: run them, each through ``up``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from marketplace_kit.cli.common import ConfigOption, resolve_platform
from marketplace_kit.cli.provision_cmds import BackendOption, JsonOption, StackOption, YesOption


def _usage(plan: bool, apply: bool, step: int | None, state: Path | None,
           as_json: bool) -> None:
    """One ``error: ... fix:`` line for options that do not go together (before any read)."""
    from marketplace_kit.errors import KitError

    if plan and apply:
        raise KitError("upgrade: --plan and --apply together; fix: --plan to see the steps, "
                       "then --apply to run them")
    if step is not None and not apply:
        raise KitError(f"upgrade: --step {step} without --apply; fix: marketplace-kit upgrade "
                       f"--apply --step {step}")
    if apply and (state is not None or as_json):
        option = "--state" if state is not None else "--json"
        raise KitError(f"upgrade --apply: {option} is for --plan (--apply reads and changes the "
                       f"stack itself); fix: leave {option} out")
    if not plan and not apply:
        raise KitError("upgrade: say what to do; fix: marketplace-kit upgrade --plan (the "
                       "steps), then --apply [--step N] (run them)")


def upgrade(
    plan: Annotated[
        bool, typer.Option("--plan", help="Print the ordered steps (changes nothing).")
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Run the steps one at a time, each through the same "
                           "engine path as `up` (preview, confirmation, delete guard), the "
                           "state re-read after each.")
    ] = False,
    step: Annotated[
        int | None, typer.Option("--step", help="With --apply: run steps 1 to N only (the "
                                 "stack holds the versions reached; `up` keeps them).")
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", dir_okay=False, help="A recorded state (`pulumi stack export` "
                     "output) instead of the stack's own."),
    ] = None,
    config: ConfigOption = None,
    stack: StackOption = None,
    backend: BackendOption = None,
    yes: YesOption = False,
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
    which. --apply runs the steps."""
    _usage(plan, apply, step, state, as_json)
    from marketplace_kit.cli.provision_cmds import session_for
    from marketplace_kit.upgrade.planning import plan_from
    from marketplace_kit.upgrade.render import plan_lines
    from marketplace_kit.upgrade.running import read_running
    from marketplace_kit.upgrade.state_file import read_state_file

    if apply:
        from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci
        from marketplace_kit.upgrade.apply import apply_upgrade

        refuse_file_backend_in_ci(backend)
        session = session_for("upgrade", config, stack, backend, yes=yes)
        if apply_upgrade(session, step, typer.echo, offline) == "cancelled":
            raise typer.Exit(1)
        return
    platform = resolve_platform(config)
    if state is not None:
        result = plan_from(read_running(read_state_file(state)), platform,
                           f"state file {state}", offline).plan
    else:
        from marketplace_kit.upgrade.apply import stack_plan

        result = stack_plan(session_for("upgrade", config, stack, backend), offline).plan
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    for line in plan_lines(result):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command()(upgrade)
