"""Drive an ASGI app in-process: ``--requests`` POSTs from ``--concurrency`` tasks, no HTTP.

Run by ``service_instructions.py`` under valgrind with the services' venv python:

    python _asgi_driver.py MODULE:EXPRESSION PATH --requests N [--concurrency C] [--warm-up W]
        [--header NAME:VALUE ...]

The app's lifespan starts it (pool, relay, producer), one request and then ``--warm-up``
requests per task fill its caches, then the measured requests run; the lifespan stops it
after the relay had time to publish. Exits non-zero if any answer is not 201.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from _load import BODY, Headers  # the load generator's body: the same request as service_load.py

Message = dict[str, Any]
App = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
               Awaitable[None]]


def load(spec: str) -> App:
    """``module:name`` (``same_work:app``), or ``module:factory()`` called (``create_app()``)."""
    module, _, name = spec.partition(":")
    found = getattr(importlib.import_module(module), name.removesuffix("()"))
    app: App = found() if name.endswith("()") else found
    return app


async def post(app: App, path: str, headers: Headers) -> int:
    """One POST of BODY with ``headers``; its status."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000), "state": {},
             "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(BODY)).encode()),
                         *((k.lower().encode(), v.encode()) for k, v in headers)]}
    received = False
    status = 0

    async def receive() -> Message:
        nonlocal received
        if received:  # the app waits for a disconnect only after answering
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app: App, path: str, requests: int, concurrency: int, warm_up: int,
                headers: Headers) -> None:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"},
                                        "state": {}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise SystemExit(f"error: the app did not start: {started}")
    statuses: list[int] = []

    async def worker(count: int) -> None:
        for _ in range(count):
            statuses.append(await post(app, path, headers))

    await worker(1)  # alone: what a first request fetches (the issuer's keys), fetched once
    await asyncio.gather(*(worker(warm_up) for _ in range(concurrency)))
    await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
    await asyncio.sleep(1.0)  # the relay publishes what is left
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan
    failed = sum(s != 201 for s in statuses)
    if failed:
        raise SystemExit(f"error: {failed} of {len(statuses)} answers were not 201")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warm-up", type=int, default=10, help="requests per task first")
    parser.add_argument("--header", action="append", default=[], help="NAME:VALUE")
    args = parser.parse_args()
    headers: Headers = tuple((n, v) for n, _, v in (h.partition(":") for h in args.header))
    asyncio.run(drive(load(args.app), args.path, args.requests, args.concurrency, args.warm_up,
                      headers))


if __name__ == "__main__":
    main()
