"""Generated services for real: each option set is rendered, installed into the shared service
venv, and runs its OWN test suite against the session's PostgreSQL and tansu broker; one is
started with uvicorn and exercised over HTTP (its event arrives on its topic, also across a
broker outage)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from support import workflow

from marketplace_kit.devenv import Broker, Postgres, free_port, wait_for_port
from marketplace_kit.devenv.venv import install_service, service_venv
from marketplace_kit.scaffold import make_answers, render_service
from marketplace_kit.scaffold.documents import write_documents

pytestmark = pytest.mark.slow

OPTION_SETS: dict[str, dict[str, object]] = {
    "reviews": {"publishes": ["review-events"], "entity": "review",
                "fields": ["rating:int", "body:str", "price:decimal?", "seen_at:datetime?",
                           "day:date?", "ref:uuid?", "verified:bool?", "score:float?"]},
    "notifier": {"consumes": ["order-events"], "publishes": ["notification-events"]},
    "edge": {"datastore": "none", "publishes": ["edge-events"], "consumes": ["payment-events"]},
    "docs": {"publishes": ["doc-events"],
             "fields": ["title:str", "tags:str?", "price:decimal"]},
}


# The option sets whose suites run their tests/test_fuzz.py too (schemathesis --checks all, auth
# off and on): reviews has every field type; the others' fuzz costs CI time and finds no more.
FUZZED = {"reviews"}
# A team's own tests/fuzz_domain.py (the seam of the template's tests/fuzz_hooks.py) in the fuzzed
# sets: it must be called, and only with schema-valid bodies (a review's rating is an integer).
FUZZ_DOMAIN = '''"""Domain values for the fuzzer: records each call (the kit's test reads it)."""

from pathlib import Path
from typing import Any

LOG = Path(__file__).with_name("fuzz_domain.log")


def valid_body(method: str, path: str, body: Any) -> Any:
    if method == "POST":
        rating = body["rating"]  # schema-valid bodies only: an integer (0.0 is one)
        assert type(rating) in (int, float) and float(rating).is_integer(), body
    with LOG.open("a") as log:
        log.write(f"{method} {path}\\n")
    return body
'''


@dataclass
class Generated:
    root: Path
    venv: Path
    env: dict[str, str]
    runs: dict[str, subprocess.Popen[str]]
    outputs: dict[str, str] = field(default_factory=dict)


def service_env(postgres: Postgres, broker: Broker) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OTEL_"))}
    return {
        **env,
        "DATABASE_URL": postgres.url(),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        # tansu (memory storage) has no InitProducerId; production brokers keep the default.
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "LOG_LEVEL": "WARNING",
        # each suite's tests/test_fuzz.py (schemathesis, auth off and on): bounded for the kit's CI
        "FUZZ_EXAMPLES": "3",
    }


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, broker: Broker
) -> Iterator[Generated]:
    """Render and install every option set, then start all their test suites in parallel (each
    with its own ``src`` first on the path: other runs may install their copy meanwhile)."""
    root = tmp_path_factory.mktemp("generated")
    venv = service_venv()
    env = service_env(postgres, broker)
    for name, options in OPTION_SETS.items():
        render_service(make_answers(name=name, **options), root / name)
        if name in FUZZED:
            (root / name / "tests" / "fuzz_domain.py").write_text(FUZZ_DOMAIN)
        assert write_documents(root / name, name) is None  # as new-service does
        install_service(venv, root / name)
    # The test job of each service's own workflow, its steps as listed (the fuzzer step, bounded
    # by FUZZ_EXAMPLES, in the fuzzed sets; the fuzzer itself is tests/test_fuzz.py, run here).
    runs = {
        name: workflow.start(root / name, venv / "bin", env,
                             workflow.steps(root / name, "test")[:None if name in FUZZED else 1],
                             keep=("FUZZ_EXAMPLES",))
        for name in OPTION_SETS
    }
    yield Generated(root, venv, env, runs)
    for process in runs.values():
        if process.poll() is None:
            process.kill()


def suite_output(generated: Generated, name: str) -> str:
    """The output of ``name``'s suite, once it has finished."""
    if name not in generated.outputs:
        generated.outputs[name], _ = generated.runs[name].communicate(timeout=300)
    return generated.outputs[name]


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_generated_service_passes_its_own_tests(generated: Generated, name: str) -> None:
    """The test job's pytest steps, exactly as its workflow lists them."""
    output = suite_output(generated, name)
    assert generated.runs[name].returncode == 0, output[-4000:]
    summaries = [line for line in output.splitlines() if re.match(r"^\d+ \w+.* in [\d.]+s", line)]
    assert len(summaries) == (2 if name in FUZZED else 1), output[-3000:]
    for summary in summaries:
        assert " passed" in summary and "skipped" not in summary and "failed" not in summary


@pytest.mark.parametrize("name", sorted(FUZZED))
def test_the_fuzzer_takes_domain_values_from_the_services_own_module(
    generated: Generated, name: str
) -> None:
    """tests/fuzz_domain.py, the team's, gets the schema-valid bodies (the other services, without
    one, are fuzzed as generated: the reference services catalog, order, payment and user)."""
    suite_output(generated, name)
    calls = (generated.root / name / "tests" / "fuzz_domain.log").read_text().splitlines()
    assert any(c.startswith("POST ") and c.endswith("/reviews") for c in calls), calls[:20]
    assert {c.split()[0] for c in calls} <= {"POST", "PATCH"}, calls[:20]


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_the_lint_job_passes_as_its_workflow_lists_it(generated: Generated, name: str) -> None:
    """ruff, mypy and the API documents' check of a fresh service: its first push is green."""
    lint = workflow.steps(generated.root / name, "lint")
    assert [s.run.split()[0] for s in lint] == ["ruff", "mypy", "python"], lint
    process = workflow.start(generated.root / name, generated.venv / "bin", generated.env, lint)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-4000:]


class Service:
    """A generated service running under uvicorn (``python -m <pkg> serve``)."""

    def __init__(self, generated: Generated, name: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = generated.root / f"{name}-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(generated.venv / "bin" / "python"), "-m", name.replace("-", "_"), "serve"],
                env={**env, "PORT": str(self.port), "HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
                     "RELAY_POLL_INTERVAL": "0.2",
                     # the shared venv is shared by concurrent runs too: this service's own code
                     "PYTHONPATH": str(generated.root / name / "src")},
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, 30, what=name)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)


async def first_event(
    bootstrap: str, topic: str, subject: str, timeout: float
) -> dict[str, object]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                event: dict[str, object] = json.loads(record.value)
                if event.get("subject") == subject:
                    return event
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


def test_uvicorn_service_publishes_what_it_creates(generated: Generated, postgres: Postgres,
                                                  broker: Broker) -> None:
    env = {**generated.env, "DATABASE_URL": postgres.create_database("reviews_http")}
    service = Service(generated, "reviews", env)
    try:
        with httpx.Client(base_url=service.url, timeout=10) as http:
            assert http.get("/healthz").json() == {"status": "ok"}
            ready = http.get("/readyz")
            assert ready.status_code == 200, ready.text
            body = {"rating": 5, "body": "great", "price": "12.50"}
            created = http.post("/reviews/reviews", json=body)
            assert created.status_code == 201, created.text
            entity = created.json()
            listed = http.get("/reviews/reviews", params={"limit": 10}).json()
            assert [item["id"] for item in listed["items"]] == [entity["id"]]
            assert "/reviews/reviews" in http.get("/reviews/openapi.json").json()["paths"]
            metrics = http.get("/metrics").text
            assert 'route="/reviews/reviews"' in metrics
        event = asyncio.run(
            first_event(broker.bootstrap_servers, "review-events", entity["id"], 30)
        )
        assert event["type"] == "marketplace.reviews.review.created"
        assert event["specversion"] == "1.0" and event["source"] == "/services/reviews"
        assert event["data"]["rating"] == 5  # type: ignore[index]
    finally:
        # SIGTERM: uvicorn drains, runs the lifespan shutdown, then re-raises the signal.
        assert service.stop() in (0, -15)
    log = service.log.read_text().splitlines()
    lines = [json.loads(line) for line in log if line.startswith("{")]
    assert any(line["message"] == "stopped" for line in lines), "no graceful shutdown in the log"


def test_events_written_while_the_broker_is_down_arrive_after_it_returns(
    generated: Generated, postgres: Postgres
) -> None:
    with Broker() as outage:
        env = {**generated.env, "DATABASE_URL": postgres.create_database("reviews_outage"),
               "KAFKA_BOOTSTRAP_SERVERS": outage.bootstrap_servers,
               "KAFKA_REQUEST_TIMEOUT_MS": "2000"}
        service = Service(generated, "reviews", env)
        try:
            outage.stop()
            with httpx.Client(base_url=service.url, timeout=10) as http:
                offline = [{"rating": n, "body": "offline"} for n in range(3)]
                ids = [http.post("/reviews/reviews", json=body).json()["id"] for body in offline]
                deadline = time.monotonic() + 10
                while http.get("/readyz").status_code != 503 and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert http.get("/readyz").json()["checks"]["broker"] is False
            time.sleep(1.0)  # the relay has tried and failed meanwhile
            outage.start()  # same port; memory storage: the topic is created again on demand
            for id_ in ids:
                event = asyncio.run(first_event(outage.bootstrap_servers, "review-events", id_, 45))
                assert event["data"]["id"] == id_  # type: ignore[index]
        finally:
            service.stop()


def test_the_generated_service_restarts_without_losing_pending_events(
    generated: Generated, postgres: Postgres, broker: Broker
) -> None:
    database = postgres.create_database("reviews_restart")
    down_env = {**generated.env, "DATABASE_URL": database,
                "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
                "KAFKA_REQUEST_TIMEOUT_MS": "1000"}
    first = Service(generated, "reviews", down_env)
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:
            subject = http.post("/reviews/reviews", json={"rating": 1, "body": "x"}).json()["id"]
    finally:
        first.stop()
    second = Service(generated, "reviews", {**generated.env, "DATABASE_URL": database})
    try:
        event = asyncio.run(first_event(broker.bootstrap_servers, "review-events", subject, 30))
        assert event["subject"] == subject
    finally:
        second.stop()
