"""What runs beside the HTTP server, started and stopped in order: the resources,
the outbox relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from user.db import Database
from user.kafka import SharedProducer
from user.migrate import migrate
from user.outbox import OutboxRelay
from user.settings import Settings

log = logging.getLogger(__name__)


class Runtime:
    """The service's resources; ``ready`` is what /readyz reports."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.draining = False
        self.tasks: list[asyncio.Task[None]] = []
        self.db = Database(
            settings.database_url,
            settings.db_pool_min_size,
            settings.db_pool_max_size,
            settings.db_connect_timeout,
            settings.db_statement_timeout,
            settings.db_acquire_timeout,
        )
        self.producer = SharedProducer(settings)
        self.relay = OutboxRelay(settings, self.db, self.producer)
        self.db.after_publish = self.relay.wake

    async def start(self) -> None:
        """Migrate, open the pool and start the background tasks."""
        if self.settings.migrate_on_start:
            await migrate(self.settings.database_url)
        await self.db.connect()
        self.tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        log.info("started", extra={"port": self.settings.port})

    async def stop(self) -> None:
        """Graceful shutdown: stop taking work, let the background tasks finish, close."""
        self.draining = True
        self.relay.stop()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=self.settings.shutdown_timeout)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.producer.close()
        await self.db.close()
        log.info("stopped")

    async def ready(self) -> dict[str, bool]:
        """Readiness of each dependency (all true: ready to serve)."""
        checks = {"accepting": not self.draining}
        checks["database"] = await self.db.ready()
        checks["broker"] = await self.producer.ready()
        return checks
