"""No dashboard panel and no rule queries a metric that nothing exports.

Every PromQL expression of the reference marketplace's plan (each service's dashboard and
PrometheusRule, the platform's dashboard and rules) is parsed with a real PromQL parser and
each metric name it reads must be one of:
- the generated service's own registry, scraped from a running instance's /metrics;
- the Kafka brokers' JMX Exporter configuration the EventBus renders (literal names only);
- the series the rules themselves record;
- the upstream lists in tests/data/exported_metrics.yaml (Istio, istiod, Kafka Exporter,
  Strimzi operator, kube-state-metrics, Prometheus), each with its source and version.
Selectors on the service's own metrics may match only labels the running service wrote on
them (after it served a request, published an event and consumed one) or that the scrape adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from prometheus_client.parser import text_string_to_metric_families
from support.promql_names import metric_names, selectors
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import load_platform
from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.monitoring import kafka_metrics
from marketplace_kit.plan.graph import ResourceGraph

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "marketplace" / "marketplace.yaml"
UPSTREAM = Path(__file__).resolve().parent / "data" / "exported_metrics.yaml"
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count"),
            "counter": ("_total",)}
# Labels Prometheus adds to every series it scrapes through a ServiceMonitor.
TARGET_LABELS = {"job", "namespace", "pod", "service", "instance", "endpoint", "container"}
CONSUMED = "metered-input"


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return plan_platform(load_platform(CONFIG))


def queries(graph: ResourceGraph) -> dict[str, str]:
    """Every PromQL expression of the plan: {where: expression}."""
    found: dict[str, str] = {}
    for r in graph:
        inputs = r.inputs
        if r.type.endswith(":PrometheusRule"):
            for group in inputs["spec"]["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule.get("record")
                    found[f"{r.name} {group['name']} {name}"] = rule["expr"]
        elif r.type.endswith(":ConfigMap") and (
                inputs.get("metadata", {}).get("labels", {}).get("grafana_dashboard")):
            for key, text in inputs["data"].items():
                for panel in json.loads(text)["panels"]:
                    for target in panel.get("targets", []):
                        found[f"{key} {panel['title']} {target['refId']}"] = target["expr"]
    return found


def recorded(graph: ResourceGraph) -> set[str]:
    return {rule["record"] for r in graph if r.type.endswith(":PrometheusRule")
            for g in r.inputs["spec"]["groups"] for rule in g["rules"] if "record" in rule}


def upstream() -> dict[str, set[str]]:
    """The recorded upstream metric names, by source."""
    data: dict[str, Any] = yaml.safe_load(UPSTREAM.read_text())
    lists = {}
    for source in data["sources"]:
        assert source["source"] and source["version"], source["name"]
        names = set(source.get("metrics", []))
        names |= {h + s for h in source.get("histograms", []) for s in SUFFIXES["histogram"]}
        lists[source["name"]] = names
    return lists


@dataclass
class Registry:
    """What a running service's /metrics page declares: series names, and the label names
    each series was seen with."""

    names: set[str]
    labels: dict[str, set[str]]


def scrape(text: str) -> Registry:
    """Every series name a /metrics page can produce (declared families and their samples)."""
    names: set[str] = set()
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        names |= {family.name + s for s in SUFFIXES.get(family.type, ("",))}
        for sample in family.samples:
            names.add(sample.name)
            labels.setdefault(sample.name, set()).update(sample.labels)
    return Registry(names, labels)


def send_event(bootstrap: str, topic: str) -> None:
    """Create ``topic`` (and its dead-letter topic) and write one well-formed event to it."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, 1, 1), NewTopic(f"{topic}.dlq", 1, 1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            event = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "test.sent",
                     "source": "/tests", "time": "2026-01-01T00:00:00Z", "data": {}}
            await producer.send_and_wait(topic, json.dumps(event).encode())
        finally:
            await producer.stop()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()


@pytest.fixture(scope="module")
def service_registry(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, broker: Broker
) -> Iterator[Registry]:
    """A generated service with an entity, an outbox and a consumed topic, running; its
    /metrics once it has served a request, published an event and consumed one."""
    source = generate(tmp_path_factory.mktemp("metrics"), "metered", entity="item",
                      publishes=["metered-events"], consumes=[CONSUMED])
    service = ServiceProcess(source, {
        "DATABASE_URL": postgres.create_database("metered"),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",  # tansu has no InitProducerId
        "RELAY_POLL_INTERVAL": "0.2",
    })
    try:
        send_event(broker.bootstrap_servers, CONSUMED)
        service.start()
        created = httpx.post(f"{service.base_url}/metered/items", json={"name": "one"},
                             timeout=10)
        assert created.status_code == 201, created.text

        def flowed() -> Registry | None:
            found = scrape(httpx.get(f"{service.base_url}/metrics", timeout=10).text)
            wanted = ("events_published_total", "events_consumed_total")
            return found if all(found.labels.get(n) for n in wanted) else None

        yield wait_until(flowed, 45, "an event published and one consumed")
    finally:
        service.stop()


def unknown(exprs: dict[str, str], known: set[str]) -> dict[str, set[str]]:
    """The metric names each expression reads that ``known`` does not have."""
    missing = {}
    for where, expr in exprs.items():
        names = metric_names(expr) - known
        if names:
            missing[where] = names
    return missing


@pytest.mark.slow
def test_every_queried_metric_is_exported(graph: ResourceGraph, service_registry: Registry) -> None:
    exprs = queries(graph)
    # The five services' dashboards and rules, the platform's dashboard and rules.
    assert sum(" platform" in where or "platform-overview" in where for where in exprs) > 10
    assert len({w.split()[0] for w in exprs}) >= 12
    known = (service_registry.names | kafka_metrics.exported_names() | recorded(graph)
             | set().union(*upstream().values()))
    assert unknown(exprs, known) == {}


@pytest.mark.slow
def test_the_service_exports_what_its_dashboard_shows(service_registry: Registry) -> None:
    for name in ("http_request_duration_seconds_bucket", "events_published_total",
                 "events_publish_failures_total", "events_consumed_total",
                 "outbox_pending_events", "outbox_oldest_pending_age_seconds",
                 "process_resident_memory_bytes"):
        assert name in service_registry.names


@pytest.mark.slow
def test_queries_on_the_service_match_labels_it_writes(
    graph: ResourceGraph, service_registry: Registry
) -> None:
    """A selector on a service metric matches only labels the running service wrote on it (or
    that the scrape adds): a misspelt label would leave a panel empty and an alert silent."""
    checked, wrong = 0, {}
    for where, expr in queries(graph).items():
        for name, labels in selectors(expr):
            seen = service_registry.labels.get(name)
            if seen is None:
                continue
            checked += 1
            if not labels <= seen | TARGET_LABELS:
                wrong[where] = (name, sorted(labels - seen - TARGET_LABELS))
    assert wrong == {}
    assert checked > 50


def test_a_query_on_a_metric_nobody_exports_is_found() -> None:
    exprs = {"typo": 'sum(rate(http_request_duraton_seconds_count{job="x"}[5m]))',
             "fine": "sum(kafka_consumergroup_lag) or vector(0)"}
    known = set().union(*upstream().values()) | {"http_request_duration_seconds_count"}
    assert unknown(exprs, known) == {"typo": {"http_request_duraton_seconds_count"}}
