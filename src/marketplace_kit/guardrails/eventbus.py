"""Durable topics in production: replication factor >= 3, min.insync.replicas >= 2."""

from __future__ import annotations

from collections.abc import Iterator

from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.plan.inputs import dig

MIN_REPLICAS = 3
MIN_INSYNC = 2


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def durable_topics(ctx: CheckContext) -> Iterator[Finding]:
    """Production topics (and the broker defaults) survive a broker loss without losing writes."""
    if not ctx.production:
        return
    broker_insync = 1
    for r, m in ctx.of_kind("Kafka"):
        config = dig(m.object, "spec", "kafka", "config", default={}) or {}
        broker_insync = _int(config.get("min.insync.replicas"), 1)
        if broker_insync < MIN_INSYNC or _int(config.get("default.replication.factor"), 1) < 3:
            yield finding(r, "topic-durability",
                          "broker defaults allow under-replicated topics",
                          "set default.replication.factor: 3 and min.insync.replicas: 2")
    for r, m in ctx.of_kind("KafkaTopic"):
        spec = m.object.get("spec") or {}
        insync = _int((spec.get("config") or {}).get("min.insync.replicas"), broker_insync)
        replicas = _int(spec.get("replicas"), 0)
        if replicas < MIN_REPLICAS or insync < MIN_INSYNC:
            yield finding(r, "topic-durability",
                          f"topic has replicas={replicas}, min.insync.replicas={insync}",
                          "use 3 replicas and min.insync.replicas: 2 (3+ brokers) in production")
