"""Handlers of consumed events: e-mail the people an event concerns, and record each e-mail.

The message is sent (SMTP) before the transaction commits with the notification row and the
event's idempotency record: if the commit fails the event is redelivered and the e-mail may be
sent twice (at-least-once), never zero times. An SMTP failure raises, so the event is retried and
finally parked on ``<topic>.dlq``.
"""

from __future__ import annotations

import logging

from notification import mailer, repository
from notification.db import Tx
from notification.events import Event
from notification.messages import notice_for
from notification.models import NotificationCreate

log = logging.getLogger(__name__)


async def handle(event: Event, tx: Tx) -> None:
    """React to an event from ``order-events``, ``payment-events``, ``user-events``."""
    notice = notice_for(event)
    if notice is None:
        return
    settings = mailer.MailSettings()
    await mailer.send(settings, mailer.compose(settings, notice.recipient, notice.subject,
                                               notice.body, event.id))
    record = await repository.create(tx, NotificationCreate(
        recipient=notice.recipient, subject=notice.subject, event_type=event.type))
    await tx.conn.execute(
        "UPDATE notifications SET body = $2, event_id = $3, sent_at = now() WHERE id = $1",
        record.id, notice.body, event.id,
    )
    log.info("e-mail sent", extra={"event_type": event.type, "notification_id": str(record.id)})
