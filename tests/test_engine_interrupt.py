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
from collections.abc import Callable

import pytest
from support.engine_programs import chain, in_flight
from support.real_engine import Engine, engine

from marketplace_kit.provision import operations
from marketplace_kit.provision.pending import Interrupted, pending_operations
from marketplace_kit.provision.progress import Progress
from marketplace_kit.provision.teardown import state_resources

__all__ = ["engine"]
STEPS = 4
STEP = "pulumi-python:dynamic/cloud:Resource"
SETTLE = 3.0  # seconds between the Ctrl-C and opening the held step's gate


def _program(engine: Engine) -> Callable[[], None]:
    """The chain of STEPS stand-ins, each held until the test opens its gate (engine.tmp/gates):
    the signal lands while a known step is in flight, however slow the machine."""
    gates = engine.tmp / "gates"
    gates.mkdir(exist_ok=True)
    return chain(STEPS, 0, gates)


def _open_all(engine: Engine) -> None:
    """Every step runs unheld from now on."""
    (engine.tmp / "gates" / "all").touch()


def _ctrl_c_while_held(engine: Engine, title: str, held: str, times: int = 1) -> None:
    """When ``title`` is shown, open every gate before ``held`` (``create-step-1``: step 0 runs),
    then, once ``held`` is the one step in flight, send SIGINT to this process ``times`` times
    (0.3 s apart) as a terminal's Ctrl-C does, wait SETTLE seconds for the engine to take it,
    and open ``held``'s gate so the in-flight step can finish."""
    gates = engine.tmp / "gates"
    operation, _, name = held.partition("-")
    index = int(name.rsplit("-", 1)[-1])
    before = range(index) if operation == "create" else range(STEPS - 1, index, -1)

    def watch(progress: Progress, shown: str) -> None:
        if shown != title:
            return

        def interrupt() -> None:
            for step in before:
                (gates / f"{operation}-step-{step}").touch()
            # the held step is in flight (its provider waits at the gate), so the engine has
            # started it and no step after it: on a loaded machine the steps before it being
            # done did not mean that yet
            deadline = time.monotonic() + 120
            while not in_flight(gates / held).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.3)
            time.sleep(SETTLE)
            (gates / held).touch()

        threading.Thread(target=interrupt, daemon=True).start()

    engine.on_display = watch


def _steps(engine: Engine) -> tuple[list[str], list[tuple[str, str]]]:
    stack = operations._open(engine.session("outputs", _program(engine), plugins={}),
                             create=False, engine=False)
    deployment = stack.export_stack().deployment
    names = [str(r["urn"]).rsplit("::", 1)[-1] for r in state_resources(deployment)
             if r.get("type") == STEP]
    return names, pending_operations(deployment)


def test_ctrl_c_during_up_stops_cleanly_and_the_next_up_finishes(engine: Engine) -> None:
    program = _program(engine)
    _ctrl_c_while_held(engine, "up", held="create-step-1")
    with pytest.raises(Interrupted) as stopped:
        operations.up(engine.session("up", program, plugins={}))
    line = str(stopped.value)
    assert line.startswith("up interrupted (Ctrl-C): the engine stopped cleanly"), line
    assert f"of {STEPS + 1} changes made" in line  # the steps and the stack
    assert "fix: run `marketplace-kit up` again" in line and stopped.value.exit_code == 130
    # what was in flight finished, nothing after it started
    assert _steps(engine) == (["step-0", "step-1"], [])
    engine.on_display = None
    _open_all(engine)
    again = operations.up(engine.session("up", program, plugins={}))
    assert again.result == "succeeded" and again.changes.get("create") == STEPS - 2
    assert _steps(engine) == ([f"step-{i}" for i in range(STEPS)], [])


def test_a_second_ctrl_c_leaves_a_pending_create_that_the_next_up_clears(engine: Engine) -> None:
    """Two Ctrl-Cs 0.3 s apart while step 1's create is held: the second reaches the engine
    still stopping, so it stops at once and leaves that create pending, which the next ``up``
    clears (with one warning line) and finishes."""
    program = _program(engine)
    _ctrl_c_while_held(engine, "up", held="create-step-1", times=2)
    with pytest.raises(Interrupted) as stopped:
        operations.up(engine.session("up", program, plugins={}))
    line = str(stopped.value)
    assert "the engine stopped at once (a second Ctrl-C)" in line, line
    _, pending = _steps(engine)
    assert [(op, urn.rsplit("::", 1)[-1]) for op, urn in pending] == [("creating", "step-1")]
    assert "pending in the state: creating step-1" in line
    engine.on_display = None
    _open_all(engine)
    again = operations.up(engine.session("up", program, plugins={}))
    assert again.result == "succeeded"
    (warning,) = [w for w in engine.warnings if "pending" in w]
    assert warning.startswith("an interrupted run left 1 create(s) pending (step-1)")
    assert _steps(engine) == ([f"step-{i}" for i in range(STEPS)], [])


def test_ctrl_c_during_destroy_stops_cleanly_and_up_then_destroy_finish(engine: Engine) -> None:
    program = _program(engine)
    _open_all(engine)
    assert operations.up(engine.session("up", program, plugins={})).result == "succeeded"
    (engine.tmp / "gates" / "all").unlink()
    _ctrl_c_while_held(engine, "destroy", held=f"delete-step-{STEPS - 2}")
    with pytest.raises(Interrupted) as stopped:
        operations.destroy(engine.session("destroy", program, plugins={}))
    assert str(stopped.value).startswith("destroy interrupted (Ctrl-C): the engine stopped "
                                         "cleanly"), stopped.value
    assert "fix: run `marketplace-kit destroy` again" in str(stopped.value)
    # the last step was deleted, the held one finished, nothing before it was touched
    assert _steps(engine) == ([f"step-{i}" for i in range(STEPS - 2)], [])
    engine.on_display = None
    _open_all(engine)
    restored = operations.up(engine.session("up", program, plugins={}))
    assert restored.changes.get("create") == 2
    gone = operations.destroy(engine.session("destroy", program, plugins={}))
    assert gone.result == "succeeded" and _steps(engine) == ([], [])
