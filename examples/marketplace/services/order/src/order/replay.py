"""``python -m order replay``: rebuild the read model (orders, order_lines) from the event store.

Safe while the service runs: appends wait for the rebuild's transaction (a lock on the store).
"""

from __future__ import annotations

import json
import logging

import asyncpg

from order import projection
from order.settings import Settings

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    """Fold every stream again into an emptied read model, in one transaction."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        events, orders = await projection.rebuild(conn)
    finally:
        await conn.close()
    log.info("replayed the order store", extra={"events": events, "orders": orders})
    print(json.dumps({"events": events, "orders": orders}))
