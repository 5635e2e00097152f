"""W3C trace context on Kafka records: the producer writes ``traceparent`` (and ``tracestate``)
into the record headers from its send span, the consumer continues that trace from them, so
one trace spans the HTTP request, the publish and the handling in the consuming service."""

from __future__ import annotations

import json
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

HEADERS = ("traceparent", "tracestate")
tracer = trace.get_tracer(__name__)
Headers = list[tuple[str, bytes]]


def payload_traceparent(payload: bytes | None) -> str | None:
    """The ``traceparent`` attribute of an event's JSON (the context it was written in)."""
    if not payload or b'"traceparent"' not in payload:  # tracing is off: no need to parse
        return None
    try:
        value = json.loads(payload).get("traceparent")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def context_from(
    headers: Sequence[tuple[str, bytes]] | None, traceparent: str | None = None
) -> Context:
    """The trace context a record carries: its headers, else ``traceparent`` (the event's)."""
    carrier = {k: v.decode(errors="replace") for k, v in headers or () if k in HEADERS}
    if "traceparent" not in carrier and traceparent:
        carrier["traceparent"] = traceparent
    return propagate.extract(carrier)


def start_send(topic: str, traceparent: str | None = None) -> tuple[Span, Headers]:
    """A producer span for one record (child of ``traceparent``, else of the current span) and
    the headers that carry it; end the span once the broker acknowledged the record."""
    parent = context_from(None, traceparent) if traceparent else None
    span = tracer.start_span(
        f"send {topic}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                    "messaging.operation.type": "send"},
    )
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    if not carrier and traceparent:  # tracing is off here: pass the caller's context on
        carrier["traceparent"] = traceparent
    return span, [(k, v.encode()) for k, v in carrier.items()]


def process_attributes(topic: str, partition: int, offset: int) -> dict[str, str | int]:
    """The attributes of a consumer's processing span."""
    return {"messaging.system": "kafka", "messaging.destination.name": topic,
            "messaging.operation.type": "process", "messaging.kafka.offset": offset,
            "messaging.destination.partition.id": str(partition)}
