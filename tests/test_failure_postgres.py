"""Failure test: PostgreSQL restarts (same port, data kept) under a running generated service.

While the database is down every request that needs it fails fast with 503 (and a Retry-After)
and /readyz is 503; /healthz stays 200 (the process is fine: no restart by the liveness probe).
After the database is back the same process serves again, without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from service_process import ServiceProcess, generate, wait_until

from marketplace_kit.devenv import Postgres

pytestmark = pytest.mark.slow
FAIL_FAST_SECONDS = 2.0
ITEMS = "/pgfail/items"


@pytest.fixture
def database() -> Iterator[Postgres]:
    """A PostgreSQL of this test's own (the session's is shared and must not restart)."""
    with Postgres() as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, database: Postgres) -> Iterator[ServiceProcess]:
    source = generate(tmp_path, "pgfail", fields=["name:str"])
    process = ServiceProcess(source, {"DATABASE_URL": database.create_database("pgfail")})
    process.start()
    try:
        yield process
    finally:
        process.stop()


def timed(http: httpx.Client, method: str, path: str, **kwargs: object) -> tuple[int, float]:
    """(status, seconds) of one request."""
    start = time.perf_counter()
    response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
    return response.status_code, time.perf_counter() - start


def test_requests_fail_fast_with_503_while_postgres_is_down_then_recover(
    service: ServiceProcess, database: Postgres
) -> None:
    assert service.process is not None
    pid = service.process.pid
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        before = http.post(ITEMS, json={"name": "before"})
        assert before.status_code == 201, before.text
        assert http.get("/readyz").status_code == 200

        database.stop()
        outcomes = [
            timed(http, "POST", ITEMS, json={"name": "during"}),
            timed(http, "GET", ITEMS),
            timed(http, "GET", f"{ITEMS}/{before.json()['id']}"),
            timed(http, "POST", ITEMS, json={"name": "during again"}),
        ]
        for status, seconds in outcomes:
            assert status == 503, outcomes
            assert seconds < FAIL_FAST_SECONDS, outcomes
        refused = http.get(ITEMS)
        assert refused.status_code == 503 and refused.headers.get("retry-after"), refused.text
        assert "Traceback" not in refused.text
        ready = http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
        assert http.get("/healthz").status_code == 200  # liveness does not restart it

        database.start()
        wait_until(lambda: http.get("/readyz").status_code == 200, 20, "readiness after restart")
        after = http.post(ITEMS, json={"name": "after"})
        assert after.status_code == 201, after.text
        names = [item["name"] for item in http.get(ITEMS).json()["items"]]
        assert names == ["before", "after"]  # nothing written during the outage

    assert service.alive and service.process.pid == pid  # the same process served throughout
