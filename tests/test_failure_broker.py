"""Failure test: the Kafka broker stops for several seconds while a generated service takes writes.

Two generated services run under uvicorn against the session's PostgreSQL and a tansu broker of
this test's own: ``outage-orders`` (entity API, publishes through its transactional outbox) and
``outage-shipping`` (consumes that topic; its handler, the team-owned file, records a shipment
row per event in the same transaction as the idempotency record).

While the broker is down the orders API keeps answering 201 (the outbox is in PostgreSQL); when
the broker returns on the same port, every event written during the outage is delivered and
shipped exactly once. Then the test makes the relay send those events a second time (as after a
crash between the broker's ack and the outbox commit): the consumer skips every duplicate.

tansu runs with memory storage, so a restart loses every topic, message and committed offset:
the events delivered before the outage are gone from the broker (they were already shipped, and
are checked once), the topics are created again right after the restart (as the platform's topic
operator would) and the consumer group joins anew. The assertions are about the events written
during the outage, which only the outbox held while the broker was away.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from support.faults import create_topics, metric, query
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.devenv import Broker, Postgres

pytestmark = pytest.mark.slow
T = TypeVar("T")
TOPIC = "outage-order-events"
ORDERS = "/outage-orders/items"
OUTAGE_SECONDS = 5.0
WRITES = 10
JOIN_TIMEOUT = 30.0  # a first consumer-group join takes ~5 s on tansu
REDELIVERY_TIMEOUT = 60.0  # re-join (up to 18 s) + relay backoff (up to 10 s) + sends

SHIPMENTS_MIGRATION = """
-- Effects of the handler: one row per handled event, deliberately without a unique key, so a
-- second handling of the same event would show as a second row.
CREATE TABLE shipments (
    event_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    shipped_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""
SHIPPING_HANDLER = '''"""Handlers of consumed events (team-owned): ship every order."""

from __future__ import annotations

from outage_shipping.db import Tx
from outage_shipping.events import Event


async def handle(event: Event, tx: Tx) -> None:
    """Record a shipment in the same transaction as the event's idempotency record."""
    await tx.conn.execute(
        "INSERT INTO shipments (event_id, order_id) VALUES ($1, $2)", event.id, event.subject
    )
'''


@pytest.fixture
def broker_to_stop() -> Iterator[Broker]:
    """A broker of this test's own: the session's one must not go away."""
    with Broker() as server:
        yield server


@pytest.fixture
def services(
    tmp_path: Path, postgres: Postgres, broker_to_stop: Broker
) -> Iterator[tuple[ServiceProcess, ServiceProcess, str, str]]:
    """(orders, shipping, orders database URL, shipping database URL), both serving."""
    create_topics(broker_to_stop.bootstrap_servers, [TOPIC, f"{TOPIC}.dlq"])
    orders_source = generate(tmp_path, "outage-orders", publishes=[TOPIC])
    shipping_source = generate(tmp_path, "outage-shipping", consumes=[TOPIC])
    package = shipping_source / "src" / "outage_shipping"
    (package / "handlers.py").write_text(SHIPPING_HANDLER)
    (package / "migrations" / "0002_shipments.sql").write_text(SHIPMENTS_MIGRATION)
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": broker_to_stop.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
        "RELAY_POLL_INTERVAL": "0.2",
        "CONSUMER_RETRY_BACKOFF": "0.1",
    }
    orders_db = postgres.create_database("outage_orders")
    shipping_db = postgres.create_database("outage_shipping")
    # The relay gives up on a send after 2 s (retried with backoff); the consumer keeps the
    # default 10 s, since a JoinGroup request waits ~5 s on tansu.
    orders = ServiceProcess(
        orders_source, {**common, "DATABASE_URL": orders_db, "KAFKA_REQUEST_TIMEOUT_MS": "2000"}
    )
    shipping = ServiceProcess(shipping_source, {**common, "DATABASE_URL": shipping_db})
    try:
        orders.start()
        shipping.start()
        yield orders, shipping, orders_db, shipping_db
    finally:
        orders.stop()
        shipping.stop()


def shipped(shipping_db: str) -> dict[str, int]:
    """Shipments per order id."""
    rows = query(shipping_db, "SELECT order_id, count(*) AS n FROM shipments GROUP BY order_id")
    return {row["order_id"]: row["n"] for row in rows}


def test_events_written_while_the_broker_is_down_are_delivered_and_processed_once(
    services: tuple[ServiceProcess, ServiceProcess, str, str], broker_to_stop: Broker
) -> None:
    orders, shipping, orders_db, shipping_db = services
    with httpx.Client(base_url=orders.base_url, timeout=10) as http:
        # Before the outage: the consumer group has joined and the pipeline works end to end.
        first = http.post(ORDERS, json={"name": "before the outage"})
        assert first.status_code == 201, first.text
        wait_until(lambda: first.json()["id"] in shipped(shipping_db), JOIN_TIMEOUT,
                   "the first order to be shipped (consumer-group join)")

        broker_to_stop.stop()
        stopped = time.monotonic()
        written: list[str] = []
        for n in range(WRITES):  # writes spread over the outage
            response = http.post(ORDERS, json={"name": f"during the outage {n}"})
            assert response.status_code == 201, response.text  # the outbox needs no broker
            written.append(response.json()["id"])
            time.sleep(OUTAGE_SECONDS / WRITES)
        wait_until(lambda: http.get("/readyz").status_code == 503, 10, "readyz to report it")
        assert http.get("/readyz").json()["checks"]["broker"] is False
        pending = query(orders_db, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
        assert pending[0]["n"] == WRITES  # held in PostgreSQL while the broker is away
        assert time.monotonic() - stopped >= OUTAGE_SECONDS
        # What OutboxBacklogStale reads: the backlog and the age of its oldest event (measured
        # every 5 s, or after the relay's backoff of up to 10 s; the age grows in between).
        wait_until(lambda: metric(orders, "outbox_pending_events") == WRITES, 25,
                   "the outbox backlog gauge")
        age = metric(orders, "outbox_oldest_pending_age_seconds")
        assert age >= OUTAGE_SECONDS * 0.8
        time.sleep(1)
        assert metric(orders, "outbox_oldest_pending_age_seconds") >= age + 0.9

    broker_to_stop.start()  # same port, empty (memory storage)
    create_topics(broker_to_stop.bootstrap_servers, [TOPIC, f"{TOPIC}.dlq"])
    wait_until(lambda: set(written) <= set(shipped(shipping_db)), REDELIVERY_TIMEOUT,
               "every order written during the outage to be shipped")

    assert metric(orders, "events_publish_failures_total") > 0  # the relay did meet the outage
    wait_until(lambda: metric(orders, "outbox_oldest_pending_age_seconds") == 0, 25,
               "the outbox backlog age to drop to 0")
    assert query(orders_db, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")[0]["n"] == 0
    counts = shipped(shipping_db)
    assert {order: counts[order] for order in [first.json()["id"], *written]} == {
        order: 1 for order in [first.json()["id"], *written]
    }

    # At-least-once delivery, exactly-once effects: send the outage's events a second time.
    duplicates_before = metric(shipping, "events_consumed_total", topic=TOPIC, outcome="duplicate")
    event_ids = [row["id"] for row in query(
        orders_db,
        "UPDATE outbox SET sent_at = NULL WHERE convert_from(payload, 'UTF8')::jsonb->>'subject'"
        " = ANY($1::text[]) RETURNING id::text AS id",
        written,
    )]
    assert len(event_ids) == WRITES
    wait_until(
        lambda: metric(shipping, "events_consumed_total", topic=TOPIC, outcome="duplicate")
        >= duplicates_before + WRITES,
        REDELIVERY_TIMEOUT, "the re-sent events to reach the consumer",
    )
    assert shipped(shipping_db) == counts  # no second shipment for any order
    processed = query(
        shipping_db, "SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])",
        event_ids,
    )
    assert sorted(row["event_id"] for row in processed) == sorted(event_ids)
