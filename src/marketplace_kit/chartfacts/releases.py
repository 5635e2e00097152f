"""The Helm releases of a plan: chart, version, namespace and the exact values (by digest)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from marketplace_kit.plan.graph import ResourceGraph

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
BLUEPRINTS = ("dev", "production", "local")


@dataclass(frozen=True)
class Release:
    """One release: its name, chart (the chart's own name), version, namespace and values."""

    name: str
    chart: str
    version: str
    namespace: str
    values: dict[str, Any]
    skip_crds: bool = False

    @property
    def digest(self) -> str:
        return values_digest(self.values)


def values_digest(values: Any) -> str:
    """A release's values, canonical JSON, SHA-256 (names the exact values a fact was made from)."""
    text = json.dumps(values or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chart_name(chart: str) -> str:
    """``oci://public.ecr.aws/karpenter/karpenter`` -> ``karpenter``."""
    return chart.rsplit("/", 1)[-1]


def releases_of(graph: ResourceGraph) -> list[Release]:
    """Every Helm release of a plan, by name."""
    found = [Release(r.name, chart_name(str(r.inputs.get("chart", ""))),
                     str(r.inputs.get("version", "")), str(r.inputs.get("namespace", "default")),
                     dict(r.inputs.get("values") or {}), bool(r.inputs.get("skipCrds")))
             for r in graph.of_type(HELM_RELEASE)]
    return sorted(found, key=lambda r: r.name)

