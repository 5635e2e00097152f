"""Ctrl-C in the middle of a real `up` and a real `destroy` (the real Pulumi engine).

SIGINT goes to this process, as a terminal's Ctrl-C does (the kit runs the CLI in a process
group of its own, so the terminal's signal reaches only the kit): the kit forwards it, the
engine stops cleanly, the kit says what was done and what is pending, and the next `up`
finishes without touching the state by hand. The resources are the SDK's dynamic provider's
stand-ins for cloud resources (AWS cannot run here: support/engine_programs.py), each taking
a while, so that the signal lands mid-run.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from support.engine_programs import chain
from support.real_engine import Engine, engine

from marketplace_kit.provision import operations
from marketplace_kit.provision.pending import Interrupted, pending_operations
from marketplace_kit.provision.progress import Progress
from marketplace_kit.provision.teardown import state_resources

__all__ = ["engine"]
STEPS, SECONDS = 4, 1.5
STEP = "pulumi-python:dynamic/cloud:Resource"


def _ctrl_c_after(engine: Engine, title: str, done: int, times: int = 1) -> None:
    """Send SIGINT to this process (``times`` times) once ``title`` has done ``done`` steps."""

    def watch(progress: Progress, shown: str) -> None:
        if shown != title:
            return

        def interrupt() -> None:
            deadline = time.monotonic() + 120
            while len(progress.done) < done and time.monotonic() < deadline:
                time.sleep(0.05)
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.3)

        threading.Thread(target=interrupt, daemon=True).start()

    engine.on_display = watch


def _steps(engine: Engine) -> tuple[list[str], list[tuple[str, str]]]:
    stack = operations._open(engine.session("outputs", chain(STEPS, SECONDS), plugins={}),
                             create=False, engine=False)
    deployment = stack.export_stack().deployment
    names = [str(r["urn"]).rsplit("::", 1)[-1] for r in state_resources(deployment)
             if r.get("type") == STEP]
    return names, pending_operations(deployment)


def test_ctrl_c_during_up_stops_cleanly_and_the_next_up_finishes(engine: Engine) -> None:
    program = chain(STEPS, SECONDS)
    _ctrl_c_after(engine, "up", done=1)
    with pytest.raises(Interrupted) as stopped:
        operations.up(engine.session("up", program, plugins={}))
    line = str(stopped.value)
    assert line.startswith("up interrupted (Ctrl-C): the engine stopped cleanly"), line
    assert f"of {STEPS + 1} changes made" in line  # the steps and the stack
    assert "fix: run `marketplace-kit up` again" in line and stopped.value.exit_code == 130
    made, pending = _steps(engine)
    assert 1 <= len(made) < STEPS and not pending  # what was in flight finished
    engine.on_display = None
    again = operations.up(engine.session("up", program, plugins={}))
    assert again.result == "succeeded" and again.changes.get("create") == STEPS - len(made)
    assert _steps(engine) == ([f"step-{i}" for i in range(STEPS)], [])


def test_a_second_ctrl_c_leaves_a_pending_create_that_the_next_up_clears(engine: Engine) -> None:
    """Two Ctrl-Cs 0.3 s apart: when the second reaches the engine still stopping, it stops at
    once and leaves a create pending, which the next ``up`` clears; when the engine had already
    stopped cleanly (a loaded machine's timing), the second lands while the kit reads the state
    and must not break the one line. Either way the next ``up`` finishes."""
    program = chain(STEPS, SECONDS * 2)
    _ctrl_c_after(engine, "up", done=1, times=2)
    with pytest.raises(Interrupted) as stopped:
        operations.up(engine.session("up", program, plugins={}))
    line = str(stopped.value)
    _, pending = _steps(engine)
    engine.on_display = None
    if "the engine stopped at once (a second Ctrl-C)" in line:
        assert pending and {op for op, _ in pending} == {"creating"}, pending
        cut = [urn.rsplit("::", 1)[-1] for _, urn in pending]
        assert f"pending in the state: creating {cut[0]}" in line
        again = operations.up(engine.session("up", program, plugins={}))
        assert again.result == "succeeded"
        (warning,) = [w for w in engine.warnings if "pending" in w]
        assert warning.startswith(f"an interrupted run left 1 create(s) pending ({cut[0]})")
    else:
        assert line.startswith("up interrupted (Ctrl-C): the engine stopped cleanly"), line
        assert not pending
        assert operations.up(engine.session("up", program, plugins={})).result == "succeeded"
    assert _steps(engine) == ([f"step-{i}" for i in range(STEPS)], [])


def test_ctrl_c_during_destroy_stops_cleanly_and_up_then_destroy_finish(engine: Engine) -> None:
    program = chain(STEPS, SECONDS)
    assert operations.up(engine.session("up", program, plugins={})).result == "succeeded"
    _ctrl_c_after(engine, "destroy", done=1)
    with pytest.raises(Interrupted) as stopped:
        operations.destroy(engine.session("destroy", program, plugins={}))
    assert str(stopped.value).startswith("destroy interrupted (Ctrl-C): the engine stopped "
                                         "cleanly"), stopped.value
    assert "fix: run `marketplace-kit destroy` again" in str(stopped.value)
    left, pending = _steps(engine)
    assert 0 < len(left) < STEPS and not pending
    engine.on_display = None
    restored = operations.up(engine.session("up", program, plugins={}))
    assert restored.changes.get("create") == STEPS - len(left)
    gone = operations.destroy(engine.session("destroy", program, plugins={}))
    assert gone.result == "succeeded" and _steps(engine) == ([], [])
