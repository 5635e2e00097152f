"""Delivery records: each (event, channel, address) is sent at most once, and retried only after
a failure the provider reported.

``claim`` commits a ``sending`` row in its own transaction before the provider is called (two
consumers of one event cannot both win it); ``sent`` or ``failed`` commits the outcome. A claim
succeeds only for a new row or a ``failed`` one, so a retried event skips what already went out.
A row left ``sending`` (the process died between sending and recording) is never sent again:
its outcome is unknown, and a duplicate is the worse error here; it is logged for an operator.
"""

from __future__ import annotations

from notification.db import Database

Key = tuple[str, str, str]  # event id, channel, address


async def claim(db: Database, key: Key) -> int | None:
    """The attempt number if this call may send, else None (sent, gone or in flight)."""
    async with db.transaction() as tx:
        attempt = await tx.conn.fetchval(
            "INSERT INTO deliveries (event_id, channel, address, status) VALUES ($1, $2, $3,"
            " 'sending') ON CONFLICT (event_id, channel, address) DO UPDATE SET status ="
            " 'sending', attempts = deliveries.attempts + 1, updated_at = now()"
            " WHERE deliveries.status = 'failed' RETURNING attempts",
            *key,
        )
    return int(attempt) if attempt is not None else None


async def finish(db: Database, key: Key, status: str, error: str | None = None) -> None:
    """Record the outcome: ``sent``, ``failed`` (may be claimed again) or ``gone``."""
    async with db.transaction() as tx:
        await tx.conn.execute(
            "UPDATE deliveries SET status = $4, error = $5, updated_at = now()"
            " WHERE event_id = $1 AND channel = $2 AND address = $3",
            *key, status, error[:1000] if error else None,
        )


async def status_of(db: Database, key: Key) -> str | None:
    """The recorded status (None: never claimed)."""
    rows = await db.fetch(
        "SELECT status FROM deliveries WHERE event_id = $1 AND channel = $2 AND address = $3",
        *key,
    )
    return str(rows[0]["status"]) if rows else None
