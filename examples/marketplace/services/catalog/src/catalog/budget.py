"""The request edge (one ASGI middleware): load shedding, the request budget, and timing.

- At most ``max_concurrent_requests`` requests are in progress; one more is answered at once
  with 503 and ``Retry-After`` instead of queueing (memory and latency stay bounded).
- A request that has not answered within ``request_timeout`` seconds is cancelled and answered
  with 504. The database waits are shorter than that (``db_statement_timeout``,
  ``db_acquire_timeout``: 503), so the 504 is the last line.

The probes and ``/metrics`` are exempt: an overloaded process is alive (no restart by the
liveness probe), and readiness reports the dependencies, not the load. Every HTTP request, exempt
or shed, is timed (``metrics.observe_request``; 500 if it ends without an answer). One
middleware, not one per concern: each wraps the request and its ``send`` again.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog.errors import problem, unavailable
from catalog.metrics import observe_request

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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0  # until the answer starts

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if scope["path"] in EXEMPT:
                await self.app(scope, receive, send_tracking)
            elif self.in_progress >= self.limit:
                shed = unavailable("the service is at its concurrency limit; retry later")
                await shed(scope, receive, send_tracking)
            else:
                self.in_progress += 1
                try:
                    async with asyncio.timeout(self.timeout) as deadline:
                        await self.app(scope, receive, send_tracking)
                except TimeoutError:
                    if not deadline.expired():
                        raise
                    log.warning("request budget exceeded", extra={"path": scope["path"]})
                    if not status:  # once the answer has begun, the connection is all we can end
                        detail = f"the request did not finish within {self.timeout:g}s"
                        await problem(504, detail)(scope, receive, send_tracking)
                finally:
                    self.in_progress -= 1
        finally:
            observe_request(scope, status or 500, time.perf_counter() - start)
