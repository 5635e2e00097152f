"""Shared fixtures, one per session: real PostgreSQL, a Kafka-protocol broker (tansu), a Kubernetes
API (kube-apiserver + etcd) and moto (S3 + KMS).

The first two come from ``marketplace_kit.devenv``, the others from `.ci/real-parts`; all listen on
free loopback ports and start only when a test asks. Tests that need a database of their own call
``postgres.create_database(name)``.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.kube_api import KubeApi
from support.kube_objects import install_crds, yaml_documents
from support.moto_server import MotoServer
from support.real_parts import real_part

from marketplace_kit.devenv import Broker, Postgres


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C behaves as in a terminal: a runner that starts the suite as a background job
    (`cmd &` in a script, nohup) has SIGINT ignored, which every child inherits, so the tests
    that press Ctrl-C (the kit, `mkdocs serve`, the engine) would press nothing. Python's own
    handler restores it here and, through exec, the default in every process a test starts."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _plan_cache_per_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test's commands share a plan cache of their own (never the user's ~/.cache): a plan
    cached by one test never answers another that changed the planner."""
    from marketplace_kit import home

    monkeypatch.setattr(home, "cache_dir", lambda: tmp_path / "kit-cache")


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


@pytest.fixture(scope="session")
def kube_api() -> Iterator[KubeApi]:
    """A real kube-apiserver and etcd (`.ci/parts/kube.sh`) on free ports, for the session."""
    with KubeApi() as api:
        yield api


@pytest.fixture(scope="session")
def crd_cluster(kube_api: KubeApi) -> Iterator[httpx.Client]:
    """The test API with every CRD of `.ci/parts/crds.sh` installed: an admin client."""
    with kube_api.client() as http:
        install_crds(http, yaml_documents(sorted(real_part("crds").rglob("*.yaml"))))
        yield http


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """A moto server (S3 and KMS, `.ci/parts/moto.sh`) on a free port, for the session."""
    with MotoServer() as server:
        yield server
