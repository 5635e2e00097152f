"""The outbox relay: publishes committed outbox rows to Kafka in batches, then marks them sent.

Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` so several replicas share the work;
a row is marked sent only after the broker acknowledged it (acks=all). If the broker is down the
transaction rolls back and the rows wait: nothing is lost, across restarts too. Delivery is
at-least-once (a crash between the broker's ack and the commit re-sends a batch); consumers
deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from opentelemetry.trace import Status, StatusCode

from order.db import Database
from order.events import CONTENT_TYPE_HEADER
from order.kafka import SharedProducer
from order.metrics import (
    EVENTS_PUBLISHED,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    PUBLISH_FAILURES,
)
from order.settings import Settings
from order.tracing import payload_traceparent, start_send

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 300.0
CONTENT = [CONTENT_TYPE_HEADER]  # the CloudEvents Kafka binding, structured mode
BACKLOG_EVERY_SECONDS = 5.0


class OutboxRelay:
    """Background task: ``run`` until ``stop``; ``wake`` after a commit that wrote events."""

    def __init__(self, settings: Settings, db: Database, producer: SharedProducer) -> None:
        self.settings = settings
        self.db = db
        self.producer = producer
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._last_purge = 0.0
        self._last_backlog = 0.0
        self._oldest: tuple[float, float] | None = None  # (age in s, monotonic when measured)
        # One round (backlog, batch, purge) may take its statements, the broker's answer and a
        # pooled connection; past that the database does not answer (db.py has no timer per
        # statement): the round fails and is retried like any other failure.
        statement = settings.db_statement_timeout + 1
        self.round_budget = (settings.db_acquire_timeout + 5 * statement
                             + settings.kafka_request_timeout_ms / 1000 + 5)
        OUTBOX_OLDEST_AGE.set_function(self.oldest_age)

    def wake(self) -> None:
        """Publish soon (called after a transaction that wrote outbox rows commits)."""
        self._wakeup.set()

    async def publish_batch(self) -> int:
        """Publish one batch of pending events; returns how many were sent."""
        producer = await self.producer.get()
        async with self.db.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT seq, topic, key, payload FROM outbox WHERE sent_at IS NULL"
                " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.settings.relay_batch_size,
            )
            if not rows:
                return 0
            # One producer span per event, child of the request that wrote it (the event's
            # traceparent); its context travels in the record headers to the consumers.
            spans = [start_send(r["topic"], payload_traceparent(r["payload"])) for r in rows]
            try:
                sends = [
                    await producer.send(
                        r["topic"], r["payload"], key=r["key"], headers=[*CONTENT, *headers]
                    )
                    for r, (_, headers) in zip(rows, spans, strict=True)
                ]
                timeout = self.settings.kafka_request_timeout_ms / 1000 + 5
                await asyncio.wait_for(asyncio.gather(*sends), timeout)
            except BaseException as exc:
                for span, _ in spans:
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    span.end()
                raise
            for span, _ in spans:
                span.end()
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])",
                [r["seq"] for r in rows],
            )
        for row in rows:
            EVENTS_PUBLISHED.labels(row["topic"]).inc()
        return len(rows)

    async def measure_backlog(self) -> None:
        """Count the unpublished events and the age of the oldest (the alert reads the age)."""
        async with self.db.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT count(*) AS n,"
                " COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age"
                " FROM outbox WHERE sent_at IS NULL"
            )
        OUTBOX_PENDING.set(row["n"])
        self._oldest = (row["age"], time.monotonic()) if row["n"] else None

    def oldest_age(self) -> float:
        """Seconds the oldest unpublished event has waited; it keeps growing between
        measurements, so a stuck relay (or database) still shows as a growing backlog."""
        if self._oldest is None:
            return 0.0
        age, measured = self._oldest
        return age + time.monotonic() - measured

    async def purge(self) -> None:
        """Delete sent events older than the retention."""
        async with self.db.acquire() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)",
                self.settings.outbox_retention_hours,
            )

    async def run(self) -> None:
        """Relay until stopped; back off (up to 10 s) while the broker or database fails."""
        backoff = 0.0
        while not self._stopping:
            try:
                async with asyncio.timeout(self.round_budget):
                    await self._measure()
                    sent = await self.publish_batch()
                    backoff = 0.0
                    if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
                        self._last_purge = time.monotonic()
                        await self.purge()
                if sent == self.settings.relay_batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                PUBLISH_FAILURES.inc()
                backoff = min(max(backoff * 2, 0.5), 10.0)
                log.warning("outbox relay failed; retrying in %.1fs", backoff, exc_info=True)
                await self.producer.reset()
            await self._sleep(backoff or self.settings.relay_poll_interval)

    async def _measure(self) -> None:
        if time.monotonic() - self._last_backlog < BACKLOG_EVERY_SECONDS:
            return
        self._last_backlog = time.monotonic()
        try:
            await self.measure_backlog()
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away: the age keeps growing from the last value
            log.warning("cannot measure the outbox backlog", exc_info=True)

    async def _sleep(self, seconds: float) -> None:
        # Linger first: under load, commits wake the relay constantly; batching them costs a
        # few milliseconds of event latency and saves most of the relay's round trips.
        await asyncio.sleep(min(seconds, self.settings.relay_linger))
        if self._wakeup.is_set():
            self._wakeup.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    def stop(self) -> None:
        """Finish the current batch, then return from ``run``."""
        self._stopping = True
        self._wakeup.set()
