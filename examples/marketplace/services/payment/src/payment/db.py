"""PostgreSQL through an asyncpg pool, and the unit of work (one transaction).

Hot path (bench/service_load.py): a connection goes back to the pool without asyncpg's reset
query (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``, one more round trip per
request); an open transaction is still rolled back. Keep session state transaction-scoped:
``SET LOCAL``, ``pg_advisory_xact_lock``, no ``LISTEN`` on pooled connections.

No client-side timer per statement (asyncpg's ``command_timeout`` arms and cancels one for
every statement: about 6% of a write's CPU in the bench). The server cancels a statement after
``statement_timeout``; a server that does not answer at all is bounded by each unit of work's
own budget: a request's (504, ``budget.py``), the relay's per batch, the consumer's per event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any

import asyncpg

from payment.events import Event


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _release_as_is(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing beyond asyncpg's own rollback of an open transaction."""


class _Acquire:
    """``async with``: a pooled connection within ``timeout`` (TimeoutError), released after.

    Waiters are served first come, first served: a connection goes to the longest waiter
    through ``turns`` (a FIFO semaphore of the pool's size); asyncpg's own queue lets a new
    request take a connection released for a woken waiter, which then queues again (a few
    requests wait many turns: at 32 connections on a pool of 10, the bench's p99 was 3-4x the
    same-work baseline's). ``asyncio.timeout`` rather than ``pool.acquire(timeout=...)``: on
    Python 3.11 the latter is ``wait_for``, a new task per request."""

    __slots__ = ("conn", "pool", "timeout", "turns")

    def __init__(self, pool: asyncpg.Pool, turns: asyncio.Semaphore, timeout: float) -> None:
        self.pool = pool
        self.turns = turns
        self.timeout = timeout
        self.conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        async with asyncio.timeout(self.timeout):
            await self.turns.acquire()
            try:
                self.conn = await self.pool.acquire()
            except BaseException:
                self.turns.release()
                raise
        return self.conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                await self.pool.release(conn, timeout=self.timeout)
            finally:
                self.turns.release()


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


class _Transaction:
    """``async with``: a connection, a transaction on it and its ``Tx``; the relay is woken
    after a commit that wrote outbox rows. (A class, not a generator: it runs per request.)"""

    __slots__ = ("acquire", "db", "tx", "xact")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.acquire = db.acquire()

    async def __aenter__(self) -> Tx:
        conn = await self.acquire.__aenter__()
        try:
            self.xact = conn.transaction()
            await self.xact.__aenter__()
        except BaseException:
            await self.acquire.__aexit__(None, None, None)
            raise
        self.tx = Tx(conn, self.db)
        return self.tx

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.xact.__aexit__(kind, exc, tb)  # commit, or roll back on an exception
        finally:
            await self.acquire.__aexit__(kind, exc, tb)
        if kind is None and self.tx.published:
            self.db.after_publish()


class Database:
    """The connection pool; ``transaction()`` is the unit of work."""

    _turns: asyncio.Semaphore  # made with the pool, in its event loop (``connect``)

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
        self._turns = asyncio.Semaphore(self.max_size)  # first come, first served: see _Acquire
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            init=_init_connection,
            reset=_release_as_is,
            timeout=self.connect_timeout,
            # The server cancels a statement (lock waits included) after the budget.
            server_settings={"statement_timeout": str(int(self.statement_timeout * 1000))},
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

    def acquire(self) -> _Acquire:
        """A pooled connection, waiting at most ``acquire_timeout`` (then TimeoutError: 503)."""
        return _Acquire(self.pool, self._turns, self.acquire_timeout)

    def transaction(self) -> _Transaction:
        """A transaction: committed when the block ends, rolled back if it raises."""
        return _Transaction(self)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run a read-only query outside a transaction."""
        async with self.acquire() as conn:
            return list(await conn.fetch(query, *args))
