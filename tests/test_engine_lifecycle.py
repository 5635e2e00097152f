"""preview → up → outputs → refresh → up → destroy through the real Pulumi engine, with the
state where PULUMI_BACKEND_URL says; the kit's progress and summaries against the real events.

The resources are the SDK dynamic provider's stand-ins for cloud resources
(support/engine_programs.py: AWS cannot run here); the in-cluster half of the same cycle (the
local blueprint's program without its Helm charts, through the real Kubernetes provider) runs
against a real kube-apiserver in test_engine_platform.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.engine_programs import SECRET, chain
from support.real_engine import Engine, engine

from marketplace_kit.provision import operations
from marketplace_kit.provision.summary import summary_lines

__all__ = ["engine"]
STEPS = 3


def test_the_cycle_with_the_backend_from_the_environment(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "team-state"
    elsewhere.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{elsewhere}")
    program = chain(STEPS, 0)
    preview = operations.preview(engine.session("preview", program, plugins={}))
    created = STEPS + 1  # the steps and the stack
    assert preview.changes == {"create": created}
    assert summary_lines(preview)[0] == (
        f"preview of stack 'local' (file://{elsewhere}): {created} to create")
    up = operations.up(engine.session("up", program, plugins={}))
    assert up.result == "succeeded" and up.changes == {"create": created}
    assert (elsewhere / ".pulumi" / "stacks" / "shop" / "local.json").is_file()
    assert not (engine.platform.source.parent / ".marketplace-kit" / "state").exists()
    # the kit's counts are the engine's: the preview's planned steps, the up's done ones
    (_, planned), (_, ran) = engine.seen[-2:]
    assert len(planned.planned["create"]) == created
    assert ran.total == created and len(ran.done) == created and not ran.in_flight
    lines = summary_lines(up)
    assert lines[0].startswith(f"✓ up of stack 'local' (file://{elsewhere}) in ")
    assert lines[0].endswith(f": {created} created")
    assert "  token: [secret]" in lines and f"  steps: {STEPS}" in lines
    out = operations.outputs(engine.session("outputs", program, plugins={}))
    assert out.outputs == {"steps": (STEPS, False), "token": (SECRET, True)}
    refreshed = operations.refresh(engine.session("refresh", program, plugins={}))
    assert refreshed.changes == {"same": created}
    again = operations.up(engine.session("up", program, plugins={}))
    assert again.result == "no-changes"
    no_changes, *warnings = summary_lines(again)
    assert no_changes == f"no changes: stack 'local' (file://{elsewhere}) is up to date"
    # the engine's own warnings reach the summary (here: the dynamic provider found on PATH)
    assert warnings and all(w.startswith("warning: using pulumi-resource-pulumi-python from "
                                         "$PATH") for w in warnings), warnings
    gone = operations.destroy(engine.session("destroy", program, plugins={}))
    assert gone.result == "succeeded" and gone.changes == {"delete": created}
    assert summary_lines(gone)[0].endswith(f": {created} deleted")
    nothing = operations.destroy(engine.session("destroy", program, plugins={}))
    assert nothing.result == "no-changes"
