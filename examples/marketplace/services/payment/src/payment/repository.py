"""Storage of payments in PostgreSQL.

Every change writes its event to the outbox in the same transaction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from payment.db import Tx
from payment.events import new_event
from payment.models import Payment, PaymentCreate, PaymentPage

TABLE = '"payments"'
TOPIC = "payment-events"
COLUMNS: tuple[str, ...] = (
    "order_id",
    "amount",
    "currency",
)


# The create's statement, built once (the columns are fixed).
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)
_VALUES = ", ".join(f"${i}" for i in range(3, len(COLUMNS) + 3))
INSERT = (f"INSERT INTO {TABLE} (id, created_at, updated_at, {_NAMES})"
          f" VALUES ($1, $2, $2, {_VALUES}) RETURNING *")


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not issue."""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# ``<microseconds since the epoch>_<id as 32 hex digits>``: every string of this form is a
# position in the keyset (the OpenAPI document states the pattern), so none is refused.
CURSOR_PATTERN = r"^[0-9]{1,17}_[0-9a-f]{32}$"


def encode_cursor(created_at: datetime, id_: UUID) -> str:
    """A keyset cursor: the position after ``(created_at, id_)``."""
    return f"{(created_at - EPOCH) // MICROSECOND}_{id_.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position a cursor points after."""
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise InvalidCursor("invalid cursor")
    micros, _, id_ = cursor.partition("_")
    return EPOCH + int(micros) * MICROSECOND, UUID(hex=id_)


def _entity(row: asyncpg.Record) -> Payment:
    return Payment.model_validate(dict(row))


async def _announce(tx: Tx, kind: str, entity: Payment) -> None:
    data = entity.model_dump(mode="json")
    await tx.publish(TOPIC, new_event(f"payment.{kind}", data, subject=str(entity.id)))


async def create(tx: Tx, data: PaymentCreate) -> Payment:
    """Insert a payment and its ``payment.created`` event."""
    now = datetime.now(UTC)
    row = await tx.conn.fetchrow(INSERT, uuid4(), now, *(getattr(data, c) for c in COLUMNS))
    entity = _entity(row)
    await _announce(tx, "created", entity)
    return entity


async def get(
    conn: asyncpg.Connection | Tx, id_: UUID, lock: bool = False
) -> Payment | None:
    """One payment, or None; ``lock`` holds its row until the transaction ends."""
    db = conn.conn if isinstance(conn, Tx) else conn
    suffix = " FOR UPDATE" if lock else ""
    row = await db.fetchrow(f"SELECT * FROM {TABLE} WHERE id = $1{suffix}", id_)
    return _entity(row) if row else None


async def list_page(
    conn: asyncpg.Connection, limit: int, cursor: str | None = None
) -> PaymentPage:
    """Up to ``limit`` payments in creation order, after ``cursor``."""
    if cursor:
        created_at, id_ = decode_cursor(cursor)
        rows = await conn.fetch(
            f"SELECT * FROM {TABLE} WHERE (created_at, id) > ($1, $2)"
            " ORDER BY created_at, id LIMIT $3",
            created_at,
            id_,
            limit + 1,
        )
    else:
        rows = await conn.fetch(
            f"SELECT * FROM {TABLE} ORDER BY created_at, id LIMIT $1", limit + 1
        )
    items = [_entity(r) for r in rows[:limit]]
    more = len(rows) > limit
    last = items[-1] if more else None
    return PaymentPage(
        items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None
    )


async def update(
    tx: Tx, id_: UUID, changes: dict[str, Any], expected_version: int | None = None
) -> Payment | None:
    """Apply ``changes``; None if missing or (with ``expected_version``) changed meanwhile."""
    names = [c for c in COLUMNS if c in changes]
    sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(names, start=4))
    sets = f"{sets}, " if sets else ""
    row = await tx.conn.fetchrow(
        f"UPDATE {TABLE} SET {sets}updated_at = $2, version = version + 1"
        " WHERE id = $1 AND ($3::int IS NULL OR version = $3) RETURNING *",
        id_,
        datetime.now(UTC),
        expected_version,
        *(changes[c] for c in names),
    )
    if row is None:
        return None
    entity = _entity(row)
    await _announce(tx, "updated", entity)
    return entity


async def delete(tx: Tx, id_: UUID) -> Payment | None:
    """Delete a payment; returns what was deleted, or None."""
    row = await tx.conn.fetchrow(f"DELETE FROM {TABLE} WHERE id = $1 RETURNING *", id_)
    if row is None:
        return None
    entity = _entity(row)
    await _announce(tx, "deleted", entity)
    return entity
