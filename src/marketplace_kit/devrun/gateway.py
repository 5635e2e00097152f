"""The local front door of ``marketplace-kit dev``: one port, the production gateway's routes.

An ASGI reverse proxy (httpx upstream, uvicorn in a thread) applying the ApiGateway's route table
(``blueprints/routes.py``): path prefix -> service, the route timeout and per-try timeout (504),
retries of idempotent methods on 5xx / connect failures, the token-bucket rate limit (429).
Bodies stream both ways; end-to-end headers pass unchanged, plus ``X-Forwarded-*``. It also
serves the merged OpenAPI document of all services (``/openapi.json``, ``/docs``).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from marketplace_kit.assets.pages import (
    DOCS_CSP,
    DOCS_PATH,
    SWAGGER_FILES,
    asset,
    content_type,
    docs_page,
)
from marketplace_kit.blueprints.routes import RouteTable
from marketplace_kit.contract.api_docs_paths import OPENAPI_PATH
from marketplace_kit.contract.openapi import merge_openapi
from marketplace_kit.contract.routing import routed
from marketplace_kit.errors import KitError
from marketplace_kit.platform.gateway import Route

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade", "host"})


def seconds(duration: str) -> float:
    """An Istio duration (``15s``, ``500ms``, ``1m``) in seconds."""
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if duration.endswith(unit) and duration[: -len(unit)].replace(".", "", 1).isdigit():
            return float(duration[: -len(unit)]) * factor
    raise KitError(f"duration {duration!r} not understood; fix: write it like 15s or 500ms")


@dataclass
class TokenBucket:
    """Envoy's local rate limit: ``size`` tokens, refilled to ``size`` every second."""

    size: int
    tokens: float = 0.0
    filled: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.size)

    def take(self) -> bool:
        """Whether a request may pass now."""
        now = time.monotonic()
        if now - self.filled >= 1.0:
            self.tokens, self.filled = float(self.size), now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Gateway:
    """The ASGI application of the front door."""

    def __init__(self, table: RouteTable, upstreams: Mapping[str, str]) -> None:
        self.routes: list[tuple[Route, str]] = sorted(
            ((r, upstreams[r.service]) for r in table.routes),
            key=lambda pair: len(pair[0].prefix), reverse=True)  # longest prefix wins
        self.timeout = seconds(table.policy.timeout)
        self.per_try = seconds(table.policy.per_try_timeout)
        self.attempts = 1 + table.policy.retry_attempts
        self.bucket = TokenBucket(table.rate_limit_per_second)
        self.client: httpx.AsyncClient | None = None

    def route(self, path: str) -> tuple[Route, str] | None:
        """The route whose prefix ``path`` starts with (Istio's prefix match)."""
        return next(((r, u) for r, u in self.routes if routed(r.prefix, path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self.bucket.take():
            await respond(send, 429, b"local_rate_limited", "text/plain")
            return
        path = scope["path"]
        if path == OPENAPI_PATH:
            try:
                document = json.dumps(await self.openapi()).encode()
            except (KitError, httpx.HTTPError, ValueError) as error:
                await respond(send, 502, f"error: {error}".encode(), "text/plain")
                return
            await respond(send, 200, document, "application/json")
        elif path == DOCS_PATH:
            await respond(send, 200, docs_page(OPENAPI_PATH).encode(),
                          "text/html; charset=utf-8", [(b"content-security-policy", DOCS_CSP)])
        elif (name := path.removeprefix(f"{DOCS_PATH}/")) in SWAGGER_FILES:
            await respond(send, 200, asset(name), content_type(name))
        elif (found := self.route(path)) is None:
            await respond(send, 404, b"no route", "text/plain")
        else:
            await self.forward(scope, receive, send, found[1])

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(timeout=None, follow_redirects=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def openapi(self) -> dict[str, Any]:
        """The services' documents (each at ``<prefix>/openapi.json``), merged."""
        assert self.client is not None
        documents = {}
        for route, upstream in sorted(self.routes, key=lambda pair: pair[0].service):
            url = f"{upstream}{route.prefix.rstrip('/')}/openapi.json"
            response = await self.client.get(url, timeout=self.per_try)
            documents[route.service] = response.raise_for_status().json()
        return merge_openapi(documents, {r.service: r.prefix for r, _ in self.routes})

    async def forward(self, scope: Scope, receive: Receive, send: Send, upstream: str) -> None:
        """Send the request upstream (retrying what is safe), stream the answer back."""
        assert self.client is not None
        method = scope["method"]
        retry = method in IDEMPOTENT
        body: bytes | AsyncIterator[bytes] = await read_all(receive) if retry else stream(receive)
        url = upstream + scope["raw_path"].decode() + (
            "?" + scope["query_string"].decode() if scope["query_string"] else "")
        headers = forwarded_headers(scope)
        deadline = time.monotonic() + self.timeout
        for attempt in range(self.attempts if retry else 1):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            request = self.client.build_request(method, url, headers=headers, content=body)
            try:
                response = await asyncio.wait_for(
                    self.client.send(request, stream=True), min(self.per_try, left))
            except (TimeoutError, httpx.TimeoutException):
                if retry and attempt + 1 < self.attempts:
                    continue
                await respond(send, 504, b"upstream request timeout", "text/plain")
                return
            except httpx.TransportError:
                if retry and attempt + 1 < self.attempts:
                    await asyncio.sleep(0.025 * 2**attempt)
                    continue
                await respond(send, 503, b"upstream connect error", "text/plain")
                return
            if retry and response.status_code >= 500 and attempt + 1 < self.attempts:
                await response.aclose()
                continue
            await relay(response, send)
            return
        await respond(send, 504, b"upstream request timeout", "text/plain")


def forwarded_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The request's end-to-end headers plus X-Forwarded-For/-Host/-Proto."""
    kept, host, forwarded_for = [], b"", b""
    for name, value in scope["headers"]:
        lower = name.lower()
        if lower == b"host":
            host = value
        if lower == b"x-forwarded-for":
            forwarded_for = value
        elif lower.decode() not in HOP_BY_HOP:
            kept.append((name, value))
    client = (scope.get("client") or ("", 0))[0].encode()
    chain = forwarded_for + b", " + client if forwarded_for else client
    kept += [(b"x-forwarded-for", chain), (b"x-forwarded-host", host),
             (b"x-forwarded-proto", scope.get("scheme", "http").encode())]
    return kept


async def read_all(receive: Receive) -> bytes:
    """The whole request body (kept to send it again on a retry)."""
    return b"".join([chunk async for chunk in stream(receive)])


async def stream(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def relay(response: httpx.Response, send: Send) -> None:
    """Stream an upstream response to the client."""
    headers = [(k, v) for k, v in response.headers.raw if k.lower().decode() not in HOP_BY_HOP]
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": headers})
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        await response.aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def respond(send: Send, status: int, body: bytes, content_type: str,
                  headers: Sequence[tuple[bytes, str]] = ()) -> None:
    """A complete response the gateway answers itself."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()),
                            (b"content-length", str(len(body)).encode()),
                            *((k, v.encode()) for k, v in headers)]})
    await send({"type": "http.response.body", "body": body})


class RunningGateway:
    """An ASGI app (the front door) served by uvicorn in a background thread (``with`` starts
    and stops it)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], host: str,
                 port: int) -> None:
        import uvicorn

        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                lifespan="auto", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="dev-gateway", daemon=True)
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> RunningGateway:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise KitError(f"the gateway did not start on {self.url}; fix: free that port")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
