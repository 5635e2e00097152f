"""Handlers of consumed events: every placed order is charged once.

``order.placed`` -> a charge through the provider (idempotency key ``order-<id>``, so a
redelivered or retried event never charges twice) -> a payment row and ``payment.succeeded`` or
``payment.failed`` (``settlement.py``). Other order events are ignored.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from uuid import UUID

from payment import repository, settlement
from payment.db import Tx
from payment.events import Event
from payment.models import PaymentCreate
from payment.provider import get_provider

log = logging.getLogger(__name__)
PLACED = "marketplace.order.order.placed"


async def handle(event: Event, tx: Tx) -> None:
    """React to an event from ``order-events``."""
    if event.type != PLACED:
        return
    data = event.data
    order_id = UUID(data["order_id"])
    amount, currency = Decimal(data["total"]), str(data["currency"])
    charge = await get_provider().charge(
        amount=amount, currency=currency, card_number=str(data["payment_method"]["number"]),
        idempotency_key=f"order-{order_id}",
    )
    if await tx.conn.fetchval("SELECT true FROM payments WHERE provider_charge_id = $1", charge.id):
        return  # this charge is recorded already
    payment = await repository.create(
        tx, PaymentCreate(order_id=order_id, amount=amount, currency=currency)
    )
    row = await tx.conn.fetchrow(
        "UPDATE payments SET buyer_email = $2 WHERE id = $1 RETURNING *",
        payment.id, data.get("buyer_email"),
    )
    await settlement.settle(tx, row, charge)
    log.info("order charged", extra={"order_id": str(order_id), "charge": charge.status})
