"""The order lifecycle: PENDING -> PAID | CANCELLED, PAID -> SHIPPED; each move is an event.

Every change is ``record``: the event is appended to the order's stream (published through the
outbox with the same id) and the read model saves the state the event folds to.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from order import eventstore, projection
from order.db import Tx
from order.events import Event, new_event
from order.projection import OrderState

TOPIC = eventstore.TOPIC
Status = Literal["PENDING", "PAID", "CANCELLED", "SHIPPED"]
# Allowed moves: target status -> the statuses it may come from.
TRANSITIONS: dict[str, frozenset[str]] = {
    "PAID": frozenset({"PENDING"}),
    "CANCELLED": frozenset({"PENDING"}),
    "SHIPPED": frozenset({"PAID"}),
}
EVENT_OF: dict[str, str] = {"PAID": "order.paid", "CANCELLED": "order.cancelled",
                            "SHIPPED": "order.shipped"}


def order_data(state: OrderState) -> dict[str, Any]:
    """What order events carry about an order (``version``: the stream version of the event)."""
    return {
        "order_id": str(state.id),
        "buyer_id": str(state.buyer_id),
        "buyer_email": state.buyer_email,
        "total": str(state.total),
        "currency": state.currency,
        "status": state.status,
        "reason": state.status_reason,
        "version": state.version,
    }


async def record(tx: Tx, order_id: UUID, before: OrderState | None, event: Event) -> OrderState:
    """Append ``event`` to the order's stream after ``before`` and save the state it makes."""
    recorded = await eventstore.append(tx, order_id, before.version if before else 0, event)
    after = projection.evolve(before, recorded)
    if after is None:  # only the admin API deletes, and its events enter by the outbox trigger
        raise ValueError(f"{event.type} removed order {order_id}")
    await projection.save(tx.conn, before, after)
    return after


async def move(tx: Tx, order_id: UUID, to: str, reason: str | None = None) -> OrderState | None:
    """Move an order to ``to`` and publish its event; None when the move is not allowed now
    (unknown order, or not in a status ``to`` may come from)."""
    before = await projection.load(tx.conn, order_id, lock=True)
    if before is None or before.status not in TRANSITIONS[to]:
        return None
    data = order_data(before) | {"status": to, "reason": reason, "version": before.version + 1}
    return await record(tx, order_id, before, new_event(EVENT_OF[to], data, subject=str(order_id)))
