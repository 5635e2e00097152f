"""The launchers' shared lifecycle: ``with`` starts, and always closes."""

from __future__ import annotations

import pytest

from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.devenv.lifecycle import LocalServer


class _Recorder(LocalServer):
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")
        if self.fail:
            raise RuntimeError("port taken")

    def close(self) -> None:
        self.calls.append("close")


def test_a_failed_start_still_closes() -> None:
    server = _Recorder(fail=True)
    with pytest.raises(RuntimeError), server:
        pass
    assert server.calls == ["start", "close"]


def test_the_block_raising_closes() -> None:
    server = _Recorder(fail=False)
    with pytest.raises(ValueError), server as entered:
        assert entered is server
        raise ValueError("test body failed")
    assert server.calls == ["start", "close"]


def test_the_real_launchers_share_it() -> None:
    assert issubclass(Postgres, LocalServer) and issubclass(Broker, LocalServer)
