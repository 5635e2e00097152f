"""Same-work baseline: a bare FastAPI + asyncpg app doing per write what the generated service
does, with none of its machinery (no metrics, tracing, logging, load shedding, auth guard,
idempotency support, problem details).

POST /items writes the entity and its CloudEvents envelope (the outbox row) in one transaction
and wakes a bare relay, which publishes pending rows to Kafka (aiokafka, acks=all, the
``content-type`` header of the CloudEvents Kafka binding) and marks them sent, in batches of up
to 100 after a 20 ms linger: the service's batch size and linger, so the two compare the
machinery, not the batching. Same schema as the service's migration. Served by
``uvicorn same_work:app`` with DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Response
from pydantic import BaseModel

TOPIC = "same-work-events"
BATCH, LINGER, POLL = 100, 0.02, 0.5
HEADERS = [("content-type", b"application/cloudevents+json; charset=UTF-8")]
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id UUID PRIMARY KEY, name TEXT NOT NULL, rating BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(), updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS items_created_idx ON items (created_at, id);
CREATE TABLE IF NOT EXISTS outbox (
    seq BIGSERIAL PRIMARY KEY, id UUID NOT NULL UNIQUE, topic TEXT NOT NULL, key BYTEA,
    payload BYTEA NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), sent_at TIMESTAMPTZ);
CREATE INDEX IF NOT EXISTS outbox_pending_idx ON outbox (seq) WHERE sent_at IS NULL;
"""
wakeup = asyncio.Event()


class ItemIn(BaseModel):
    name: str
    rating: int


async def publish_batch(pool: asyncpg.Pool, producer: AIOKafkaProducer) -> int:
    """Send one batch of pending outbox rows and mark them sent, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT seq, topic, key, payload FROM outbox WHERE sent_at IS NULL"
            " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED", BATCH)
        if rows:
            sends = [await producer.send(r["topic"], r["payload"], key=r["key"], headers=HEADERS)
                     for r in rows]
            await asyncio.gather(*sends)
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])",
                               [r["seq"] for r in rows])
    return len(rows)


async def relay(pool: asyncpg.Pool, producer: AIOKafkaProducer) -> None:
    """Publish after each wake (lingering first) or poll; a full batch goes again at once."""
    while True:
        if await publish_batch(pool, producer) == BATCH:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), POLL)
        await asyncio.sleep(LINGER)
        wakeup.clear()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=2, max_size=10)
    await pool.execute(SCHEMA)
    producer = AIOKafkaProducer(bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                                acks="all", enable_idempotence=False, linger_ms=5)
    await producer.start()
    task = asyncio.create_task(relay(pool, producer))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await producer.stop()
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/items", status_code=201)
async def create(item: ItemIn, response: Response) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with app.state.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO items (id, created_at, updated_at, name, rating)"
            " VALUES ($1, $2, $2, $3, $4) RETURNING *", uuid4(), now, item.name, item.rating)
        entity = {**dict(row), "id": str(row["id"]), "created_at": row["created_at"].isoformat(),
                  "updated_at": row["updated_at"].isoformat()}
        event_id = uuid4()
        event = {"specversion": "1.0", "id": str(event_id), "type": "example.item.created",
                 "source": "/services/same-work", "subject": entity["id"],
                 "time": now.isoformat(), "datacontenttype": "application/json", "data": entity}
        await conn.execute(
            "INSERT INTO outbox (id, topic, key, payload) VALUES ($1, $2, $3, $4)",
            event_id, TOPIC, entity["id"].encode(), json.dumps(event).encode())
    wakeup.set()
    response.headers["Location"] = f"/items/{entity['id']}"
    response.headers["ETag"] = f'"{entity["version"]}"'
    return entity
