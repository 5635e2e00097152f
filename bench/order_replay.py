"""The order service's event store: live appends beside a full replay, per event, one run.

A fresh PostgreSQL (``marketplace_kit.devenv``) and the order service's own code
(``examples/marketplace/services/order``): ``--orders`` checkouts and payments through
``lifecycle`` (each an append with its projection row and outbox row in one transaction), then
``projection.rebuild`` (what ``python -m order replay`` runs) over the whole store. The ratio is
the replay's cost per event beside a live change's.

    .venv/bin/python bench/order_replay.py [--orders 2000] [--markdown]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _common import machine, markdown_table, text_table

from marketplace_kit.devenv import Postgres

ORDER = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services" / "order"


def _placed(order_id: uuid.UUID) -> dict[str, Any]:
    line = {"product_id": str(uuid.uuid4()), "seller_id": str(uuid.uuid4()), "name": "Lamp",
            "unit_price": "5.00", "quantity": 2}
    return {"order_id": str(order_id), "buyer_id": str(uuid.uuid4()), "buyer_email": "b@x.test",
            "total": "10.00", "currency": "EUR", "status": "PENDING", "reason": None,
            "version": 1, "lines": [line]}


async def measure(url: str, orders: int) -> tuple[float, float, int]:
    """(seconds of the live appends, seconds of the replay, events)."""
    import asyncpg
    from order import lifecycle, projection
    from order.db import Database
    from order.events import new_event
    from order.migrate import migrate

    await migrate(url)
    db = Database(url)
    await db.connect()
    started = time.perf_counter()
    for _ in range(orders):
        order_id = uuid.uuid4()
        async with db.transaction() as tx:
            placed = new_event("order.placed", _placed(order_id), str(order_id))
            await lifecycle.record(tx, order_id, None, placed)
        async with db.transaction() as tx:
            await lifecycle.move(tx, order_id, "PAID")
    live = time.perf_counter() - started
    await db.close()
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    events, rebuilt = await projection.rebuild(conn)
    replay = time.perf_counter() - started
    await conn.close()
    assert rebuilt == orders, (rebuilt, orders)
    return live, replay, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ORDER / "src"))
    print(machine())
    with Postgres() as postgres:
        live, replay, events = asyncio.run(
            measure(postgres.create_database("order_bench"), args.orders))
    per_live, per_replay = live / events * 1000, replay / events * 1000
    header = ["path", "events", "seconds", "ms per event", "events/s"]
    rows = [["live append (+ projection + outbox, 1 tx)", events, f"{live:.2f}",
             f"{per_live:.2f}", f"{events / live:.0f}"],
            ["replay (fold + COPY, 1 tx)", events, f"{replay:.2f}", f"{per_replay:.3f}",
             f"{events / replay:.0f}"]]
    print((markdown_table if args.markdown else text_table)(header, rows))
    print(f"replay / live per event: {per_replay / per_live:.3f}")


if __name__ == "__main__":
    main()
