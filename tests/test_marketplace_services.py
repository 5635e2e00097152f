"""Each reference service runs its OWN test suite (generated + domain tests) against the
session's real PostgreSQL and tansu broker, plus an SMTP sink, the five suites in parallel.

Like ``marketplace-kit dev``, the suites run with this interpreter and PYTHONPATH=<service>/src:
the services' third-party dependencies come from the kit's ``local``/``dev`` extras.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.devrun import running_sink

pytestmark = pytest.mark.slow
SERVICES = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services"
NAMES = ("catalog", "notification", "order", "payment", "user")
# tests/test_fuzz.py (schemathesis, FUZZ_EXAMPLES per operation) passes in every service
# (notification's push keys come from its own tests/fuzz_domain.py: a point on the curve).
FUZZED = frozenset(NAMES)
TIMEOUT = 240


@pytest.fixture(scope="module")
def service_env(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, broker: Broker
) -> Iterator[dict[str, str]]:
    """The environment of the suites: the session's PostgreSQL and broker, an SMTP sink."""
    with running_sink(tmp_path_factory.mktemp("mail")) as sink:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OTEL_"))}
        yield {
            **base,
            "DATABASE_URL": postgres.url(),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(sink.port),
            "LOG_LEVEL": "WARNING",
            "FUZZ_EXAMPLES": "3",
            "WEBHOOK_SECRET": secrets.token_urlsafe(24),  # payment, as `marketplace-kit dev` sets
        }


@contextmanager
def running(
    env: dict[str, str], names: Iterable[str], args: list[str]
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """pytest ``args`` in each named service, in parallel; killed on the way out."""
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args],
            cwd=SERVICES / name,
            env={**env, "PYTHONPATH": os.pathsep.join([str(SERVICES / name / "src"),
                                                       str(SERVICES / name)])},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name in names
    }
    try:
        yield runs
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def suites(service_env: dict[str, str]) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The five suites without the fuzzer, in parallel."""
    with running(service_env, NAMES, ["--ignore", "tests/test_fuzz.py"]) as runs:
        yield runs


@pytest.fixture(scope="module")
def fuzzers(
    service_env: dict[str, str], suites: dict[str, subprocess.Popen[str]]
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The fuzz tests, started once the suites are done (the suites' consumer tests time out
    under the fuzzers' load on two cores)."""
    for process in suites.values():
        process.wait(timeout=TIMEOUT)
    with running(service_env, FUZZED, ["tests/test_fuzz.py"]) as runs:
        yield runs


def finished(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, output[-6000:]
    assert " passed" in output and "skipped" not in output.splitlines()[-1], output[-2000:]
    return output


@pytest.mark.parametrize("name", NAMES)
def test_service_suite_passes(suites: dict[str, subprocess.Popen[str]], name: str) -> None:
    finished(suites[name])


@pytest.mark.parametrize("name", sorted(FUZZED))
def test_service_api_holds_under_the_fuzzer(
    fuzzers: dict[str, subprocess.Popen[str]], name: str
) -> None:
    assert "2 passed" in finished(fuzzers[name])  # auth off and on


def test_the_local_extra_pins_what_the_services_need() -> None:
    import tomllib

    from marketplace_kit.platform import versions

    pyproject = tomllib.loads((SERVICES.parent.parent.parent / "pyproject.toml").read_text())
    local = set(pyproject["project"]["optional-dependencies"]["local"])
    expected = {f"{name}=={pin}" for name, pin in versions.SERVICE_DEPENDENCIES.items()}
    assert expected <= local, sorted(expected - local)
