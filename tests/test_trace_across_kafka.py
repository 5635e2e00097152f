"""One trace across two generated services and Kafka, and the log lines that belong to it.

``trace-orders`` (entity API, publishes through its outbox) and ``trace-shipping`` (consumes
that topic) run as real processes against the session's PostgreSQL and broker and export
spans to a local OTLP receiver (OTLP/HTTP, as the template's exporter speaks it). One POST to
the orders API must yield ONE trace holding the HTTP request's server span, the outbox relay's
producer span (its context carried in the Kafka record headers as W3C ``traceparent``) and the
shipping service's consumer span, child of that producer span; and the JSON log lines written
while serving the request and while handling the event carry that trace's trace_id and span ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.otlp_receiver import OtlpReceiver, ReceivedSpan
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.devenv import Broker, Postgres

pytestmark = pytest.mark.slow
TOPIC = "trace-order-events"
CONSUMER_SPAN = f"process {TOPIC}"
PRODUCER_SPAN = f"send {TOPIC}"
JOIN_TIMEOUT = 45.0  # a first consumer-group join takes ~5 s on tansu, more under load


@pytest.fixture
def traced(
    tmp_path: Path, postgres: Postgres, broker: Broker
) -> Iterator[tuple[OtlpReceiver, ServiceProcess, ServiceProcess]]:
    """(receiver, orders, shipping), both services serving and exporting to the receiver."""
    orders_source = generate(tmp_path, "trace-orders", entity="order", publishes=[TOPIC])
    shipping_source = generate(tmp_path, "trace-shipping", consumes=[TOPIC])
    with OtlpReceiver() as receiver:
        common = {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
            "RELAY_POLL_INTERVAL": "0.2",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans every 0.2 s (default 5 s)
        }
        orders = ServiceProcess(orders_source, {
            **common, "DATABASE_URL": postgres.create_database("trace_orders")})
        shipping = ServiceProcess(shipping_source, {
            **common, "DATABASE_URL": postgres.create_database("trace_shipping")})
        try:
            orders.start()
            shipping.start()
            yield receiver, orders, shipping
        finally:
            orders.stop()
            shipping.stop()


def log_lines(service: ServiceProcess) -> list[dict[str, Any]]:
    """The service's JSON log lines (anything else it printed is skipped)."""
    lines = []
    for raw in service.log.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def test_one_trace_spans_the_request_the_publish_and_the_handling(
    traced: tuple[OtlpReceiver, ServiceProcess, ServiceProcess],
) -> None:
    receiver, orders, shipping = traced
    created = httpx.post(f"{orders.base_url}/trace-orders/orders", json={"name": "traced"},
                         timeout=10)
    assert created.status_code == 201, created.text

    def handled() -> ReceivedSpan | None:
        return next((s for s in receiver.spans if s.name == CONSUMER_SPAN), None)

    consumer = wait_until(handled, JOIN_TIMEOUT, "the consumer's span at the receiver")
    wait_until(lambda: any(s.name == PRODUCER_SPAN for s in receiver.spans), 10,
               "the producer's span")
    trace = [s for s in receiver.spans if s.trace_id == consumer.trace_id]
    by_id = {s.span_id: s for s in trace}

    # The consumer's span is a child of the producer span (context from the record headers)...
    producer = by_id[consumer.parent_id]
    assert (producer.service, producer.name, producer.kind) == (
        "trace-orders", PRODUCER_SPAN, "producer")
    assert (consumer.service, consumer.kind) == ("trace-shipping", "consumer")
    # ...which descends from the HTTP request's server span, the root of the trace.
    chain = [producer]
    while chain[-1].parent_id:
        chain.append(by_id[chain[-1].parent_id])
    root = chain[-1]
    assert (root.service, root.kind) == ("trace-orders", "server")
    assert root.name.startswith("POST /trace-orders/orders")

    # Logs and traces join: the request's and the handling's log lines carry the trace.
    def logged(service: ServiceProcess, span_ids: set[str]) -> list[dict[str, Any]]:
        return [line for line in log_lines(service)
                if line.get("trace_id") == consumer.trace_id and line.get("span_id") in span_ids]

    orders_spans = {s.span_id for s in trace if s.service == "trace-orders"}
    assert wait_until(lambda: logged(orders, orders_spans), 5, "the request's log line")
    handling = wait_until(lambda: logged(shipping, {consumer.span_id}), 5,
                          "the handler's log line")
    assert any(line["message"] == "event received" for line in handling)
