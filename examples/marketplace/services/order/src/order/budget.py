"""Load shedding and the request budget (an ASGI middleware).

- At most ``max_concurrent_requests`` requests are in progress; one more is answered at once
  with 503 and ``Retry-After`` instead of queueing (memory and latency stay bounded).
- A request that has not answered within ``request_timeout`` seconds is cancelled and answered
  with 504. The database waits are shorter than that (``db_statement_timeout``,
  ``db_acquire_timeout``: 503), so the 504 is the last line.

The probes and ``/metrics`` are exempt: an overloaded process is alive (no restart by the
liveness probe), and readiness reports the dependencies, not the load.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order.errors import problem, unavailable

log = logging.getLogger(__name__)
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestBudget:
    """Shed load over the concurrency limit (503) and bound each request's time (504)."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            await unavailable("the service is at its concurrency limit; retry later")(
                scope, receive, send
            )
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        self.in_progress += 1
        try:
            async with asyncio.timeout(self.timeout) as deadline:
                await self.app(scope, receive, send_tracking)
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning("request budget exceeded", extra={"path": scope["path"]})
            if not started:  # once the answer has begun, the connection is all we can end
                detail = f"the request did not finish within {self.timeout:g}s"
                await problem(504, detail)(scope, receive, send)
        finally:
            self.in_progress -= 1
