"""Fault suite for the service template: faults injected one after another into a running
pipeline, then everything counted end to end.

Two generated services run under uvicorn, each on a PostgreSQL of its own, on the session's
broker: ``fault-orders`` (entity API, publishes through its transactional outbox) and
``fault-shipping`` (consumes; its handler, the team-owned file, records one shipment row per
order, in the same transaction as the idempotency record, and refuses orders named
``poison...``). Every write is a client that retries with the same ``Idempotency-Key`` until it
gets its 201 (as a 503 + Retry-After invites), so every stored order must be acknowledged once.

The faults, in order: PostgreSQL restarts under the producer; PostgreSQL stops for 10 s under
the consumer; the producer is SIGKILLed under concurrent writes; a create's answer is lost
after its commit and the client retries; the consumer is SIGKILLed while it handles a backlog;
poison records (a handler failure and a record that is not an event); the producer's table is
locked for 15 s (and bursts go over the concurrency limit). The last test
counts acknowledged, stored, published and handled: none lost, none duplicated, and the
dead-letter topic holds the poison records only. ``FIGURES`` collects what README reports.

The broker is never crashed here: tansu runs on memory storage (this build supports no other
local storage), so a broker crash loses its log by design; see test_failure_broker.py for the
broker outage that a memory broker can show.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from support.faults import (
    Ledger,
    Writer,
    check_published,
    create_topics,
    metric,
    query,
    read_topic,
    run_sync,
)
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.devenv import Broker, Postgres

pytestmark = pytest.mark.slow
TOPIC = "fault-order-events"
DLQ = f"{TOPIC}.dlq"
ORDERS = "/fault-orders/items"
REQUEST_BUDGET = 3.0  # REQUEST_TIMEOUT of the producer; its statement timeout is 1 s
FIGURES: dict[str, object] = {}

SHIPMENTS_MIGRATION = """
-- One row per handled order, deliberately without a unique key: a second handling would show.
CREATE TABLE shipments (event_id TEXT NOT NULL, order_id TEXT NOT NULL);
"""
SHIPPING_HANDLER = '''"""Handlers of consumed events : ship every order, refuse poison."""

from __future__ import annotations

import asyncio

from fault_shipping.db import Tx
from fault_shipping.events import Event


async def handle(event: Event, tx: Tx) -> None:
    """Record a shipment in the same transaction as the event's idempotency record."""
    if not event.type.endswith(".created"):
        return
    if str(event.data.get("name", "")).startswith("poison"):
        raise ValueError("this order cannot be shipped")
    if str(event.data.get("name", "")).startswith("backlog"):
        await asyncio.sleep(0.1)  # slow enough to be killed in the middle of a backlog
    await tx.conn.execute(
        "INSERT INTO shipments (event_id, order_id) VALUES ($1, $2)", event.id, event.subject
    )
'''


@dataclass
class Pipeline:
    orders: ServiceProcess
    shipping: ServiceProcess
    orders_pg: Postgres
    shipping_pg: Postgres
    orders_db: str
    shipping_db: str
    broker: Broker
    ledger: Ledger = field(default_factory=lambda: Ledger(ORDERS))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, broker: Broker) -> Iterator[Pipeline]:
    root = tmp_path_factory.mktemp("faults")
    create_topics(broker.bootstrap_servers, [TOPIC, DLQ])
    orders_source = generate(root, "fault-orders", publishes=[TOPIC], fields=["name:str"])
    shipping_source = generate(root, "fault-shipping", consumes=[TOPIC])
    package = shipping_source / "src" / "fault_shipping"
    (package / "handlers.py").write_text(SHIPPING_HANDLER)
    (package / "migrations" / "0002_shipments.sql").write_text(SHIPMENTS_MIGRATION)
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
        "DB_CONNECT_TIMEOUT": "1",
        "DB_STATEMENT_TIMEOUT": "1",
        "DB_ACQUIRE_TIMEOUT": "1",
        "REQUEST_TIMEOUT": str(REQUEST_BUDGET),
    }
    with Postgres() as orders_pg, Postgres() as shipping_pg:
        orders_db = orders_pg.create_database("fault_orders")
        shipping_db = shipping_pg.create_database("fault_shipping")
        orders = ServiceProcess(orders_source, {
            **common, "DATABASE_URL": orders_db, "RELAY_POLL_INTERVAL": "0.2",
            "MAX_CONCURRENT_REQUESTS": "16",
        })
        shipping = ServiceProcess(shipping_source, {
            **common, "DATABASE_URL": shipping_db, "CONSUMER_RETRY_BACKOFF": "0.1",
            "CONSUMER_MAX_BACKOFF": "1",
        })
        try:
            orders.start()
            shipping.start()
            yield Pipeline(orders, shipping, orders_pg, shipping_pg, orders_db, shipping_db,
                           broker)
        finally:
            orders.stop()
            shipping.stop()


def shipped(pipeline: Pipeline) -> Counter[str]:
    """Shipments per order id."""
    rows = query(pipeline.shipping_db, "SELECT order_id FROM shipments")
    return Counter(row["order_id"] for row in rows)


def write_many(pipeline: Pipeline, names: list[str], threads: int = 4) -> list[str]:
    """Create the orders concurrently; their ids in order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda n: pipeline.ledger.create(pipeline.orders.base_url, n), names))


def test_postgres_restart_under_the_producer(pipeline: Pipeline) -> None:
    orders = pipeline.orders
    assert orders.process is not None
    pid = orders.process.pid
    writers = [Writer(pipeline.ledger, pipeline.orders.base_url, f"restart{n}") for n in range(2)]
    for writer in writers:
        writer.start()
    time.sleep(0.5)
    pipeline.orders_pg.stop()
    down = time.monotonic()
    with httpx.Client(base_url=orders.base_url, timeout=10) as http:
        probes = []
        for _ in range(3):
            start = time.perf_counter()
            refused = http.get(ORDERS)
            probes.append(time.perf_counter() - start)
            assert refused.status_code == 503 and refused.headers["retry-after"], refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers.get("connection") != "close"  # keep-alive kept
        assert http.get("/readyz").status_code == 503
        assert http.get("/healthz").status_code == 200
        time.sleep(max(0.0, 2.0 - (time.monotonic() - down)))
        pipeline.orders_pg.start()
        wait_until(lambda: http.get("/readyz").status_code == 200, 20, "readiness after restart")
    time.sleep(0.5)
    ids = [i for writer in writers for i in writer.finish()]
    assert orders.alive and orders.process.pid == pid  # the same process throughout
    assert max(probes) < 2.0, probes
    FIGURES["restart"] = {"writes": len(ids), "slowest_503_s": round(max(probes), 3)}


def test_postgres_stops_for_10s_under_the_consumer(pipeline: Pipeline) -> None:
    shipping = pipeline.shipping
    wait_until(lambda: set(pipeline.ledger.acknowledged.values()) <= set(shipped(pipeline)), 60,
               "the backlog to be shipped (consumer-group join)")
    parked_before = metric(shipping, "events_consumed_total", topic=TOPIC,
                           outcome="dead_lettered")
    pipeline.shipping_pg.stop()
    stopped = time.monotonic()
    ids = write_many(pipeline, [f"outage-{n}" for n in range(20)])
    wait_until(lambda: httpx.get(f"{shipping.base_url}/readyz").status_code == 503, 10,
               "the consumer's readiness to turn 503")
    checks = httpx.get(f"{shipping.base_url}/readyz").json()["checks"]
    assert checks["consumer"] is False and checks["database"] is False, checks
    time.sleep(max(0.0, 10.0 - (time.monotonic() - stopped)))
    pipeline.shipping_pg.start()
    outage = time.monotonic() - stopped
    wait_until(lambda: set(ids) <= set(shipped(pipeline)), 30, "the outage's orders to ship")
    recovered = time.monotonic() - stopped - outage
    assert metric(shipping, "events_consumed_total", topic=TOPIC,
                  outcome="dead_lettered") == parked_before  # nothing dead-lettered
    wait_until(lambda: httpx.get(f"{shipping.base_url}/readyz").status_code == 200, 10,
               "the consumer's readiness after the outage")
    FIGURES["consumer_db_stop"] = {"events": len(ids), "outage_s": round(outage, 1),
                                   "caught_up_after_s": round(recovered, 1)}


def test_producer_sigkill_under_concurrent_writes(pipeline: Pipeline) -> None:
    writers = [Writer(pipeline.ledger, pipeline.orders.base_url, f"kill{n}") for n in range(6)]
    for writer in writers:
        writer.start()
    wait_until(lambda: sum(len(w.ids) for w in writers) >= 6, 30, "writes to be under way")
    before = sum(len(writer.ids) for writer in writers)
    pipeline.orders.kill()
    pipeline.orders.start()
    time.sleep(1.0)
    ids = [i for writer in writers for i in writer.finish()]
    FIGURES["producer_kill"] = {"writes": len(ids), "acknowledged_before_kill": before,
                                "replayed_so_far": pipeline.ledger.replayed}


def test_a_create_whose_answer_was_lost_is_replayed_not_repeated(pipeline: Pipeline) -> None:
    """The client gives up (timeout) while its create waits for a lock, then commits; the retry
    with the same key gets the first response and no second order."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": "lost answer"}
    release = threading.Event()
    gave_up = threading.Event()

    async def hold_lock_until_the_client_gives_up() -> None:
        conn = await asyncpg.connect(pipeline.orders_db)
        try:
            async with conn.transaction():
                await conn.execute('LOCK TABLE "items" IN ACCESS EXCLUSIVE MODE')
                release.set()
                # Held until the client's 0.3 s timeout (not a fixed sleep a loaded machine can
                # outlast before the request arrives), well under the 1 s statement timeout:
                # the create then commits.
                await asyncio.get_running_loop().run_in_executor(None, gave_up.wait, 5)
        finally:
            await conn.close()

    holder = threading.Thread(target=run_sync, args=(hold_lock_until_the_client_gives_up(),),
                              daemon=True)
    holder.start()
    assert release.wait(10)
    try:
        with httpx.Client(base_url=pipeline.orders.base_url, timeout=0.3) as http, \
                pytest.raises(httpx.TimeoutException):
            http.post(ORDERS, json=body, headers=key)  # the answer is lost
    finally:
        gave_up.set()
    holder.join(10)
    stored = wait_until(lambda: query(pipeline.orders_db, "SELECT id::text AS id FROM items"
                                      " WHERE name = $1", body["name"]), 10, "the commit")
    with httpx.Client(base_url=pipeline.orders.base_url, timeout=10) as http:
        retry = http.post(ORDERS, json=body, headers=key)
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert [row["id"] for row in stored] == [retry.json()["id"]]
    pipeline.ledger.acknowledge(key["Idempotency-Key"], retry)


def test_consumer_sigkill_while_handling_a_backlog(pipeline: Pipeline) -> None:
    before = shipped(pipeline)
    ids = write_many(pipeline, [f"backlog-{n}" for n in range(40)])
    wait_until(lambda: len(set(ids) & set(shipped(pipeline))) >= 5, 30, "handling to begin")
    pipeline.shipping.kill()
    at_kill = len(set(ids) & set(shipped(pipeline)))
    pipeline.shipping.start()
    wait_until(lambda: set(ids) <= set(shipped(pipeline)), 90, "the backlog to ship after restart")
    assert all(shipped(pipeline)[i] == before.get(i, 0) + 1 for i in ids)
    FIGURES["consumer_kill"] = {"events": len(ids), "shipped_at_kill": at_kill}


def test_poison_records_are_parked_and_nothing_else(pipeline: Pipeline) -> None:
    poison = write_many(pipeline, ["poison-1", "poison-2"])

    async def send_garbage() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=pipeline.broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(TOPIC, b"not an event", key=b"garbage")
        finally:
            await producer.stop()

    run_sync(send_garbage())
    wait_until(lambda: len(read_topic(pipeline.broker.bootstrap_servers, DLQ)) >= 3, 30,
               "three records on the dead-letter topic")
    parked = read_topic(pipeline.broker.bootstrap_servers, DLQ)
    errors = sorted(headers["dlq.error"].decode().split(":")[0] for _, headers in parked)
    assert errors == ["ValueError", "ValueError", "malformed event"], errors
    assert not set(poison) & set(shipped(pipeline))
    FIGURES["poison"] = {"parked": len(parked), "attempts_each": [
        int(headers["dlq.attempts"]) for _, headers in parked]}


def test_a_table_locked_for_15s_sheds_load_within_the_budget(pipeline: Pipeline) -> None:
    locked = threading.Event()
    release = threading.Event()

    async def hold_lock() -> None:
        conn = await asyncpg.connect(pipeline.orders_db)
        try:
            async with conn.transaction():
                await conn.execute('LOCK TABLE "items" IN ACCESS EXCLUSIVE MODE')
                locked.set()
                await asyncio.get_running_loop().run_in_executor(None, release.wait, 120)
        finally:
            await conn.close()

    existing = write_many(pipeline, ["before the lock"])[0]
    holder = threading.Thread(target=run_sync, args=(hold_lock(),), daemon=True)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    timings: list[tuple[int, float]] = []

    def one(method: str, path: str, body: dict[str, str] | None) -> tuple[int, float]:
        with httpx.Client(base_url=pipeline.orders.base_url, timeout=30) as http:
            begin = time.perf_counter()
            response = http.request(method, path, json=body)
            elapsed = time.perf_counter() - begin
            assert response.status_code in (503, 504), response.text
            assert response.headers["content-type"] == "application/problem+json"
            return response.status_code, elapsed

    requests = [("POST", ORDERS, {"name": "during the lock"}), ("GET", ORDERS, None),
                ("GET", f"{ORDERS}/{existing}", None)] * 12  # 36 at once, limit 16
    with ThreadPoolExecutor(len(requests)) as pool:
        while time.monotonic() - started < 9:  # bursts while the lock is held
            timings += pool.map(lambda r: one(*r), requests)
    assert httpx.get(f"{pipeline.orders.base_url}/healthz", timeout=2).status_code == 200
    time.sleep(max(0.0, 15.0 - (time.monotonic() - started)))
    held = time.monotonic() - started
    release.set()
    holder.join(10)
    slowest = max(t for _, t in timings)
    # Nobody waits for the lock: the statement timeout (1 s) answers 503, the budget (3 s) 504;
    # the margin is for a loaded machine (the client's clock includes its own threads).
    assert slowest < 2 * REQUEST_BUDGET, slowest
    after = write_many(pipeline, ["after the lock"])
    assert after
    statuses = Counter(s for s, _ in timings)
    FIGURES["table_lock"] = {"held_s": round(held, 1), "requests": len(timings),
                             "statuses": dict(statuses), "slowest_s": round(slowest, 2)}


def test_nothing_acknowledged_is_lost_and_nothing_is_duplicated(pipeline: Pipeline) -> None:
    ledger = pipeline.ledger
    acknowledged, stored, created = check_published(
        ledger, pipeline.orders_db,
        lambda: read_topic(pipeline.broker.bootstrap_servers, TOPIC), 30)
    poison = {i for i in acknowledged
              if query(pipeline.orders_db, "SELECT name FROM items WHERE id = $1::uuid",
                       i)[0]["name"].startswith("poison")}
    wait_until(lambda: set(shipped(pipeline)) == acknowledged - poison, 30, "all shipped")
    counts = shipped(pipeline)
    assert set(counts.values()) == {1}, counts.most_common(3)  # handled once each
    parked = read_topic(pipeline.broker.bootstrap_servers, DLQ)
    assert len(parked) == 3  # the poison records only
    FIGURES["totals"] = {
        "acknowledged": len(acknowledged), "stored": len(stored),
        "published_records": sum(created.values()), "published_distinct": len(created),
        "handled": sum(counts.values()), "dead_lettered": len(parked),
        "replayed_by_idempotency_key": ledger.replayed, "statuses": dict(ledger.statuses),
    }
    print("\nFIGURES", json.dumps(FIGURES))
