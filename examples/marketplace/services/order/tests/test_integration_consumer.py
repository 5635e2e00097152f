"""Integration: consuming with a real consumer group; a redelivered event is processed once,
a poison event is retried and then parked on the dead-letter topic; an unavailable dependency
is waited out (paused, never dead-lettered)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI

from order.consumer import EventConsumer, dead_letter_topic
from order.db import Tx
from order.events import CONSUMES, Event
from order.kafka import SharedProducer, client_options, ensure_topics
from order.settings import Settings
from tests.conftest import integration

pytestmark = integration
TOPIC = CONSUMES[0]


async def test_redelivery_is_processed_once_and_poison_is_parked(
app: FastAPI, settings: Settings
) -> None:
    await ensure_topics(settings, [TOPIC, dead_letter_topic(TOPIC)])
    # The app's own consumer shares the idempotency table: let this test's consumer work alone.
    runtime = app.state.runtime
    runtime.consumer.stop()
    await asyncio.wait([t for t in runtime.tasks if t.get_name() == "consumer"])
    run = uuid.uuid4().hex[:8]
    good = Event(type="test.good", source="/tests", subject=f"good-{run}", data={"n": 1})
    poison = Event(type="test.poison", source="/tests", subject=f"poison-{run}", data={})
    handled: list[str] = []
    attempts: dict[str, int] = {}

    async def handler(event: Event, tx: Tx) -> None:
        if not (event.subject or "").endswith(run):
            return  # an event of another test run on the same topic
        attempts[event.id] = attempts.get(event.id, 0) + 1
        if event.type == "test.poison":
            raise ValueError("cannot handle this one")
        handled.append(event.id)

    producer = AIOKafkaProducer(**client_options(settings))
    await producer.start()
    try:
        for payload in (good.to_bytes(), good.to_bytes(), poison.to_bytes(), b"not json"):
            await producer.send_and_wait(TOPIC, payload, key=run.encode())
    finally:
        await producer.stop()

    group = settings.model_copy(update={"kafka_group_id": f"{settings.kafka_group_id}-{run}"})
    shared = SharedProducer(group)
    consumer = EventConsumer(
        group,
        app.state.runtime.db,
        shared,
        handler,
        [TOPIC],
    )
    task = asyncio.create_task(consumer.run())
    try:
        parked = await read_dead_letters(settings, run, want=2, timeout=60)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await shared.close()

    assert handled == [good.id]
    assert attempts[poison.id] == settings.consumer_max_attempts
    errors = sorted(dict(headers)["dlq.error"].decode() for headers in parked)
    assert errors[0].startswith("ValueError: cannot handle this one")
    assert errors[1].startswith("malformed event")
    rows = await app.state.runtime.db.fetch(
        "SELECT event_id FROM processed_events WHERE event_id = $1", good.id
    )
    assert len(rows) == 1


async def read_dead_letters(
    settings: Settings, key: str, want: int, timeout: float
) -> list[list[tuple[str, bytes]]]:
    """Headers of the dead-lettered records with ``key``, once ``want`` of them arrived."""
    reader = AIOKafkaConsumer(
        dead_letter_topic(TOPIC), **client_options(settings), group_id=None,
        auto_offset_reset="earliest",
    )
    await reader.start()
    found: list[list[tuple[str, bytes]]] = []
    try:
        async with asyncio.timeout(timeout):
            async for record in reader:
                if record.key == key.encode():
                    found.append(list(record.headers))
                    if len(found) == want:
                        return found
    finally:
        await reader.stop()
    return found


async def test_an_unavailable_dependency_is_waited_out_not_dead_lettered(
app: FastAPI, settings: Settings
) -> None:
    event = Event(type="test.outage", source="/tests", subject=f"outage-{uuid.uuid4().hex[:8]}")
    outage = settings.consumer_max_attempts + 3  # more failures than the dead-letter budget
    calls: list[bool] = []
    consumer: EventConsumer

    async def handler(seen: Event, tx: Tx) -> None:
        calls.append(consumer.paused)
        if len(calls) <= outage:
            raise ConnectionRefusedError(111, "Connect call failed")  # the database is down

    shared = SharedProducer(settings)
    consumer = EventConsumer(
        settings,
        app.state.runtime.db,
        shared,
        handler,
        [TOPIC],
    )
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        TOPIC, 0, 0, 0, 0, None, event.to_bytes(), None, 0, 0, ()
    )
    try:
        outcome = await consumer.process(record)
    finally:
        await shared.close()
    assert outcome == "processed"
    assert calls == [False] + [True] * outage  # paused (readiness 503) while it lasted
    assert not consumer.paused


async def test_a_handling_that_never_answers_is_cut_off_and_retried(
app: FastAPI, settings: Settings
) -> None:
    """``consumer_event_timeout`` bounds one attempt (the database has no timer per statement):
    a dependency that never answers is an outage, waited out, never a stuck partition."""
    event = Event(type="test.hang", source="/tests", subject=f"hang-{uuid.uuid4().hex[:8]}")
    calls: list[bool] = []
    consumer: EventConsumer

    async def handler(seen: Event, tx: Tx) -> None:
        calls.append(consumer.paused)
        if len(calls) <= 2:
            await asyncio.Event().wait()  # a dependency that never answers

    quick = settings.model_copy(update={"consumer_event_timeout": 0.3,
                                        "consumer_retry_backoff": 0.05})
    shared = SharedProducer(quick)
    consumer = EventConsumer(
        quick,
        app.state.runtime.db,
        shared,
        handler,
        [TOPIC],
    )
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        TOPIC, 0, 0, 0, 0, None, event.to_bytes(), None, 0, 0, ()
    )
    try:
        outcome = await asyncio.wait_for(consumer.process(record), 30)
    finally:
        await shared.close()
    assert outcome == "processed"
    assert calls == [False, True, True]  # cut off twice (paused meanwhile), then handled
