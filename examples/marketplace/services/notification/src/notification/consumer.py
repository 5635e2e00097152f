"""The event consumer: a consumer group named after the service, manual commits, exactly-once
effects through an idempotency record, retries, and a dead-letter topic ``<topic>.dlq``.

For each event the id is inserted into ``processed_events`` in the same transaction as the
handler's effects: a redelivered event finds its id and is skipped, so it is processed once.
Two kinds of failure are told apart (faults.py):

- A dependency is unavailable (PostgreSQL down or too slow, the broker unreachable): the consumer
  pauses (``paused``; /readyz turns 503) and retries the same event without limit, the wait
  doubling up to ``consumer_max_backoff``. Nothing is committed and nothing is dead-lettered:
  the event is handled when the dependency is back.
- The event itself fails (it cannot be parsed, or the handler raises anything else): it is
  retried ``consumer_max_attempts`` times (backoff doubling from ``consumer_retry_backoff``) and
  then parked on ``<topic>.dlq`` with the error in the headers.

The offset is committed only after an event was processed or parked, so nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from notification.db import Database, Tx
from notification.events import Event
from notification.faults import is_unavailable
from notification.kafka import SharedProducer, new_consumer, sasl_password
from notification.metrics import EVENTS_CONSUMED
from notification.settings import Settings
from notification.tracing import context_from, payload_traceparent, process_attributes

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
Handler = Callable[[Event, Tx], Awaitable[None]]


def dead_letter_topic(topic: str) -> str:
    """Where events that cannot be processed are parked."""
    return f"{topic}.dlq"


class EventConsumer:
    """Background task: ``run`` until ``stop``."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        producer: SharedProducer,
        handler: Handler,
        topics: Iterable[str],
    ) -> None:
        self.settings = settings
        self.db = db
        self.producer = producer
        self.handler = handler
        self.topics = tuple(topics)
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.paused = False  # waiting for an unavailable dependency (readiness reports it)

    async def run(self) -> None:
        """Consume until stopped; reconnect with backoff while the broker is unreachable."""
        backoff = 0.5
        while not self._stopping.is_set():
            password = sasl_password(self.settings)
            consumer = new_consumer(self.settings, self.topics, self.settings.kafka_group_id)
            try:
                await consumer.start()
                self._consumer = consumer
                self.paused = False
                backoff = 0.5
                await self._until_rotated(self._loop(consumer), password)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.paused = True
                log.warning("consumer failed; reconnecting in %.1fs", backoff, exc_info=True)
                await self._wait(backoff)
                backoff = min(backoff * 2, self.settings.consumer_max_backoff)
            finally:
                self._consumer = None
                try:  # bounded: a consumer whose login is refused cannot leave its group
                    await asyncio.wait_for(consumer.stop(), 5)
                except Exception:
                    log.warning("consumer did not stop cleanly", exc_info=True)

    async def _until_rotated(self, work: Awaitable[None], password: str | None) -> None:
        """Run ``work`` until it ends, or until the password in the Secret file is no longer
        ``password`` (checked each second): aiokafka retries a refused login forever wherever
        it is (a fetch, a commit), so ``run`` builds a consumer with the rotated password. An
        event cut off here is not committed: it comes again and its idempotency record holds."""
        task = asyncio.ensure_future(work)
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=1.0)
                if not task.done() and sasl_password(self.settings) != password:
                    log.info("the Kafka password changed; reconnecting the consumer")
                    return
            task.result()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=100)
            for partition, records in batches.items():
                for record in records:
                    if await self.process(record) is None:
                        return  # stopping while a dependency was down: not handled, not committed
                    await consumer.commit({partition: record.offset + 1})

    async def process(self, record: ConsumerRecord) -> str | None:
        """Handle one record in a span that continues the producer's trace (W3C context in
        the record headers); the outcome (processed, duplicate, dead_lettered), or None when
        stopped while waiting for a dependency (the record is left uncommitted)."""
        context = context_from(record.headers, payload_traceparent(record.value))
        with tracer.start_as_current_span(
            f"process {record.topic}",
            context=context,
            kind=SpanKind.CONSUMER,
            attributes=process_attributes(record.topic, record.partition, record.offset),
        ):
            return await self._process(record)

    async def _process(self, record: ConsumerRecord) -> str | None:
        try:
            event = Event.from_record(record.value, record.headers)
        except (ValueError, TypeError) as exc:
            reason = f"malformed event: {exc}".splitlines()[0]
            return await self._dead_letter(record, reason, 0)
        delay = self.settings.consumer_retry_backoff
        outage_wait = self.settings.consumer_retry_backoff or 0.1
        attempt = 0
        while True:
            try:
                # The database and the handler's side effects get one budget per attempt (db.py
                # has no timer per statement): a dependency that does not answer is an outage.
                async with asyncio.timeout(self.settings.consumer_event_timeout):
                    outcome = await self._handle_once(event, record.topic)
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                extra = {"event_id": event.id, "topic": record.topic, "error": error[:300]}
                if is_unavailable(exc):  # not the event's fault: wait, never dead-letter
                    self.paused = True
                    log.warning("dependency unavailable; retrying in %.1fs", outage_wait,
                                extra=extra)
                    await self._wait(outage_wait)
                    if self._stopping.is_set():
                        return None
                    outage_wait = min(outage_wait * 2, self.settings.consumer_max_backoff)
                    continue
                attempt += 1
                log.warning("handler failed", extra={**extra, "attempt": attempt}, exc_info=True)
                if attempt >= self.settings.consumer_max_attempts:
                    return await self._dead_letter(record, error, attempt)
                await self._wait(delay)
                delay *= 2
            else:
                self.paused = False
                EVENTS_CONSUMED.labels(record.topic, outcome).inc()
                return outcome

    async def _handle_once(self, event: Event, topic: str) -> str:
        async with self.db.transaction() as tx:
            first = await tx.conn.fetchval(
                "INSERT INTO processed_events (event_id, topic) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                event.id,
                topic,
            )
            if not first:
                return "duplicate"
            await self.handler(event, tx)
        return "processed"

    async def _dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> str:
        headers = [
            *((k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")),  # trace, type
            ("dlq.error", error[:1000].encode()),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        while True:  # the offset must not be committed before the event is parked
            try:
                producer = await self.producer.get()
                await producer.send_and_wait(
                    dead_letter_topic(record.topic), record.value, key=record.key, headers=headers
                )
                break
            except Exception:
                log.error("cannot park event on the dead-letter topic; retrying", exc_info=True)
                await self.producer.reset()
                if self._stopping.is_set():
                    raise
                await self._wait(1.0)
        log.error("event parked on the dead-letter topic", extra={"topic": record.topic,
                  "offset": record.offset, "error": error})
        EVENTS_CONSUMED.labels(record.topic, "dead_lettered").inc()
        return "dead_lettered"

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def stop(self) -> None:
        """Finish the current event, commit, leave the group and return from ``run``."""
        self._stopping.set()

    @property
    def assignment(self) -> set[TopicPartition]:
        """Partitions currently assigned (empty until the group join completes)."""
        return set(self._consumer.assignment()) if self._consumer else set()
