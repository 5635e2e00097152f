"""The read model of orders (``orders`` + ``order_lines``), folded from the event store.

``evolve`` is the fold: the state after one more event (None: the order does not exist). The
live path loads the state, appends an event and saves ``evolve(state, event)``; ``rebuild``
empties the read model and folds every stream again (``python -m order replay``).

Events of the domain: ``order.placed`` (the whole order, version 1) and ``order.paid|cancelled|
shipped`` (a status move). Events of the generated admin API carry the order's columns:
``order.created|updated`` set them, ``order.deleted`` removes the order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from order.eventstore import Recorded, read_all

PREFIX = "marketplace.order.order."
LINE_COLUMNS = ("product_id", "seller_id", "name", "unit_price", "quantity")


@dataclass(frozen=True)
class LineState:
    """A product line of an order."""

    product_id: UUID
    seller_id: UUID
    name: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class OrderState:
    """An order as its events made it."""

    id: UUID
    buyer_id: UUID
    buyer_email: str | None
    total: Decimal
    currency: str
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    lines: tuple[LineState, ...] = ()


def _line(data: dict[str, Any]) -> LineState:
    return LineState(UUID(data["product_id"]), UUID(data["seller_id"]), data["name"],
                     Decimal(data["unit_price"]), int(data["quantity"]))


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """The admin API's columns of an order, from its event."""
    return {"buyer_id": UUID(data["buyer_id"]), "total": Decimal(data["total"]),
            "currency": data["currency"], "created_at": datetime.fromisoformat(data["created_at"]),
            "updated_at": datetime.fromisoformat(data["updated_at"])}


def evolve(state: OrderState | None, event: Recorded) -> OrderState | None:
    """The order after ``event`` (ValueError for an event that cannot follow ``state``)."""
    kind, data = event.type.removeprefix(PREFIX), event.data
    if kind == "placed" and state is None:
        return OrderState(
            id=event.stream_id, buyer_id=UUID(data["buyer_id"]), buyer_email=data["buyer_email"],
            total=Decimal(data["total"]), currency=data["currency"], status="PENDING",
            status_reason=None, created_at=event.time, updated_at=event.time,
            version=event.version, lines=tuple(_line(line) for line in data["lines"]),
        )
    if kind in ("paid", "cancelled", "shipped") and state is not None:
        return replace(state, status=data["status"], status_reason=data["reason"],
                       updated_at=event.time, version=event.version)
    if kind == "created" and state is None:
        return OrderState(id=event.stream_id, buyer_email=None, status="PENDING",
                          status_reason=None, version=event.version, **_columns(data))
    if kind == "updated" and state is not None:
        return replace(state, version=event.version, **_columns(data))
    if kind == "deleted" and state is not None:
        return None
    raise ValueError(f"event {event.event_id} ({event.type}) cannot follow version "
                     f"{state.version if state else 0} of order {event.stream_id}")


async def load(conn: asyncpg.Connection, order_id: UUID, lock: bool = False) -> OrderState | None:
    """The order's current state from the read model; ``lock`` holds its row."""
    row = await conn.fetchrow(
        "SELECT id, buyer_id, buyer_email, total, currency, status, status_reason, created_at,"
        " updated_at, version FROM orders WHERE id = $1" + (" FOR UPDATE" if lock else ""),
        order_id,
    )
    if row is None:
        return None
    lines = await conn.fetch(
        f"SELECT {', '.join(LINE_COLUMNS)} FROM order_lines WHERE order_id = $1"
        " ORDER BY name, product_id", order_id,
    )
    return OrderState(**dict(row), lines=tuple(LineState(**dict(line)) for line in lines))


async def save(conn: asyncpg.Connection, before: OrderState | None,
               after: OrderState | None) -> None:
    """Write the change from ``before`` to ``after`` into the read model."""
    if after is None:
        if before is not None:
            await conn.execute("DELETE FROM orders WHERE id = $1", before.id)
        return
    await conn.execute(
        "INSERT INTO orders (id, buyer_id, buyer_email, total, currency, status, status_reason,"
        " created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (id) DO UPDATE SET buyer_id = EXCLUDED.buyer_id,"
        " buyer_email = EXCLUDED.buyer_email, total = EXCLUDED.total,"
        " currency = EXCLUDED.currency, status = EXCLUDED.status,"
        " status_reason = EXCLUDED.status_reason, created_at = EXCLUDED.created_at,"
        " updated_at = EXCLUDED.updated_at, version = EXCLUDED.version",
        after.id, after.buyer_id, after.buyer_email, after.total, after.currency, after.status,
        after.status_reason, after.created_at, after.updated_at, after.version,
    )
    if before is None or before.lines != after.lines:
        await conn.execute("DELETE FROM order_lines WHERE order_id = $1", after.id)
        await conn.executemany(
            f"INSERT INTO order_lines (order_id, {', '.join(LINE_COLUMNS)})"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(after.id, line.product_id, line.seller_id, line.name, line.unit_price,
              line.quantity) for line in after.lines],
        )


ORDER_COLUMNS = ("id", "buyer_id", "buyer_email", "total", "currency", "status", "status_reason",
                 "created_at", "updated_at", "version")


async def _copy(conn: asyncpg.Connection, states: list[OrderState]) -> None:
    """Write new orders in bulk (COPY): the read model was emptied."""
    await conn.copy_records_to_table("orders", columns=ORDER_COLUMNS, records=[
        tuple(getattr(s, c) for c in ORDER_COLUMNS) for s in states])
    await conn.copy_records_to_table("order_lines", columns=("order_id", *LINE_COLUMNS), records=[
        (s.id, *(getattr(line, c) for c in LINE_COLUMNS)) for s in states for line in s.lines])


async def rebuild(conn: asyncpg.Connection, batch: int = 1000) -> tuple[int, int]:
    """Empty the read model and fold every stream again, in one transaction; returns (events,
    orders). New appends wait until it commits."""
    events = orders = 0
    folded: list[OrderState] = []
    async with conn.transaction():
        await conn.execute("LOCK TABLE order_events IN EXCLUSIVE MODE")
        await conn.execute("TRUNCATE order_lines, orders")
        stream: UUID | None = None
        state: OrderState | None = None
        async for event in read_all(conn, batch):
            if event.stream_id != stream:
                if state is not None:
                    folded.append(state)
                stream, state = event.stream_id, None
                if len(folded) >= batch:
                    await _copy(conn, folded)
                    orders, folded = orders + len(folded), []
            state = evolve(state, event)
            events += 1
        if state is not None:
            folded.append(state)
        await _copy(conn, folded)
    return events, orders + len(folded)
