"""Grafana dashboards from one definition: a service's golden signals and event flow, and the
platform overview. Panels are data (title, queries, unit); ``render`` lays them out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.promql import any_of, selector
from marketplace_kit.monitoring.rules import ERRORS_RECORD, ServiceSignals, requests
from marketplace_kit.monitoring.slo import error_budget

SCHEMA_VERSION = 39
RATE = "5m"


@dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel and its legend."""

    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    """A time series (or a single stat) panel."""

    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    description: str = ""


@dataclass(frozen=True)
class Row:
    """A titled row of panels."""

    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Dashboard:
    """A dashboard: uid, title, tags and rows."""

    uid: str
    title: str
    tags: tuple[str, ...]
    rows: tuple[Row, ...]

    def queries(self) -> list[str]:
        """Every PromQL expression on the dashboard."""
        return [q.expr for row in self.rows for p in row.panels for q in p.queries]


def render(dashboard: Dashboard) -> dict[str, Any]:
    """The Grafana JSON model: a row header, then panels two per line, 12 columns wide."""
    panels: list[dict[str, Any]] = []
    y = 0
    for row in dashboard.rows:
        panels.append({"id": len(panels) + 1, "type": "row", "title": row.title,
                       "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                       "panels": []})
        y += 1
        for i, panel in enumerate(row.panels):
            panels.append({
                "id": len(panels) + 1,
                "type": panel.kind,
                "title": panel.title,
                "description": panel.description,
                "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": y + (i // 2) * 8},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "targets": [
                    {"expr": q.expr, "legendFormat": q.legend, "refId": chr(ord("A") + n)}
                    for n, q in enumerate(panel.queries)
                ],
            })
        y += ((len(row.panels) + 1) // 2) * 8
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "tags": list(dashboard.tags),
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "panels": panels,
    }


def _rate(metric: str, sel: str, by: str = "") -> str:
    group = f" by ({by})" if by else ""
    return f"sum{group} (rate({metric}{sel}[{RATE}]))"


def golden_signals(s: ServiceSignals) -> Row:
    """Traffic, errors, latency and saturation of one service."""
    own = selector(s.labels, route_not=any_of(signals.INTERNAL_ROUTES))
    buckets = _rate(f"{signals.HTTP_DURATION}_bucket", own, "le")
    hpa = selector({"namespace": s.namespace, "horizontalpodautoscaler": s.name})
    mesh = selector({"destination_workload": s.name, "reporter": "destination"})
    budget = error_budget(s.objectives.availability)
    return Row("Golden signals", (
        Panel("Traffic (requests/s by route)",
              (Query(_rate(f"{signals.HTTP_DURATION}_count", own, "route"), "{{route}}"),),
              "reqps"),
        Panel("Errors (5xx share)",
              (Query(f"{requests(s, RATE, status='5..')} / {requests(s, RATE)}", "5xx"),),
              "percentunit"),
        Panel("Latency",
              (Query(f"histogram_quantile(0.5, {buckets})", "p50"),
               Query(f"histogram_quantile(0.99, {buckets})", "p99")),
              "s", description=f"objective: {s.objectives.latency_target}% under "
                               f"{s.objectives.latency_ms} ms"),
        Panel("Availability burn rate (1h)",
              (Query(f"{ERRORS_RECORD}1h{selector(s.rule_labels)} / {budget}", "burn rate"),),
              description=f"1 = spending the budget of {s.objectives.availability}% exactly "
                          "in 30 days; 14.4 pages"),
        Panel("Saturation: CPU (cores) and memory per pod",
              (Query(_rate(signals.PROCESS_CPU, selector(s.labels), "pod"), "cpu {{pod}}"),
               Query(f"sum by (pod) ({signals.PROCESS_RSS}{selector(s.labels)})",
                     "rss {{pod}}")),
              ),
        Panel("Saturation: replicas (autoscaler)",
              (Query(f"kube_horizontalpodautoscaler_status_current_replicas{hpa}", "current"),
               Query(f"kube_horizontalpodautoscaler_spec_max_replicas{hpa}", "max")),
              ),
        Panel("Callers (mesh, requests/s by source)",
              (Query(_rate("istio_requests_total", mesh, "source_workload"),
                     "{{source_workload}}"),),
              "reqps"),
    ))


def event_flow(s: ServiceSignals) -> Row | None:
    """Published, consumed, failed, dead-lettered, outbox backlog and lag (what applies)."""
    own = selector(s.labels)
    panels: list[Panel] = []
    if s.publishes:
        panels.append(Panel("Events published (by topic) and publish failures", (
            Query(_rate(signals.EVENTS_PUBLISHED, own, "topic"), "{{topic}}"),
            Query(_rate(signals.PUBLISH_FAILURES, own), "failures"),
        ), "ops"))
    if s.has_outbox:
        panels.append(Panel("Outbox backlog", (
            Query(f"max({signals.OUTBOX_PENDING}{own})", "pending events"),
            Query(f"max({signals.OUTBOX_OLDEST_AGE}{own})", "oldest (s)"),
        ), description=f"alert when the oldest waits {s.objectives.outbox_delay_seconds} s"))
    if s.consumes:
        dlq = selector({}, topic=any_of(s.dead_letter_topics))
        panels += [
            Panel("Events consumed (by topic and outcome)", (
                Query(_rate(signals.EVENTS_CONSUMED, own, "topic, outcome"),
                      "{{topic}} {{outcome}}"),
            ), "ops"),
            Panel("Failed: dead-lettered events", (
                Query(_rate(signals.EVENTS_CONSUMED,
                            selector({**s.labels, "outcome": "dead_lettered"}), "topic"),
                      "{{topic}}"),
            ), "ops"),
            Panel("Dead-letter topics (events parked)", (
                Query(f"sum by (topic) (kafka_topic_partition_current_offset{dlq}"
                      f" - kafka_topic_partition_oldest_offset{dlq})", "{{topic}}"),
            )),
            Panel("Consumer lag (events)", (
                Query(f'sum by (topic) (kafka_consumergroup_lag{{consumergroup="{s.name}"}})',
                      "{{topic}}"),
            ), description=f"alert above {s.objectives.consumer_lag}"),
        ]
    return Row("Event flow", tuple(panels)) if panels else None


def service_dashboard(s: ServiceSignals) -> Dashboard:
    """The dashboard of one service."""
    rows = [golden_signals(s)]
    flow = event_flow(s)
    if flow is not None:
        rows.append(flow)
    return Dashboard(f"svc-{s.name}", f"{s.name} service", ("marketplace", s.name), tuple(rows))


def platform_dashboard(kafka: bool) -> Dashboard:
    """The platform overview: services through the mesh, Kafka, nodes, certificates, alerts."""
    mesh = selector({"reporter": "destination"})
    errors = selector({"reporter": "destination"}, response_code="5..")
    rows = [
        Row("Services", (
            Panel("Requests/s by service (mesh)", (
                Query(_rate("istio_requests_total", mesh, "destination_workload"),
                      "{{destination_workload}}"),), "reqps"),
            Panel("5xx share by service (mesh)", (
                Query(f"{_rate('istio_requests_total', errors, 'destination_workload')} / "
                      f"{_rate('istio_requests_total', mesh, 'destination_workload')}",
                      "{{destination_workload}}"),), "percentunit"),
            Panel("Firing alerts", (
                Query('sum by (alertname, severity) (ALERTS{alertstate="firing"})',
                      "{{alertname}} ({{severity}})"),)),
        )),
        Row("Nodes", (
            Panel("Nodes not Ready", (
                Query('sum(kube_node_status_condition{condition="Ready", status="true"} == 0)'
                      " or vector(0)", "not ready"),), kind="stat"),
            Panel("Node pressure conditions", (
                Query("sum by (condition) (kube_node_status_condition"
                      '{condition=~"MemoryPressure|DiskPressure|PIDPressure", status="true"})',
                      "{{condition}}"),)),
        )),
    ]
    certs = [Query("(min(citadel_server_root_cert_expiry_timestamp) - time()) / 86400",
                   "mesh root CA")]
    if kafka:
        certs.append(Query("(min by (type) (strimzi_certificate_expiration_timestamp_ms) / 1000"
                           " - time()) / 86400", "kafka {{type}}"))
        rows.append(Row("Kafka", (
            Panel("Brokers reporting", (
                Query("count(kafka_server_replicamanager_leadercount)", "brokers"),),
                kind="stat"),
            Panel("Under-replicated and offline partitions", (
                Query("sum(kafka_server_replicamanager_underreplicatedpartitions)",
                      "under-replicated"),
                Query("sum(kafka_controller_kafkacontroller_offlinepartitionscount)",
                      "offline"),)),
            Panel("Messages in/s by topic", (
                Query("sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total"
                      f"[{RATE}]))", "{{topic}}"),), "ops"),
            Panel("Consumer lag by group", (
                Query("sum by (consumergroup) (kafka_consumergroup_lag)",
                      "{{consumergroup}}"),)),
        )))
    rows.append(Row("Certificates", (
        Panel("Days until expiry", tuple(certs), "d"),
    )))
    return Dashboard("platform-overview", "Platform overview", ("marketplace", "platform"),
                     tuple(rows))
