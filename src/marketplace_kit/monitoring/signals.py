"""The metrics a generated service exports (one definition: the template renders these names
and buckets into its ``metrics.py``; the rules and dashboards query them)."""

from __future__ import annotations

from marketplace_kit.contract.routing import IN_CLUSTER_PATHS

# HTTP: a histogram by route template, method and status (seconds).
HTTP_DURATION = "http_request_duration_seconds"
# Bucket bounds in seconds; an SLO's latency threshold must be one of them (else its ratio
# could not be computed from the histogram).
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Routes the platform itself calls (probes, scrapes): not part of any SLO.
INTERNAL_ROUTES: tuple[str, ...] = IN_CLUSTER_PATHS

# Events.
EVENTS_PUBLISHED = "events_published_total"  # {topic}
PUBLISH_FAILURES = "events_publish_failures_total"
EVENTS_CONSUMED = "events_consumed_total"  # {topic, outcome}
OUTCOMES: tuple[str, ...] = ("processed", "duplicate", "dead_lettered")

# The transactional outbox (services with a datastore that publish).
OUTBOX_PENDING = "outbox_pending_events"
OUTBOX_OLDEST_AGE = "outbox_oldest_pending_age_seconds"

# Process (prometheus_client's default collectors on Linux).
PROCESS_RSS = "process_resident_memory_bytes"
PROCESS_CPU = "process_cpu_seconds_total"


def bucket_label(seconds: float) -> str:
    """The ``le`` label value prometheus_client writes for a bucket bound (``0.5``, ``1.0``)."""
    return repr(float(seconds))


def latency_bucket(milliseconds: int) -> float | None:
    """The bucket bound (seconds) equal to ``milliseconds``, or None when there is none."""
    for bound in LATENCY_BUCKETS:
        if round(bound * 1000) == milliseconds:
            return bound
    return None
