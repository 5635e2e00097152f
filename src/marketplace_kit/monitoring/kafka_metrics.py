"""The Kafka brokers' and controllers' metrics: a Prometheus JMX Exporter configuration whose
every rule names its metric literally (no ``$1`` in names), so what the brokers export is
exactly ``exported_names()``; Strimzi serves it on port 9404 (``tcp-prometheus``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METRICS_PORT_NAME = "tcp-prometheus"  # Strimzi's metrics port (brokers and Kafka Exporter)
CONFIG_KEY = "metrics-config.yml"


@dataclass(frozen=True)
class JmxRule:
    """One MBean attribute -> one Prometheus metric."""

    pattern: str
    name: str
    type: str = "GAUGE"
    labels: dict[str, str] = field(default_factory=dict)


def _gauge(domain: str, bean: str, attribute: str) -> JmxRule:
    kind, name = bean.split("/")
    return JmxRule(f"{domain}<type={kind}, name={name}><>{attribute}",
                   f"{domain.replace('.', '_')}_{kind.lower()}_{name.lower()}")


def _topic_counter(name: str) -> JmxRule:
    metric = name.removesuffix("PerSec").lower()
    return JmxRule(f"kafka.server<type=BrokerTopicMetrics, name={name}, topic=(.+)><>Count",
                   f"kafka_server_brokertopicmetrics_{metric}_total", "COUNTER",
                   {"topic": "$1"})


RULES: tuple[JmxRule, ...] = (
    _gauge("kafka.server", "ReplicaManager/UnderReplicatedPartitions", "Value"),
    _gauge("kafka.server", "ReplicaManager/UnderMinIsrPartitionCount", "Value"),
    _gauge("kafka.server", "ReplicaManager/LeaderCount", "Value"),
    _gauge("kafka.server", "ReplicaManager/PartitionCount", "Value"),
    _gauge("kafka.controller", "KafkaController/OfflinePartitionsCount", "Value"),
    _gauge("kafka.controller", "KafkaController/ActiveControllerCount", "Value"),
    _topic_counter("MessagesInPerSec"),
    _topic_counter("BytesInPerSec"),
    _topic_counter("BytesOutPerSec"),
)


def jmx_exporter_config() -> dict[str, Any]:
    """The JMX Exporter configuration (a ConfigMap key that ``metricsConfig`` points at)."""
    rules = []
    for r in RULES:
        rule: dict[str, Any] = {"pattern": r.pattern, "name": r.name, "type": r.type}
        if r.labels:
            rule["labels"] = dict(r.labels)
        rules.append(rule)
    return {"lowercaseOutputName": True, "rules": rules}


def exported_names() -> set[str]:
    """Every metric name the brokers and controllers export under this configuration."""
    return {r.name for r in RULES}
