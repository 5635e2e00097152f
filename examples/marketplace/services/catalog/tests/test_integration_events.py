"""Integration: events reach Kafka through the transactional outbox, even after an outage."""

from __future__ import annotations

import asyncio

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from catalog.db import Database
from catalog.events import CONTENT_TYPE, Event
from catalog.kafka import SharedProducer, client_options
from catalog.outbox import OutboxRelay
from catalog.settings import Settings
from tests.conftest import integration

pytestmark = integration
TOPIC = "product-events"
SAMPLE = {
    "name": "name-1",
    "description": "description-1",
}


async def wait_for_event(settings: Settings, subject: str, timeout: float = 30) -> Event:
    """Read TOPIC from the beginning (no consumer group) until an event about ``subject``."""
    consumer = AIOKafkaConsumer(
        TOPIC, **client_options(settings), group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                try:
                    event = Event.from_bytes(record.value)
                except ValueError:
                    continue  # not an event (another test's poison message on a shared topic)
                if event.subject == subject:  # the CloudEvents Kafka binding, structured mode
                    assert dict(record.headers)["content-type"] == CONTENT_TYPE.encode()
                    return event
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def test_created_entity_is_published(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    created = (await client.post("/catalog/categories", json=SAMPLE)).json()
    event = await wait_for_event(settings, created["id"])
    assert event.type == "marketplace.catalog.category.created"
    assert event.data["id"] == created["id"]


async def test_outbox_keeps_events_while_the_broker_is_unreachable(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    runtime = app.state.runtime
    runtime.relay.stop()  # this test drives relays by hand, then starts a new background one
    await asyncio.wait([t for t in runtime.tasks if t.get_name() == "outbox-relay"])
    try:
        await relay_survives_outage(runtime.db, client, settings)
    finally:
        runtime.relay = OutboxRelay(settings, runtime.db, runtime.producer)
        runtime.db.after_publish = runtime.relay.wake
        runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))


async def relay_survives_outage(
    db: Database, client: httpx.AsyncClient, settings: Settings
) -> None:
    created = (await client.post("/catalog/categories", json=SAMPLE)).json()
    unreachable = settings.model_copy(
        update={"kafka_bootstrap_servers": "127.0.0.1:9", "kafka_request_timeout_ms": 1000}
    )
    down = OutboxRelay(unreachable, db, SharedProducer(unreachable))
    try:
        await down.publish_batch()
        raise AssertionError("publishing to an unreachable broker succeeded")
    except Exception:  # any connection error will do
        pass
    finally:
        await down.producer.close()
    pending = await db.fetch("SELECT id FROM outbox WHERE sent_at IS NULL")
    assert len(pending) >= 1
    up = OutboxRelay(settings, db, SharedProducer(settings))
    try:
        while await up.publish_batch():
            pass
    finally:
        await up.producer.close()
    assert await db.fetch("SELECT id FROM outbox WHERE sent_at IS NULL") == []
    event = await wait_for_event(settings, created["id"])
    assert event.data["id"] == created["id"]
