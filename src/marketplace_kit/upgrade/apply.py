"""``upgrade --apply``: the plan's steps one at a time, each an ``up`` of the versions it holds.

Each step: its Pins recorded in the stack's config (``HeldPins``), then the same engine path as
``up`` (preview, confirmation unless --yes, the delete guard, progress, summary), then the state
re-read: what the step moved must run, else it stops with one line (``pinning.moves``: the
versions, and for Istio the istiods, the namespaces', Deployments' and gateway's revisions). A
step whose effect the ``up`` before it made (Istio's restart and the gateway's revision land
with the relabel) runs no ``up`` of its own: the state shows it. After the last step the
held versions are removed (the stack is at the kit's pins). Declining a step restores what the
stack held before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from marketplace_kit.blueprints.deploy_inputs import HeldPins
from marketplace_kit.errors import KitError
from marketplace_kit.platform.pins import Pins
from marketplace_kit.provision import operations
from marketplace_kit.provision.operations import Session
from marketplace_kit.provision.progress import format_duration
from marketplace_kit.provision.summary import summary_lines
from marketplace_kit.upgrade.pinning import Move, moves
from marketplace_kit.upgrade.planning import StackPlan, plan_from
from marketplace_kit.upgrade.running import Running, read_running
from marketplace_kit.upgrade.state_file import deployment_of
from marketplace_kit.upgrade.steps import Step, UpgradePlan

Echo = Callable[[str], None]
CONTINUE = "marketplace-kit upgrade --apply"


def source_of(session: Session) -> str:
    """Where the plan's state comes from, as the plan says it."""
    return f"stack {session.settings.stack!r} ({session.settings.backend_url})"


def _running(session: Session) -> Running:
    return read_running(deployment_of(operations.exported_state(session), source_of(session)))


def stack_plan(session: Session, offline: bool = False) -> StackPlan:
    """The upgrade plan from what the session's stack runs (its state; no engine run)."""
    return plan_from(_running(session), session.platform, source_of(session), offline)


def steps_to_run(plan: UpgradePlan, step: int | None) -> int:
    """How many steps ``--step`` asks for (all by default); a one-line KitError when out of
    range."""
    count = len(plan.steps)
    if step is None:
        return count
    if not 1 <= step <= count:
        have, fix = ((f"steps 1 to {count}", f"give a step between 1 and {count} (see "
                      "marketplace-kit upgrade --plan)") if count else
                     ("no steps (what runs is at the kit's pins)",
                      "leave --apply out, nothing needs to move"))
        raise KitError(f"--step {step}: the plan has {have}; fix: {fix}")
    return step


def _held(plan: UpgradePlan, number: int) -> HeldPins:
    steps, total = plan.steps, len(plan.steps)
    step = steps[number - 1]
    assert step.pins is not None
    after = (f"{number + 1} of {total}: {steps[number].title} [{steps[number].id}]"
             if number < total else "none (the last step reaches the kit's pins)")
    return HeldPins(step.pins, f"{number} of {total}: {step.title} [{step.id}]", after)


def _shown(found: list[Move]) -> str:
    return ", ".join(f"{m.what} {m.runs or 'unset'}" for m in found)


def _run_step(session: Session, plan: UpgradePlan, number: int, before: Pins,
              echo: Echo) -> bool:
    """One step through ``up``; False when the user declined it (the stack's held versions
    then are what they were)."""
    step: Step = plan.steps[number - 1]
    assert step.pins is not None
    echo(f"step {number} of {len(plan.steps)}: {step.title}  [{step.id}]")
    planned = moves(before, step.pins, _running(session), step.id)
    if not planned:
        if step.made_by:
            echo(f"  made by {step.made_by}, not by up: {step.changes[0]}")
        else:
            echo(f"  not made by up (it moves no version the program deploys): "
                 f"{step.changes[0]}; do it by hand, then continue")
        return True
    previous = operations.held_pins(session)
    operations.hold_pins(session, _held(plan, number))
    if all(m.landed for m in planned):  # made by the up of the step before (Istio's injection)
        echo("  made by the step before's up (state re-read): " + _shown(planned))
        return True
    session.runs = []
    started = time.monotonic()
    outcome = operations.up(session)
    for line in summary_lines(outcome):
        echo(f"  {line}")
    if outcome.result == "cancelled":
        operations.hold_pins(session, previous)
        return False
    echo(f"  step {number} took {format_duration(time.monotonic() - started)} (planned "
         f"~{format_duration(step.duration.seconds)})")
    landed = moves(before, step.pins, _running(session), step.id)
    missing = [m for m in landed if not m.landed]
    if missing:
        shown = "; ".join(f"{m.what} {m.wanted or 'unset'} (the state says "
                          f"{m.runs or 'none'})" for m in missing)
        raise KitError(f"step {number} ({step.id}) ran but the state does not show it: {shown}; "
                       f"fix: see why in the summary above, then `{CONTINUE}` again (the "
                       "stack keeps holding this step's versions)")
    echo("  now running (state re-read): " + _shown(landed))
    return True


def apply_upgrade(session: Session, step: int | None, echo: Echo, offline: bool = False) -> str:
    """Plan from the stack's state and run steps 1..``step`` (all by default): ``succeeded``,
    ``nothing`` or ``cancelled``."""
    stacked = stack_plan(session, offline)
    plan = stacked.plan
    count = steps_to_run(plan, step)
    if count == 0:
        echo(f"nothing to apply: {source_of(session)} runs the kit's pins")
        operations.hold_pins(session, None)
        return "nothing"
    session.announce_hold = False  # this command says which step runs
    before = stacked.running
    for number in range(1, count + 1):
        if not _run_step(session, plan, number, before, echo):
            return "cancelled"
        before = plan.steps[number - 1].pins or before
    if count == len(plan.steps):
        operations.hold_pins(session, None)
        echo(f"upgrade done: {len(plan.steps)} steps; the stack runs the kit's pins (its held "
             "versions removed)")
    else:
        nxt = plan.steps[count]
        echo(f"stopped after step {count} of {len(plan.steps)}; next: {nxt.title} [{nxt.id}]; "
             f"continue with: {CONTINUE}")
    return "succeeded"
