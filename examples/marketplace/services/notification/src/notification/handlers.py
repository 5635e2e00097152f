"""Handlers of consumed events: notify the people an event concerns, by e-mail, SMS and push.

The channels are the recipient's choice for the event type (``preferences``), among those this
process has (``channels``). Each (event, channel, address) is claimed in a delivery record before
it is sent and marked after (``dispatch``, ``deliveries``): a redelivered or retried event never
sends a message twice. A failed channel raises once every channel was tried, so the consumer
retries the event (backoff doubling) and finally parks it on ``<topic>.dlq``; the channels that
went out are skipped on each retry. The notice is recorded in ``notifications`` (one per event).
"""

from __future__ import annotations

import logging

from notification import repository
from notification.channel import Address, Channel, Message
from notification.channels import configured
from notification.db import Tx
from notification.dispatch import deliver
from notification.events import Event
from notification.messages import notice_for
from notification.models import NotificationCreate
from notification.preferences import targets_for

log = logging.getLogger(__name__)


async def handle(event: Event, tx: Tx) -> None:
    """React to an event from ``order-events``, ``payment-events``, ``user-events``."""
    notice = notice_for(event)
    if notice is None:
        return
    assert tx.db is not None, "deliveries commit on their own: the Tx needs its Database"
    kind = event.type.removeprefix("marketplace.")
    have = configured().channels
    chosen = await targets_for(tx.conn, notice.recipient, kind)
    targets: list[tuple[Channel, Address]] = []
    for name, addresses in chosen.by_channel.items():
        if name not in have:
            log.info("channel not configured here; skipped", extra={"channel": name})
            continue
        targets += [(have[name], a) for a in addresses]
    message = Message(event.id, kind, notice.subject, notice.body)
    sent = await deliver(tx.db, targets, message)
    record = await repository.create(tx, NotificationCreate(
        recipient=notice.recipient, subject=notice.subject, event_type=event.type))
    await tx.conn.execute(
        "UPDATE notifications SET body = $2, event_id = $3, sent_at = now() WHERE id = $1",
        record.id, notice.body, event.id,
    )
    log.info("notified", extra={"event_type": event.type, "notification_id": str(record.id),
                                "channels": sorted(chosen.by_channel), "sent": sent})
