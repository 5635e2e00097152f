"""The order lifecycle: PENDING -> PAID | CANCELLED, PAID -> SHIPPED; each move is an event."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import asyncpg

from order.db import Tx
from order.events import new_event

TOPIC = "order-events"
Status = Literal["PENDING", "PAID", "CANCELLED", "SHIPPED"]
# Allowed moves: target status -> the statuses it may come from.
TRANSITIONS: dict[str, frozenset[str]] = {
    "PAID": frozenset({"PENDING"}),
    "CANCELLED": frozenset({"PENDING"}),
    "SHIPPED": frozenset({"PAID"}),
}
EVENT_OF: dict[str, str] = {"PAID": "order.paid", "CANCELLED": "order.cancelled",
                            "SHIPPED": "order.shipped"}


def order_data(row: asyncpg.Record) -> dict[str, Any]:
    """What order events carry about an order."""
    return {
        "order_id": str(row["id"]),
        "buyer_id": str(row["buyer_id"]),
        "buyer_email": row["buyer_email"],
        "total": str(row["total"]),
        "currency": row["currency"],
        "status": row["status"],
        "reason": row["status_reason"],
    }


async def move(tx: Tx, order_id: UUID, to: str, reason: str | None = None) -> asyncpg.Record | None:
    """Move an order to ``to`` and publish its event; None when the move is not allowed now
    (unknown order, or not in a status ``to`` may come from)."""
    row = await tx.conn.fetchrow(
        "UPDATE orders SET status = $2, status_reason = $3, updated_at = now(),"
        " version = version + 1 WHERE id = $1 AND status = ANY($4::text[]) RETURNING *",
        order_id, to, reason, sorted(TRANSITIONS[to]),
    )
    if row is not None:
        event = new_event(EVENT_OF[to], order_data(row), subject=str(order_id))
        await tx.publish(TOPIC, event)
    return row
