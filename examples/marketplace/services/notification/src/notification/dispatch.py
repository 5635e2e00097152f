"""Send one event's notice through every chosen channel, each (event, channel, address) once.

Every target is tried even when another fails; the failures are raised together afterwards, so
the consumer retries the event (backoff) and finally parks it on the dead-letter topic. A retry
skips the targets already sent (``deliveries``).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from notification import deliveries
from notification.channel import Address, Channel, ChannelError, Gone, Message
from notification.db import Database

log = logging.getLogger(__name__)
SENT = Counter("notifications_sent_total", "Notices by channel and outcome",
               ["channel", "outcome"])


class DeliveryFailed(ChannelError):
    """Some targets failed (the event is retried; the sent ones are not sent again)."""


async def deliver(db: Database, targets: list[tuple[Channel, Address]], message: Message) -> int:
    """Send to each target not sent before; returns how many went out now."""
    errors: list[str] = []
    sent = 0
    for channel, address in targets:
        key = (message.event_id, channel.name, address.value)
        attempt = await deliveries.claim(db, key)
        if attempt is None:
            state = await deliveries.status_of(db, key)
            if state == "sending":
                log.warning("delivery outcome unknown (interrupted earlier); not sent again",
                            extra={"event_id": message.event_id, "channel": channel.name})
            SENT.labels(channel.name, "skipped").inc()
            continue
        try:
            await channel.send(address, message)
        except Gone as exc:
            await deliveries.finish(db, key, "gone", str(exc))
            await forget(db, channel.name, address)
            SENT.labels(channel.name, "gone").inc()
        except Exception as exc:
            error = f"{channel.name}: {exc.__class__.__name__}: {exc}"
            await deliveries.finish(db, key, "failed", error)
            SENT.labels(channel.name, "failed").inc()
            log.warning("delivery failed", extra={"event_id": message.event_id,
                        "channel": channel.name, "attempt": attempt, "error": error[:300]})
            errors.append(error)
        else:
            await deliveries.finish(db, key, "sent")
            SENT.labels(channel.name, "sent").inc()
            sent += 1
    if errors:
        raise DeliveryFailed("; ".join(errors)[:1000])
    return sent


async def forget(db: Database, channel: str, address: Address) -> None:
    """Drop an address the provider says is gone (a push subscription)."""
    if channel == "push":
        async with db.transaction() as tx:
            await tx.conn.execute("DELETE FROM push_subscriptions WHERE endpoint = $1",
                                  address.value)
