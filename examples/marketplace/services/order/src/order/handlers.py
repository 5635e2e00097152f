"""Handlers of consumed events: payments settle orders; product events keep a local catalog.

- ``payment.succeeded`` -> the order becomes PAID (``order.paid``);
  ``payment.failed`` -> CANCELLED (``order.cancelled``). A payment for an order that is no longer
  PENDING changes nothing (logged).
- ``product.created|updated|deleted`` -> the ``products`` projection used by carts and checkout;
  an older event never overwrites a newer one (compared on the product's ``version``).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from uuid import UUID

from order import lifecycle
from order.db import Tx
from order.events import Event

log = logging.getLogger(__name__)
PAYMENT = "marketplace.payment.payment."
PRODUCT = "marketplace.catalog.product."


async def handle(event: Event, tx: Tx) -> None:
    """React to an event from ``payment-events``, ``product-events``."""
    if event.type.startswith(PAYMENT):
        await on_payment(event, tx)
    elif event.type.startswith(PRODUCT):
        await on_product(event, tx)


async def on_payment(event: Event, tx: Tx) -> None:
    """Settle the order a payment is about."""
    outcome = event.type.removeprefix(PAYMENT)
    target = {"succeeded": "PAID", "failed": "CANCELLED"}.get(outcome)
    if target is None:
        return
    order_id = UUID(event.data["order_id"])
    reason = event.data.get("failure_reason") if target == "CANCELLED" else None
    if await lifecycle.move(tx, order_id, target, reason) is None:
        log.warning("payment for an order that is not pending",
                    extra={"order_id": str(order_id), "payment": outcome})


async def on_product(event: Event, tx: Tx) -> None:
    """Upsert (or deactivate) the product in the local projection."""
    data = event.data
    active = not event.type.endswith(".deleted")
    await tx.conn.execute(
        "INSERT INTO products (id, seller_id, name, price, currency, active, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET"
        " seller_id = EXCLUDED.seller_id, name = EXCLUDED.name, price = EXCLUDED.price,"
        " currency = EXCLUDED.currency, active = EXCLUDED.active,"
        " version = EXCLUDED.version WHERE products.version <= EXCLUDED.version",
        UUID(data["id"]), UUID(data["seller_id"]), data["name"], Decimal(data["price"]),
        data["currency"], active, int(data["version"]),
    )
