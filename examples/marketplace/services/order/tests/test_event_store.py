"""The event-sourced order store: streams, optimistic concurrency, the outbox carrying the same
events, the history endpoint, and ``python -m order replay`` rebuilding identical state."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from order import eventstore, lifecycle, projection
from order.events import Event, new_event
from order.settings import Settings
from tests.conftest import bearer, integration
from tests.test_domain import feed, place_order

ANY_TIME: Any = ANY
READ_MODEL = ("SELECT * FROM orders ORDER BY id",
              "SELECT * FROM order_lines ORDER BY order_id, product_id")


async def read_model(app: FastAPI) -> list[list[dict[str, Any]]]:
    return [[dict(r) for r in await app.state.runtime.db.fetch(q)] for q in READ_MODEL]


async def outbox(app: FastAPI, order_id: str) -> list[Event]:
    rows = await app.state.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY seq", order_id.encode()
    )
    return [Event.from_bytes(r["payload"]) for r in rows]


def replay(settings: Settings) -> str:
    """``python -m order replay`` as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "order", "replay"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@integration
async def test_history_is_the_stream_and_the_outbox_carries_the_same_events(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    seller = str(uuid.uuid4())
    order, buyer = await place_order(app, client, auth_settings, seller)
    await feed(app, "payment.payment.succeeded", {"order_id": order["id"]})
    shipped = await client.post(f"/order/orders/{order['id']}/ship",
                                headers=bearer(auth_settings, seller, "seller"))
    assert shipped.json()["version"] == 3

    answer = await client.get(f"/order/me/orders/{order['id']}/events", headers=buyer)
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert [(e["type"].removeprefix("marketplace.order."), e["version"]) for e in history] == [
        ("order.placed", 1), ("order.paid", 2), ("order.shipped", 3)]
    assert "payment_method" not in history[0]["data"]  # the card number is never stored
    sent = await outbox(app, order["id"])
    assert [e.id for e in sent] == [e["id"] for e in history]  # same events, same ids
    assert sent[0].data["payment_method"]["number"] == "4242424242424242"
    assert [e.data["status"] for e in sent] == ["PENDING", "PAID", "SHIPPED"]

    stranger = bearer(auth_settings, str(uuid.uuid4()), "buyer")
    path = f"/order/me/orders/{order['id']}/events"
    assert (await client.get(path, headers=stranger)).status_code == 404
    assert (await client.get(path)).status_code == 401
    assert "/order/me/orders/{id_}/events" in app.openapi()["paths"]


@integration
async def test_a_stale_writer_is_refused_and_leaves_nothing(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    order, _ = await place_order(app, client, auth_settings, str(uuid.uuid4()))
    stream = uuid.UUID(order["id"])
    db = app.state.runtime.db
    async with db.acquire() as conn:
        stale = await projection.load(conn, stream)  # a writer read version 1 ...
    assert stale is not None and stale.version == 1
    async with db.transaction() as tx:  # ... another appended version 2 meanwhile
        assert await lifecycle.move(tx, stream, "PAID") is not None
    late = new_event("order.cancelled", lifecycle.order_data(stale)
                     | {"status": "CANCELLED", "version": 2}, str(stream))
    with pytest.raises(eventstore.ConcurrencyConflict):
        async with db.transaction() as tx:
            await lifecycle.record(tx, stream, stale, late)
    assert late.id not in [e.id for e in await outbox(app, order["id"])]
    async with db.acquire() as conn:
        assert [e.type.rsplit(".", 1)[1] for e in await eventstore.read_stream(conn, stream)] == [
            "placed", "paid"]
        assert (await projection.load(conn, stream)) == replace(stale, status="PAID", version=2,
                                                                updated_at=ANY_TIME)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE order_events SET type = 'x' WHERE stream_id = $1", stream)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM order_events WHERE stream_id = $1", stream)


@integration
async def test_replay_rebuilds_an_identical_read_model(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings, settings: Settings
) -> None:
    paid, _ = await place_order(app, client, auth_settings, str(uuid.uuid4()))
    await feed(app, "payment.payment.succeeded", {"order_id": paid["id"]})
    declined, _ = await place_order(app, client, auth_settings, str(uuid.uuid4()))
    await feed(app, "payment.payment.failed",
               {"order_id": declined["id"], "failure_reason": "card_declined"})
    # The generated admin API writes the read model itself; its events join the streams.
    admin = bearer(auth_settings, str(uuid.uuid4()), "admin")
    sample = {"buyer_id": str(uuid.uuid4()), "total": "12.50", "currency": "EUR"}
    kept = (await client.post("/order/orders", json=sample, headers=admin)).headers["location"]
    patched = await client.patch(kept, json={"total": "13.00"},
                                 headers={**admin, "If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    gone = (await client.post("/order/orders", json=sample, headers=admin)).headers["location"]
    assert (await client.delete(gone, headers=admin)).status_code == 204

    before = await read_model(app)
    assert len(before[0]) >= 3 and before[1]
    await app.state.runtime.db.fetch("TRUNCATE order_lines, orders")
    assert await read_model(app) == [[], []]
    assert '"orders"' in replay(settings)
    assert await read_model(app) == before
    async with app.state.runtime.db.acquire() as conn:  # in batches smaller than the store
        events, orders = await projection.rebuild(conn, batch=2)
    assert orders == len(before[0]) and events > orders
    assert await read_model(app) == before
    async with app.state.runtime.db.acquire() as conn:
        stream = await eventstore.read_stream(conn, uuid.UUID(gone.rsplit("/", 1)[1]))
    assert [e.type.rsplit(".", 1)[1] for e in stream] == ["created", "deleted"]
    assert [e.version for e in stream] == [1, 2]
