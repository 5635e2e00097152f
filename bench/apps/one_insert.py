"""Context baseline: a bare FastAPI + asyncpg app whose POST is one autocommitted INSERT.

It does less than the generated service (no outbox row, no transaction, no relay); the bench
keeps it as a line for context. Served by ``uvicorn one_insert:app``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel


class ItemIn(BaseModel):
    name: str
    rating: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    async with app.state.pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS items (id UUID PRIMARY KEY, name TEXT NOT NULL,"
            " rating BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
        )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/items", status_code=201)
async def create(item: ItemIn) -> dict[str, Any]:
    row = await app.state.pool.fetchrow(
        "INSERT INTO items (id, name, rating, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
        uuid4(), item.name, item.rating, datetime.now(UTC))
    return dict(row)
