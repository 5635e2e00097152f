"""The order event store: one stream per order in ``order_events`` (0003_event_store.sql).

``append`` records an event at the stream's next version and publishes the same event (same id,
same CloudEvent) through the outbox in the same transaction. Optimistic concurrency: the writer
names the version it decided on; a concurrent writer that appended that version first makes the
unique (stream_id, version) refuse the second, answered 409 (a consumer retries the event).

The card number of ``order.placed`` goes to the payment service in the outbox copy only: the
store (kept forever) records the event without it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import status

from order.db import Tx
from order.errors import DomainError
from order.events import Event

TOPIC = "order-events"
NOT_STORED = ("payment_method",)
_VERSION_TAKEN = "order_events_stream_id_version_key"
_COLUMNS = "stream_id, version, event_id, type, time, data::text AS data"


@dataclass(frozen=True)
class Recorded:
    """An event as the store holds it."""

    stream_id: UUID
    version: int
    event_id: UUID
    type: str
    time: datetime
    data: dict[str, Any]


class ConcurrencyConflict(DomainError):
    """Another writer appended to the stream since this one read it."""

    def __init__(self, stream_id: UUID, version: int) -> None:
        super().__init__(status.HTTP_409_CONFLICT,
                         f"order {stream_id} changed meanwhile (version {version} is taken)")


def _recorded(row: asyncpg.Record) -> Recorded:
    return Recorded(row["stream_id"], row["version"], row["event_id"], row["type"], row["time"],
                    json.loads(row["data"]))


async def append(tx: Tx, stream_id: UUID, expected_version: int, event: Event) -> Recorded:
    """Record ``event`` as version ``expected_version + 1`` of the stream, then publish it."""
    version = expected_version + 1
    data = {k: v for k, v in event.data.items() if k not in NOT_STORED}
    try:
        row = await tx.conn.fetchrow(
            "INSERT INTO order_events (stream_id, version, event_id, type, time, data)"
            f" VALUES ($1, $2, $3, $4, $5, $6::text::jsonb) RETURNING {_COLUMNS}",
            stream_id, version, UUID(event.id), event.type, event.time, json.dumps(data),
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _VERSION_TAKEN:
            raise ConcurrencyConflict(stream_id, version) from None
        raise
    await tx.publish(TOPIC, event, key=str(stream_id))
    return _recorded(row)


async def read_stream(conn: asyncpg.Connection, stream_id: UUID) -> list[Recorded]:
    """One order's events, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM order_events WHERE stream_id = $1 ORDER BY version", stream_id
    )
    return [_recorded(r) for r in rows]


async def read_all(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[Recorded]:
    """Every event, stream by stream, each stream oldest first (inside a transaction)."""
    query = f"SELECT {_COLUMNS} FROM order_events ORDER BY stream_id, version"
    async for row in conn.cursor(query, prefetch=batch):
        yield _recorded(row)
