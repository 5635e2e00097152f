"""Two checkouts of one platform sharing a state backend, through the real Pulumi engine.

The second checkout has no Pulumi.<stack>.yaml (the kit keeps it in its git-ignored directory):
it takes the secrets manager from the state and decrypts the first one's secrets; an `up` while
the other checkout's runs is refused by the engine's lock, in one line naming the holder. Here
the backend is a directory both reach through PULUMI_BACKEND_URL; the same on S3 with the
awskms provider (bucket and key made in moto as `bootstrap` makes them) is
tests/test_engine_s3.py. The resources are stand-ins for cloud resources
(support/engine_programs.py: AWS cannot run here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.engine_programs import SECRET, chain
from support.real_engine import Engine, engine, refused_while_held

from marketplace_kit.provision import operations

__all__ = ["engine"]


def test_a_second_checkout_decrypts_and_a_concurrent_up_is_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-state"
    shared.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{shared}")
    program = chain(2, 0)
    assert operations.up(engine.session("up", program, plugins={})).result == "succeeded"
    second = engine.checkout("second")
    assert second.platform.source is not None
    assert not (second.platform.source.parent / ".marketplace-kit").exists()
    out = operations.outputs(second.session("outputs", program, plugins={}))
    assert out.outputs["token"] == (SECRET, True)  # the state's secrets manager, decrypted
    refused = refused_while_held(engine, second, tmp_path / "gate")
    line = str(refused)
    assert "\n" not in line and "is locked by another update (held by " in line, line
    assert ", pid " in line and "delete the lock file under" in line
    assert refused.exit_code == 4
