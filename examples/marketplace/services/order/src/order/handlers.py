"""Handlers of consumed events: THIS FILE IS YOURS (created once, never overwritten).

``handle`` runs once per event id: its effects on ``tx`` commit together with the
event's idempotency record, and events written with ``tx.publish`` leave through
the outbox.
Raise to retry; after the last attempt the event is parked on ``<topic>.dlq``.
"""

from __future__ import annotations

import logging

from order.db import Tx
from order.events import Event

log = logging.getLogger(__name__)


async def handle(event: Event, tx: Tx) -> None:
    """React to an event from ``payment-events``, ``product-events``."""
    log.info("event received", extra={"event_id": event.id, "event_type": event.type})
