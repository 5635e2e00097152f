"""Shared fixtures: real PostgreSQL and a real Kafka-protocol broker (tansu), one per session.

Both come from ``marketplace_kit.devenv`` and listen on free loopback ports; tests that need a
database of their own call ``postgres.create_database(name)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace_kit.devenv import Broker, Postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A started PostgreSQL cluster (trust auth on 127.0.0.1), removed after the session."""
    with Postgres() as server:
        yield server


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    """A started tansu broker (memory storage) on a free port, stopped after the session."""
    with Broker() as server:
        yield server


@pytest.fixture(autouse=True)
def _not_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's CI=true stays out of tests: the commands' CI guards are tested explicitly."""
    monkeypatch.delenv("CI", raising=False)
