"""Prometheus metrics (served on /metrics) and the record of each HTTP request's latency."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import Scope

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
OUTBOX_PENDING = Gauge("outbox_pending_events", "Outbox events not yet published.")
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox event in seconds (0 when none waits).",
)


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """Record one HTTP request's latency, labelled by route template, never by raw path (the
    request edge, ``budget.RequestBudget``, times every request)."""
    REQUESTS.labels(scope["method"], route_template(scope), str(status)).observe(seconds)


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
