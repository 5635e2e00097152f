"""Prometheus metrics (served on /metrics) and the ASGI middleware that times requests."""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Names and buckets come from the platform kit (marketplace_kit.monitoring.signals): its
# dashboards and alerts query exactly these; the latency SLO in service.yaml is a bucket bound.
REQUESTS = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_PUBLISHED = Counter("events_published_total", "Events published.", ["topic"])
PUBLISH_FAILURES = Counter("events_publish_failures_total", "Failed publish attempts.")
EVENTS_CONSUMED = Counter(
    "events_consumed_total",
    "Consumed events by outcome (processed, duplicate, dead_lettered).",
    ["topic", "outcome"],
)


class MetricsMiddleware:
    """Times every HTTP request; labels by route template, never by raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            REQUESTS.labels(scope["method"], route_template(scope), str(status)).observe(
                time.perf_counter() - start
            )


def route_template(scope: Scope) -> str:
    """The matched route as a template (``/reviews/items/{id_}``): bounded label values."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    path: str = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        segment = f"/{value}"
        if segment not in path:
            return str(getattr(route, "path", "unmatched"))  # a value spelled differently
        path = path.replace(segment, "/{" + name + "}", 1)
    return path


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
