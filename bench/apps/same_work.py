"""Same-work baseline: a bare FastAPI + asyncpg app doing per write what the generated service
does, with none of its machinery (no metrics, tracing, logging, load shedding, auth guard,
idempotency support, problem details).

POST /items writes the entity and its CloudEvents envelope (the outbox row) in one transaction
and wakes a bare relay, which publishes pending rows to Kafka (aiokafka, acks=all, the
``content-type`` header of the CloudEvents Kafka binding) and marks them sent, in batches of up
to 100 after a 20 ms linger: the service's batch size and linger, so the two compare the
machinery, not the batching. Same schema as the service's migration. Served by
``uvicorn same_work:app`` with DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS set.

Auth, as the service's (the same AUTH_JWKS_URL, AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE), when
SAME_WORK_AUTH is set: ``every`` verifies the bearer token's ES256 signature with PyJWT's
``PyJWKClient`` on every request (what PyJWT documents); ``cached`` remembers a verified token
by its SHA-256, up to 10,000, and checks only exp, nbf and aud on a hit, as the service's
token cache does. Either answers 401 without a valid token and 403 without the admin role.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import jwt
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, HTTPException, Request, Response
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
AUTH = os.environ.get("SAME_WORK_AUTH", "")
ISSUER, AUDIENCE = os.environ.get("AUTH_JWT_ISSUER"), os.environ.get("AUTH_JWT_AUDIENCE")
JWKS = jwt.PyJWKClient(os.environ["AUTH_JWKS_URL"]) if AUTH else None
VERIFIED: dict[bytes, dict[str, Any]] = {}


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


def verify(authorization: str | None) -> dict[str, Any]:
    """The claims of the request's bearer token (401 if it cannot be trusted)."""
    if JWKS is None or authorization is None or not authorization.startswith("Bearer "):
        raise HTTPException(401, "a bearer token is required")
    token = authorization[7:]
    key = hashlib.sha256(token.encode()).digest() if AUTH == "cached" else b""
    claims = VERIFIED.get(key)
    if claims is not None and claims.get("nbf", 0) <= time.time() < claims["exp"] and (
            claims["aud"] == AUDIENCE or AUDIENCE in claims["aud"]):
        return claims
    try:
        signing = JWKS.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, signing.key, algorithms=["ES256"], issuer=ISSUER,
                            audience=AUDIENCE, options={"require": ["exp", "iat", "sub"]})
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    if AUTH == "cached":
        if len(VERIFIED) >= 10_000:
            del VERIFIED[next(iter(VERIFIED))]
        VERIFIED[key] = claims
    return claims


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
async def create(item: ItemIn, request: Request, response: Response) -> dict[str, Any]:
    if AUTH and "admin" not in verify(request.headers.get("authorization")).get("roles", ()):
        raise HTTPException(403, "needs role admin")
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
