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

from user.db import Database
from user.kafka import SharedProducer
from user.metrics import EVENTS_PUBLISHED, PUBLISH_FAILURES
from user.settings import Settings

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 300.0


class OutboxRelay:
    """Background task: ``run`` until ``stop``; ``wake`` after a commit that wrote events."""

    def __init__(self, settings: Settings, db: Database, producer: SharedProducer) -> None:
        self.settings = settings
        self.db = db
        self.producer = producer
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._last_purge = 0.0

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
            sends = [await producer.send(r["topic"], r["payload"], key=r["key"]) for r in rows]
            timeout = self.settings.kafka_request_timeout_ms / 1000 + 5
            await asyncio.wait_for(asyncio.gather(*sends), timeout)
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])",
                [r["seq"] for r in rows],
            )
        for row in rows:
            EVENTS_PUBLISHED.labels(row["topic"]).inc()
        return len(rows)

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
