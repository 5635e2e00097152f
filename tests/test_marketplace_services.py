"""Each reference service runs its OWN CI steps, read from its workflow file and run as listed
(support/workflow.py): the test job's pytest and fuzzer steps against the session's real
PostgreSQL and tansu broker, plus an SMTP sink, the five suites in parallel; the lint job's
ruff, mypy and API documents' check.

Like ``marketplace-kit dev``, the suites run with this interpreter and PYTHONPATH=<service>/src:
the services' third-party dependencies come from the kit's ``local``/``dev`` extras. The lint job
runs in the shared service venv, with the linters' versions the services pin.
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
from support import workflow

from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.devenv.venv import service_venv
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
    env: dict[str, str], names: Iterable[str], which: slice
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The ``which`` steps of each named service's test job, as its workflow lists them, in
    parallel (this interpreter's bin/ first on PATH); killed on the way out."""
    runs = {
        name: workflow.start(SERVICES / name, Path(sys.executable).parent, env,
                             workflow.steps(SERVICES / name, "test")[which],
                             keep=("FUZZ_EXAMPLES",))
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
    with running(service_env, NAMES, slice(0, 1)) as runs:  # pytest without the fuzzer
        yield runs


@pytest.fixture(scope="module")
def fuzzers(
    service_env: dict[str, str], suites: dict[str, subprocess.Popen[str]]
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The fuzz tests, started once the suites are done (the suites' consumer tests time out
    under the fuzzers' load on two cores)."""
    for process in suites.values():
        process.wait(timeout=TIMEOUT)
    with running(service_env, FUZZED, slice(1, None)) as runs:  # the fuzzer step
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


@pytest.mark.parametrize("name", NAMES)
def test_the_lint_job_passes_as_its_workflow_lists_it(name: str, tmp_path: Path) -> None:
    """ruff, mypy and the API documents' check as each service's CI runs them, with the
    versions it pins (the shared service venv: devenv/venv.py)."""
    lint = workflow.steps(SERVICES / name, "lint")
    assert [s.run.split()[0] for s in lint] == ["ruff", "mypy", "python"], lint
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy"),
           "RUFF_CACHE_DIR": str(tmp_path / "ruff")}  # nothing written into the example
    process = workflow.start(SERVICES / name, service_venv() / "bin", env, lint)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-4000:]


def test_the_local_extra_pins_what_the_services_need() -> None:
    import tomllib

    from marketplace_kit.platform import versions

    pyproject = tomllib.loads((SERVICES.parent.parent.parent / "pyproject.toml").read_text())
    local = set(pyproject["project"]["optional-dependencies"]["local"])
    expected = {f"{name}=={pin}" for name, pin in versions.SERVICE_DEPENDENCIES.items()}
    assert expected <= local, sorted(expected - local)
