"""Every alerting rule the kit generates, unit-tested by Prometheus' own ``promtool test rules``
with synthetic series: each alert fires when it should (labels and summary checked) and stays
quiet on healthy series. ``promtool check rules`` validates the files first.

The rules come from the same functions the platform renders into PrometheusRules (a sample
service with an outbox, consumed topics and a non-default SLO; the platform with 3 brokers).
promtool comes with Debian's ``prometheus`` package (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_kit.monitoring.rules import (
    PlatformSignals,
    ServiceSignals,
    alert_names,
    platform_groups,
    service_groups,
)
from marketplace_kit.monitoring.slo import Objectives

SERVICE = ServiceSignals(
    name="checkout", namespace="shop", publishes=("checkout-events",),
    consumes=("payment-events",), has_outbox=True,
    objectives=Objectives(availability=99.5, latency_ms=500, latency_target=99.0,
                          outbox_delay_seconds=300, consumer_lag=1000),
)
PLATFORM = PlatformSignals(kafka_brokers=3)
GROUPS = service_groups(SERVICE) + platform_groups(PLATFORM)
OWN = {"namespace": "shop", "service": "checkout"}
HTTP = 'http_request_duration_seconds_{kind}{{namespace="shop", job="checkout", method="GET", ' \
       'route="/checkout/items", status="{status}"{le}}}'


def http(kind: str, status: str = "200", le: str = "") -> str:
    """A series of the service's request histogram."""
    return HTTP.format(kind=kind, status=status, le=f', le="{le}"' if le else "")


@dataclass
class Case:
    """One promtool test: input series, then alerts expected (or none) at an evaluation time."""

    title: str
    series: dict[str, str]
    alert: str
    at: str
    fires: list[dict[str, str]] = field(default_factory=list)  # expected labels, one per alert
    interval: str = "1m"


def requests(good: int, bad: int, minutes: int) -> dict[str, str]:
    """Per-minute request counts: ``good`` 200s and ``bad`` 500s."""
    return {http("count"): f"0+{good}x{minutes}", http("count", "500"): f"0+{bad}x{minutes}"}


def latency(fast: int, total: int, minutes: int) -> dict[str, str]:
    """Per-minute requests, ``fast`` of them under the 0.5 s bucket."""
    return {http("count"): f"0+{total}x{minutes}",
            http("bucket", le="0.5"): f"0+{fast}x{minutes}"}


SERVICE_CASES = [
    # The ratios are read over whatever part of a window has data, so 30 minutes of series
    # are enough (and keep promtool fast). 10 % errors burn a 99.5 % budget 20x: the fast
    # (page) and the slow (ticket) alert fire.
    Case("10% errors page", requests(90, 10, 30), "ServiceAvailabilityFastBurn", "20m",
         [{**OWN, "severity": "critical"}]),
    Case("10% errors open a ticket too", requests(90, 10, 30), "ServiceAvailabilitySlowBurn",
         "20m", [{**OWN, "severity": "warning"}]),
    # 2 % errors: burn rate 4, above the slow threshold (3), below the fast ones (6, 14.4).
    Case("2% errors: no page", requests(98, 2, 30), "ServiceAvailabilityFastBurn", "20m"),
    Case("2% errors: a ticket", requests(98, 2, 30), "ServiceAvailabilitySlowBurn", "20m",
         [{**OWN, "severity": "warning"}]),
    Case("0.2% errors: within budget", requests(499, 1, 30), "ServiceAvailabilitySlowBurn",
         "20m"),
    # Latency objective 99 % under 500 ms: 30 % slow burns it 30x.
    Case("30% slow pages", latency(70, 100, 30), "ServiceLatencyFastBurn", "20m",
         [{**OWN, "severity": "critical"}]),
    Case("30% slow: a ticket", latency(70, 100, 30), "ServiceLatencySlowBurn", "20m",
         [{**OWN, "severity": "warning"}]),
    Case("0.5% slow: fine", latency(995, 1000, 30), "ServiceLatencyFastBurn", "20m"),
    Case("0.5% slow: no ticket", latency(995, 1000, 30), "ServiceLatencySlowBurn", "20m"),
    Case("outbox stuck", {'outbox_oldest_pending_age_seconds{namespace="shop", job="checkout"}':
                          "0+60x20"}, "OutboxBacklogStale", "15m",
         [{**OWN, "severity": "warning"}]),
    Case("outbox drains", {'outbox_oldest_pending_age_seconds{namespace="shop", job="checkout"}':
                           "0x20"}, "OutboxBacklogStale", "15m"),
    Case("events parked",
         {'kafka_topic_partition_current_offset{topic="payment-events.dlq", partition="0"}':
          "5x20",
          'kafka_topic_partition_oldest_offset{topic="payment-events.dlq", partition="0"}':
          "0x20",
          # Another service's dead-letter topic is not this service's business.
          'kafka_topic_partition_current_offset{topic="order-events.dlq", partition="0"}': "9x20",
          'kafka_topic_partition_oldest_offset{topic="order-events.dlq", partition="0"}': "0x20"},
         "DeadLetterTopicNotEmpty", "10m",
         [{**OWN, "severity": "warning", "topic": "payment-events.dlq"}]),
    Case("dead-letter topic empty",
         {'kafka_topic_partition_current_offset{topic="payment-events.dlq", partition="0"}':
          "3x20",
          'kafka_topic_partition_oldest_offset{topic="payment-events.dlq", partition="0"}':
          "3x20"},
         "DeadLetterTopicNotEmpty", "10m"),
    Case("lag builds up",
         {'kafka_consumergroup_lag{consumergroup="checkout", topic="payment-events", '
          'partition="0"}': "1500x20",
          'kafka_consumergroup_lag{consumergroup="checkout", topic="payment-events", '
          'partition="1"}': "600x20",
          'kafka_consumergroup_lag{consumergroup="other", topic="payment-events", '
          'partition="0"}': "99999x20"},
         "ConsumerLagHigh", "15m",
         [{**OWN, "severity": "warning", "topic": "payment-events"}]),
    Case("lag is small",
         {'kafka_consumergroup_lag{consumergroup="checkout", topic="payment-events", '
          'partition="0"}': "10x20"}, "ConsumerLagHigh", "15m"),
]

NODE = 'kube_node_status_condition{{node="n1", condition="{c}", status="{s}"}}'
DAY = 86400
PLATFORM_CASES = [
    Case("node not ready", {NODE.format(c="Ready", s="true"): "0x10"}, "NodeNotReady", "8m",
         [{"node": "n1", "condition": "Ready", "status": "true", "severity": "warning"}]),
    Case("node ready", {NODE.format(c="Ready", s="true"): "1x10"}, "NodeNotReady", "8m"),
    Case("memory pressure", {NODE.format(c="MemoryPressure", s="true"): "1x10",
                             NODE.format(c="DiskPressure", s="true"): "0x10"},
         "NodeUnderPressure", "8m",
         [{"node": "n1", "condition": "MemoryPressure", "status": "true",
           "severity": "warning"}]),
    Case("mesh root CA in 20 days", {"citadel_server_root_cert_expiry_timestamp":
                                     f"{20 * DAY}x90"},
         "MeshRootCertificateExpiresSoon", "70m", [{"severity": "warning"}]),
    Case("mesh root CA in a year", {"citadel_server_root_cert_expiry_timestamp":
                                    f"{365 * DAY}x90"},
         "MeshRootCertificateExpiresSoon", "70m"),
    Case("mesh root CA in 5 days", {"citadel_server_root_cert_expiry_timestamp":
                                    f"{5 * DAY}x20"},
         "MeshRootCertificateExpiresVerySoon", "15m", [{"severity": "critical"}]),
    Case("Kafka CA in 20 days",
         {'strimzi_certificate_expiration_timestamp_ms{cluster="events", type="clusterCa"}':
          f"{20 * DAY * 1000}x90"},
         "KafkaCertificateExpiresSoon", "70m",
         [{"cluster": "events", "type": "clusterCa", "severity": "warning"}]),
    Case("Kafka CA in 5 days",
         {'strimzi_certificate_expiration_timestamp_ms{cluster="events", type="clientsCa"}':
          f"{5 * DAY * 1000}x20"},
         "KafkaCertificateExpiresVerySoon", "15m",
         [{"cluster": "events", "type": "clientsCa", "severity": "critical"}]),
    Case("under-replicated",
         {'kafka_server_replicamanager_underreplicatedpartitions{pod="events-broker-0"}': "0x20",
          'kafka_server_replicamanager_underreplicatedpartitions{pod="events-broker-1"}': "4x20"},
         "KafkaUnderReplicatedPartitions", "15m", [{"severity": "warning"}]),
    Case("fully replicated",
         {'kafka_server_replicamanager_underreplicatedpartitions{pod="events-broker-0"}': "0x20"},
         "KafkaUnderReplicatedPartitions", "15m"),
    Case("offline partitions",
         {'kafka_controller_kafkacontroller_offlinepartitionscount{pod="c-0"}': "2x5"},
         "KafkaOfflinePartitions", "4m", [{"severity": "critical"}]),
    Case("a broker gone",
         {f'kafka_server_replicamanager_leadercount{{pod="events-broker-{n}"}}': "5x10"
          for n in range(2)},
         "KafkaBrokersOffline", "8m", [{"severity": "critical"}]),
    Case("every broker gone (no series at all)", {"up": "1x10"}, "KafkaBrokersOffline", "8m",
         [{"severity": "critical"}]),
    Case("three brokers",
         {f'kafka_server_replicamanager_leadercount{{pod="events-broker-{n}"}}': "5x10"
          for n in range(3)},
         "KafkaBrokersOffline", "8m"),
    Case("no active controller",
         {f'kafka_controller_kafkacontroller_activecontrollercount{{pod="c-{n}"}}': "0x10"
          for n in range(3)},
         "KafkaNoActiveController", "8m", [{"severity": "critical"}]),
    Case("one active controller",
         {'kafka_controller_kafkacontroller_activecontrollercount{pod="c-0"}': "1x10",
          'kafka_controller_kafkacontroller_activecontrollercount{pod="c-1"}': "0x10"},
         "KafkaNoActiveController", "8m"),
]
CASES = SERVICE_CASES + PLATFORM_CASES


def _summary(alert: str, labels: dict[str, str]) -> str:
    """The alert's summary with ``{{ $labels.x }}`` filled in, as Prometheus renders it."""
    (rule,) = [r for g in GROUPS for r in g["rules"] if r.get("alert") == alert]
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)],
                  rule["annotations"]["summary"])


def promtool_tests(cases: list[Case]) -> dict[str, Any]:
    """The promtool unit-test file for ``cases``."""
    return {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "name": case.title,
                "interval": case.interval,
                "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
                "alert_rule_test": [{
                    "eval_time": case.at,
                    "alertname": case.alert,
                    "exp_alerts": [
                        {"exp_labels": labels,
                         "exp_annotations": {"summary": _summary(case.alert, labels)}}
                        for labels in case.fires
                    ],
                }],
            }
            for case in cases
        ],
    }


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def _run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rules")
    (root / "rules.yml").write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    return root


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    alerts = set(alert_names(GROUPS))
    assert {c.alert for c in CASES if c.fires} == alerts
    # Quiet cases for every alert whose threshold a healthy system sits under.
    quiet = {c.alert for c in CASES if not c.fires}
    assert alerts - quiet <= {"KafkaOfflinePartitions", "KafkaCertificateExpiresSoon",
                              "KafkaCertificateExpiresVerySoon", "NodeUnderPressure",
                              "MeshRootCertificateExpiresVerySoon"}


def test_promtool_accepts_the_rules(promtool: str, workdir: Path) -> None:
    result = _run(promtool, "check", "rules", "rules.yml", cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass(promtool: str, workdir: Path) -> None:
    (workdir / "tests.yml").write_text(yaml.safe_dump(promtool_tests(CASES), sort_keys=False))
    result = _run(promtool, "test", "rules", "tests.yml", cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_wrong_expectation_fails(promtool: str, workdir: Path) -> None:
    """The harness can fail: a quiet series expected to fire makes promtool report it."""
    wrong = Case("wrong", requests(499, 1, 30), "ServiceAvailabilityFastBurn", "20m",
                 [{**OWN, "severity": "critical"}])
    (workdir / "wrong.yml").write_text(yaml.safe_dump(promtool_tests([wrong])))
    result = _run(promtool, "test", "rules", "wrong.yml", cwd=workdir)
    assert result.returncode != 0
