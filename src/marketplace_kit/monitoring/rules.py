"""Alerting and recording rules (PrometheusRule ``spec.groups``) per service and for the platform.

Per service: multi-window, multi-burn-rate alerts on its availability and latency SLOs
(``slo``), a stale outbox, a dead-letter topic that is not empty, consumer lag. For the
platform: Kafka under-replicated and offline partitions, brokers offline, no active controller,
nodes not ready or under pressure, certificates close to expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.promql import any_of, selector
from marketplace_kit.monitoring.slo import BURN_ALERTS, Objectives, error_budget, windows

Rule = dict[str, Any]
Group = dict[str, Any]

ERRORS_RECORD = "slo:http_request_errors:ratio_rate"  # + window
SLOW_RECORD = "slo:http_request_slow:ratio_rate"  # + window
DAY = 86400


@dataclass(frozen=True)
class ServiceSignals:
    """What the rules of one service need to know about it."""

    name: str
    namespace: str
    publishes: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    has_outbox: bool = False  # a datastore and published topics: events go through the outbox
    objectives: Objectives = field(default_factory=Objectives)

    @property
    def labels(self) -> dict[str, str]:
        """The labels Prometheus puts on the service's own series (ServiceMonitor scrape)."""
        return {"namespace": self.namespace, "job": self.name}

    @property
    def rule_labels(self) -> dict[str, str]:
        """The labels every recorded series and alert of the service carries."""
        return {"namespace": self.namespace, "service": self.name}

    @property
    def dead_letter_topics(self) -> tuple[str, ...]:
        return tuple(dead_letter_topic(t) for t in self.consumes)


def _alert(name: str, expr: str, severity: str, summary: str, for_: str,
           labels: dict[str, str] | None = None) -> Rule:
    rule: Rule = {
        "alert": name,
        "expr": expr,
        "labels": {**(labels or {}), "severity": severity},
        "annotations": {"summary": summary},
    }
    if for_:
        rule["for"] = for_
    return rule


def requests(s: ServiceSignals, window: str, **extra: str) -> str:
    """The rate of the service's own (non-probe) requests over ``window``."""
    sel = selector(s.labels, route_not=any_of(signals.INTERNAL_ROUTES), **extra)
    return f"sum(rate({signals.HTTP_DURATION}_count{sel}[{window}]))"


def _fast_requests(s: ServiceSignals, window: str, le: float) -> str:
    sel = selector({**s.labels, "le": signals.bucket_label(le)},
                   route_not=any_of(signals.INTERNAL_ROUTES))
    return f"sum(rate({signals.HTTP_DURATION}_bucket{sel}[{window}]))"


def slo_recording_rules(s: ServiceSignals) -> list[Rule]:
    """The error and slow-request ratios of the service over every burn-alert window."""
    le = signals.latency_bucket(s.objectives.latency_ms)
    if le is None:
        raise ValueError(f"{s.name}: latency_ms {s.objectives.latency_ms} is no bucket bound")
    rules: list[Rule] = []
    for w in windows():
        total = requests(s, w)
        rules.append({"record": f"{ERRORS_RECORD}{w}", "labels": s.rule_labels,
                      "expr": f"{requests(s, w, status='5..')}\n/\n{total}"})
        rules.append({"record": f"{SLOW_RECORD}{w}", "labels": s.rule_labels,
                      "expr": f"1 - (\n{_fast_requests(s, w, le)}\n/\n{total}\n)"})
    return rules


def _burn_alerts(s: ServiceSignals, record: str, kind: str, target: float, what: str) -> list[Rule]:
    budget = error_budget(target)
    sel = selector(s.rule_labels)
    alerts = []
    for alert in BURN_ALERTS:
        conditions = [
            f"(\n  {record}{b.long}{sel} > ({b.rate} * {budget})\nand\n"
            f"  {record}{b.short}{sel} > ({b.rate} * {budget})\n)"
            for b in alert.windows
        ]
        alerts.append(_alert(
            f"Service{kind}{alert.suffix}", "\nor\n".join(conditions), alert.severity,
            f"{s.name}: {what} burns its 30-day error budget (objective {target}%) "
            f"{'fast' if alert.severity == 'critical' else 'steadily'}",
            "2m" if alert.severity == "critical" else "15m", s.rule_labels,
        ))
    return alerts


def service_groups(s: ServiceSignals) -> list[Group]:
    """Every rule group of one service."""
    o = s.objectives
    alerts = [
        *_burn_alerts(s, ERRORS_RECORD, "Availability", o.availability, "the 5xx share"),
        *_burn_alerts(s, SLOW_RECORD, "Latency", o.latency_target,
                      f"the share of requests slower than {o.latency_ms} ms"),
    ]
    if s.has_outbox:
        alerts.append(_alert(
            "OutboxBacklogStale",
            f"max({signals.OUTBOX_OLDEST_AGE}{selector(s.labels)}) > {o.outbox_delay_seconds}",
            "warning",
            f"{s.name}: an event waits in the outbox for more than {o.outbox_delay_seconds} s "
            "(the relay cannot publish)",
            "5m", s.rule_labels,
        ))
    if s.consumes:
        dlq = selector({}, topic=any_of(s.dead_letter_topics))
        alerts.append(_alert(
            "DeadLetterTopicNotEmpty",
            f"sum by (topic) (kafka_topic_partition_current_offset{dlq}"
            f" - kafka_topic_partition_oldest_offset{dlq}) > 0",
            "warning",
            f"{s.name}: events were parked on {{{{ $labels.topic }}}}; inspect and replay them",
            "5m", s.rule_labels,
        ))
        lag = selector({"consumergroup": s.name})
        alerts.append(_alert(
            "ConsumerLagHigh",
            f"sum by (topic) (kafka_consumergroup_lag{lag}) > {o.consumer_lag}",
            "warning",
            f"{s.name}: more than {o.consumer_lag} events wait on {{{{ $labels.topic }}}}",
            "10m", s.rule_labels,
        ))
    return [
        {"name": f"{s.name}.slo.records", "rules": slo_recording_rules(s)},
        {"name": f"{s.name}.alerts", "rules": alerts},
    ]


@dataclass(frozen=True)
class PlatformSignals:
    """What the platform rules need: how many brokers there should be."""

    kafka_brokers: int = 0  # 0: no event bus, no Kafka rules
    cert_warning_days: int = 30
    cert_critical_days: int = 7


def _cert_alerts(name: str, seconds_left: str, what: str, p: PlatformSignals) -> list[Rule]:
    return [
        _alert(f"{name}ExpiresSoon", f"{seconds_left} < {p.cert_warning_days} * {DAY}",
               "warning", f"{what} expires in less than {p.cert_warning_days} days", "1h"),
        _alert(f"{name}ExpiresVerySoon", f"{seconds_left} < {p.cert_critical_days} * {DAY}",
               "critical", f"{what} expires in less than {p.cert_critical_days} days", "10m"),
    ]


def platform_groups(p: PlatformSignals) -> list[Group]:
    """Every platform rule group: nodes, certificates, and Kafka when there is an event bus."""
    pressure = selector({"status": "true"},
                        condition="MemoryPressure|DiskPressure|PIDPressure")
    nodes = [
        _alert("NodeNotReady",
               'kube_node_status_condition{condition="Ready", status="true"} == 0',
               "warning", "node {{ $labels.node }} is not Ready", "5m"),
        _alert("NodeUnderPressure", f"kube_node_status_condition{pressure} == 1", "warning",
               "node {{ $labels.node }} reports {{ $labels.condition }}", "5m"),
    ]
    certs = [
        *_cert_alerts("MeshRootCertificate", "(citadel_server_root_cert_expiry_timestamp - time())",
                      "the mesh's root certificate (istiod)", p),
    ]
    groups = [{"name": "platform.nodes", "rules": nodes}]
    if p.kafka_brokers:
        certs += _cert_alerts(
            "KafkaCertificate", "(strimzi_certificate_expiration_timestamp_ms / 1000 - time())",
            "Strimzi's {{ $labels.type }} certificate of {{ $labels.cluster }}", p)
        groups.append({"name": "platform.kafka", "rules": [
            _alert("KafkaUnderReplicatedPartitions",
                   "sum(kafka_server_replicamanager_underreplicatedpartitions) > 0", "warning",
                   "partitions have fewer in-sync replicas than replicas", "10m"),
            _alert("KafkaOfflinePartitions",
                   "sum(kafka_controller_kafkacontroller_offlinepartitionscount) > 0", "critical",
                   "partitions have no leader: their topics can be neither written nor read",
                   "1m"),
            _alert("KafkaBrokersOffline",
                   f"(count(kafka_server_replicamanager_leadercount) or vector(0))"
                   f" < {p.kafka_brokers}",
                   "critical", f"fewer than {p.kafka_brokers} Kafka brokers report metrics", "5m"),
            _alert("KafkaNoActiveController",
                   "(sum(kafka_controller_kafkacontroller_activecontrollercount) or vector(0))"
                   " != 1",
                   "critical", "the KRaft quorum has no (or more than one) active controller",
                   "5m"),
        ]})
    groups.append({"name": "platform.certificates", "rules": certs})
    return groups


def alert_names(groups: list[Group]) -> list[str]:
    """The alert names of some groups, in order."""
    return [r["alert"] for g in groups for r in g["rules"] if "alert" in r]


def recorded_names(groups: list[Group]) -> set[str]:
    """The series names some groups record."""
    return {r["record"] for g in groups for r in g["rules"] if "record" in r}
