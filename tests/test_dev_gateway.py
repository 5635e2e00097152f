"""The front door of `marketplace-kit dev`: the production route table over real HTTP.

The table is the reference marketplace's, built by the same function the ApiGateway uses
(blueprints/routes.py); behind it, one real uvicorn server per service echoes what reached it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketplace_kit.blueprints.routes import RouteTable, route_table
from marketplace_kit.config import load_platform
from marketplace_kit.contract.openapi import merge_openapi
from marketplace_kit.devenv.ports import LOOPBACK, free_port
from marketplace_kit.devrun.gateway import Gateway, RunningGateway, Scope, seconds
from marketplace_kit.errors import KitError
from marketplace_kit.platform.gateway import RoutePolicy

CONFIG = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "marketplace.yaml"
SLOW = 1.5  # seconds the upstream's /slow takes: over the test policy's per-try timeout
POLICY = RoutePolicy(timeout="1s", per_try_timeout="0.4s", retry_attempts=2)


class Upstream:
    """A service stand-in: echoes the request; /slow sleeps, /flaky fails its first call."""

    def __init__(self, name: str, prefix: str) -> None:
        self.name, self.prefix, self.calls = name, prefix, Counter[str]()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        self.calls[path] += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 200
        if path.endswith("/slow"):
            await asyncio.sleep(SLOW)
        if path.endswith("/flaky") and self.calls[path] == 1:
            status = 503
        if path == f"{self.prefix}/openapi.json":
            payload: dict[str, Any] = {
                "openapi": "3.1.0", "info": {"title": self.name, "version": "1"},
                "paths": {f"{self.prefix}/items": {"get": {"responses": {"200": {
                    "description": "ok"}}}}, "/healthz": {}}}
        else:
            payload = {"service": self.name, "method": scope["method"], "path": path,
                       "query": scope["query_string"].decode(), "body_length": len(body),
                       "headers": {k.decode(): v.decode() for k, v in scope["headers"]}}
        data = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"x-upstream", b"1")]})
        await send({"type": "http.response.body", "body": data})


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return replace(route_table(load_platform(CONFIG)), policy=POLICY)


@pytest.fixture(scope="module")
def upstreams(table: RouteTable) -> Iterator[dict[str, tuple[Upstream, str]]]:
    running = {}
    for route in table.routes:
        app = Upstream(route.service, route.prefix)
        server = RunningGateway(app, LOOPBACK, free_port()).__enter__()
        running[route.service] = (app, server)
    yield {name: (app, server.url) for name, (app, server) in running.items()}
    for _, server in running.values():
        server.__exit__()


def front_door(table: RouteTable, upstreams: dict[str, tuple[Upstream, str]]) -> RunningGateway:
    return RunningGateway(Gateway(table, {n: url for n, (_, url) in upstreams.items()}),
                          LOOPBACK, free_port())


@pytest.fixture(scope="module")
def gateway(table: RouteTable, upstreams: dict[str, tuple[Upstream, str]]) -> Iterator[str]:
    with front_door(table, upstreams) as running:
        yield running.url


def test_the_table_is_the_production_one() -> None:
    table = route_table(load_platform(CONFIG))
    assert {r.service for r in table.routes} == {"user", "catalog", "order", "payment",
                                                 "notification"}
    assert table.policy == RoutePolicy()  # the ApiGateway's and each service stack's default
    assert seconds(table.policy.timeout) == 15 and seconds("500ms") == 0.5


def test_every_prefix_reaches_its_service(table: RouteTable, gateway: str) -> None:
    with httpx.Client() as http:
        for route in table.routes:
            answer = http.get(f"{gateway}{route.prefix}/products", params={"q": "a b"})
            assert answer.status_code == 200
            echoed = answer.json()
            assert (echoed["service"], echoed["path"]) == (route.service,
                                                           f"{route.prefix}/products")
            assert echoed["query"] == "q=a+b" and answer.headers["x-upstream"] == "1"
        assert http.get(f"{gateway}/nowhere/x").status_code == 404


def test_headers_and_a_streamed_body_pass_through(table: RouteTable, gateway: str) -> None:
    route = table.routes[0]
    sent = {"Authorization": "Bearer t0ken", "Idempotency-Key": "k-1", "If-Match": '"v3"',
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 16384

    with httpx.Client() as http:
        answer = http.post(f"{gateway}{route.prefix}/orders", headers=sent, content=chunks())
    echoed = answer.json()
    assert echoed["method"] == "POST" and echoed["body_length"] == 64 * 16384
    headers = echoed["headers"]
    assert {k.lower(): v for k, v in sent.items()}.items() <= headers.items()
    assert headers["x-forwarded-for"] == LOOPBACK
    assert headers["x-forwarded-host"] == gateway.removeprefix("http://")
    assert headers["x-forwarded-proto"] == "http"


def test_a_slow_service_is_answered_504(table: RouteTable, gateway: str,
                                        upstreams: dict[str, tuple[Upstream, str]]) -> None:
    route = table.routes[1]
    app = upstreams[route.service][0]
    with httpx.Client(timeout=10) as http:
        started = time.monotonic()
        answer = http.post(f"{gateway}{route.prefix}/slow")
        assert answer.status_code == 504
        assert time.monotonic() - started < SLOW
        assert app.calls[f"{route.prefix}/slow"] == 1  # POST is not retried
        answer = http.get(f"{gateway}{route.prefix}/slow")
        assert answer.status_code == 504
        assert time.monotonic() - started < 2 * SLOW  # within the route timeout (1s) + slack


def test_only_idempotent_methods_are_retried(table: RouteTable, gateway: str,
                                             upstreams: dict[str, tuple[Upstream, str]]) -> None:
    route = table.routes[2]
    app = upstreams[route.service][0]
    with httpx.Client() as http:
        assert http.get(f"{gateway}{route.prefix}/a/flaky").status_code == 200
        assert app.calls[f"{route.prefix}/a/flaky"] == 2
        assert http.post(f"{gateway}{route.prefix}/b/flaky").status_code == 503
        assert app.calls[f"{route.prefix}/b/flaky"] == 1


def test_the_rate_limit_answers_429(table: RouteTable,
                                    upstreams: dict[str, tuple[Upstream, str]]) -> None:
    limited = replace(table, rate_limit_per_second=5)
    with front_door(limited, upstreams) as running, httpx.Client() as http:
        codes = [http.get(f"{running.url}{table.routes[0].prefix}/x").status_code
                 for _ in range(8)]
        assert codes[:5] == [200] * 5 and 429 in codes[5:]
        time.sleep(1.1)  # the bucket refills every second
        assert http.get(f"{running.url}{table.routes[0].prefix}/x").status_code == 200


def test_the_merged_document_and_docs_page(table: RouteTable, gateway: str) -> None:
    with httpx.Client() as http:
        document = http.get(f"{gateway}/openapi.json").json()
        page = http.get(f"{gateway}/docs")
    assert set(document["paths"]) == {f"{r.prefix}/items" for r in table.routes}
    assert page.status_code == 200 and "/openapi.json" in page.text


def test_the_docs_page_renders_offline_from_the_kits_swagger_ui(table: RouteTable, gateway: str,
                                                              tmp_path: Path) -> None:
    """Headless chromium, the network blocked: Swagger UI comes from the front door itself
    (the kit's npm-pinned copy), under a CSP that allows no other origin, and lists every
    service's operations."""
    from support.browser import swagger_operations

    from marketplace_kit.assets.pages import DOCS_CSP

    page = httpx.get(f"{gateway}/docs")
    assert page.headers["content-security-policy"] == DOCS_CSP
    assert "https:" not in page.text and "//" not in page.text.replace("http://", "")
    paths, visit = swagger_operations(f"{gateway}/docs", tmp_path / "profile")
    assert sorted(paths) == sorted(f"{r.prefix}/items" for r in table.routes), (
        visit.messages, visit.requests)
    assert f"{gateway}/docs/swagger-ui-bundle.js" in visit.requests
    assert not [u for u in visit.requests if not u.startswith((gateway, "data:", "blob:"))]


def test_merge_conflicts_are_one_line_errors() -> None:
    ok = {"200": {"description": "ok"}}

    def doc(path: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "paths": {path: {"get": {"responses": ok}}},
                "components": {"schemas": {"Item": schema}}}

    same = {"type": "object"}
    prefixes = {"a": "/a", "b": "/b"}
    merged = merge_openapi({"a": doc("/a/x", same), "b": doc("/b/x", same)}, prefixes)
    assert set(merged["paths"]) == {"/a/x", "/b/x"} and merged["components"]["schemas"] == {
        "Item": same}
    with pytest.raises(KitError, match=r"^path /a/x is served by both a and b .*; fix: "):
        merge_openapi({"a": doc("/a/x", same), "b": doc("/a/x", same)}, {"a": "/a", "b": "/a"})
    with pytest.raises(KitError, match=r"^path /a/x is served by both a and b .*; fix: "):
        merge_openapi({"a": doc("/a/x", same), "b": doc("/a/x", same)}, prefixes)
    with pytest.raises(KitError, match=r"^b: its OpenAPI document declares /a/y, which the "
                       r"gateway does not route to it \(its route prefix is /b,"):
        merge_openapi({"a": doc("/a/x", same), "b": doc("/a/y", same)}, prefixes)
    with pytest.raises(KitError, match=r"^a: paths in its OpenAPI document is not an object"):
        merge_openapi({"a": {**doc("/a/x", same), "paths": []}}, prefixes)
    with pytest.raises(KitError, match=r"^components.schemas.Item differs between a and b; fix"):
        merge_openapi({"a": doc("/a/x", same), "b": doc("/b/x", {"type": "string"})}, prefixes)
    outside = merge_openapi({"a": doc("/healthz", same), "b": doc("/b/x", same)}, prefixes)
    assert set(outside["paths"]) == {"/b/x"}  # a probe, called in-cluster: not routed
    exact = merge_openapi({"a": doc("/a", same)}, prefixes)
    assert set(exact["paths"]) == {"/a"}  # the prefix itself is routed (Istio's prefix match)
