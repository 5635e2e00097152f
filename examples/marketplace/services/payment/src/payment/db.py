"""PostgreSQL through an asyncpg pool, and the unit of work (one transaction)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg

from payment.events import Event


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Tx:
    """One open transaction: ``conn`` for SQL, ``publish`` for outbox events;
    ``db`` is the pool it came from, for work that must commit on its own (e.g. a handler's
    record of a side effect that a rollback of this transaction must not undo)."""

    def __init__(self, conn: asyncpg.Connection, db: Database | None = None) -> None:
        self.conn = conn
        self.db = db
        self.published = 0

    async def publish(self, topic: str, event: Event, key: str | None = None) -> None:
        """Write ``event`` to the outbox in this transaction; the relay sends it after commit."""
        await self.conn.execute(
            "INSERT INTO outbox (id, topic, key, payload) VALUES ($1, $2, $3, $4)",
            event.id,
            topic,
            (key or event.subject or event.id).encode(),
            event.to_bytes(),
        )
        self.published += 1


class Database:
    """The connection pool; ``transaction()`` is the unit of work."""

    def __init__(
        self,
        url: str,
        min_size: int = 2,
        max_size: int = 10,
        connect_timeout: float = 5.0,
        statement_timeout: float = 5.0,
        acquire_timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.acquire_timeout = acquire_timeout
        self._pool: asyncpg.Pool | None = None
        self.after_publish: Callable[[], None] = lambda: None

    @property
    def pool(self) -> asyncpg.Pool:
        """The open pool (``connect`` first)."""
        if self._pool is None:
            raise RuntimeError("database is not connected")
        return self._pool

    async def connect(self) -> None:
        """Open the pool."""
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            init=_init_connection,
            timeout=self.connect_timeout,
            # The server cancels a statement (lock waits included) after the budget; the client
            # gives up a little later in case the server itself does not answer.
            server_settings={"statement_timeout": str(int(self.statement_timeout * 1000))},
            command_timeout=self.statement_timeout + 1,
        )

    async def close(self) -> None:
        """Close the pool, waiting for connections in use to be released."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ready(self) -> bool:
        """Whether the database answers a query."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=2))
        except Exception:
            return False

    def acquire(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A pooled connection, waiting at most ``acquire_timeout`` (then TimeoutError: 503)."""
        return self.pool.acquire(timeout=self.acquire_timeout)  # type: ignore[return-value,no-any-return]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        async with self.acquire() as conn, conn.transaction():
            tx = Tx(conn, self)
            yield tx
        if tx.published:
            self.after_publish()

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run a read-only query outside a transaction."""
        async with self.acquire() as conn:
            return list(await conn.fetch(query, *args))
