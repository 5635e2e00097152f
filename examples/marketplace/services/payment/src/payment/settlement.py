"""Recording what the provider said about a payment, and announcing every change.

``settle`` is the one place a payment's status changes (charge result, webhook,
reconciliation): it updates the row and publishes ``payment.succeeded|failed|refunded`` on
``payment-events`` in the caller's transaction, only when the status actually changed.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from payment.db import Tx
from payment.events import new_event
from payment.provider import Charge

TOPIC = "payment-events"
STATUS_OF = {"succeeded": "SUCCEEDED", "declined": "FAILED", "refunded": "REFUNDED"}
EVENT_OF = {"SUCCEEDED": "payment.succeeded", "FAILED": "payment.failed",
            "REFUNDED": "payment.refunded"}


def payment_data(row: asyncpg.Record) -> dict[str, Any]:
    """What payment events carry."""
    return {
        "payment_id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "amount": str(row["amount"]),
        "currency": row["currency"],
        "status": row["status"],
        "failure_reason": row["failure_reason"],
        "charge_id": row["provider_charge_id"],
        "buyer_email": row["buyer_email"],
    }


async def settle(tx: Tx, payment: asyncpg.Record, charge: Charge) -> bool:
    """Bring ``payment`` in line with ``charge``; True when its status changed."""
    status = STATUS_OF[charge.status]
    if payment["status"] == status and payment["provider_charge_id"] == charge.id:
        return False
    row = await tx.conn.fetchrow(
        "UPDATE payments SET status = $2, provider_charge_id = $3, failure_reason = $4,"
        " updated_at = now(), version = version + 1 WHERE id = $1 RETURNING *",
        payment["id"], status, charge.id, charge.failure_reason,
    )
    if payment["status"] != status:
        event = new_event(EVENT_OF[status], payment_data(row), subject=str(row["order_id"]))
        await tx.publish(TOPIC, event)
    return payment["status"] != status
