"""Volume claims that charts make outside Pulumi's state, and how each goes on delete.

A chart's StatefulSet makes one PersistentVolumeClaim (an EBS volume on EKS) per replica from
its ``volumeClaimTemplates``; Kubernetes keeps those claims when the StatefulSet is deleted
unless its ``persistentVolumeClaimRetentionPolicy.whenDeleted`` is ``Delete`` (GA in 1.32).
Uninstalling the release would then leave billed volumes behind. So for every chart the kit
installs: which values make claims, and which values delete them with their StatefulSet.
Read in each chart at its pinned version (``versions.py``):

- kube-prometheus-stack 79.10.0: ``prometheusSpec``/``alertmanagerSpec.storage(Spec)`` make
  claims; their ``persistentVolumeClaimRetentionPolicy`` goes into the StatefulSets the operator
  makes (both CRDs have the field). Grafana's claim (``grafana.persistence``, chart 10.3.0) is a
  chart object without a keep policy: Helm deletes it with the release.
- loki 6.6.5: single-binary persistence is on by default; ``enableStatefulSetAutoDeletePVC``
  (default true) writes ``whenDeleted: Delete``.
- opensearch 3.6.0: persistence on by default and no retention field in its StatefulSet:
  its claims go only with the observability namespace (a Pulumi resource, deleted before the
  EBS CSI driver). opensearch-dashboards 3.6.0 and jaeger 4.11.1 make no claims.

Releases that make claims also depend directly on the cluster's ``ready`` (the EBS CSI driver
add-on and the gp3 StorageClass), so ``destroy`` deletes them, and their claims, first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ValuePath = tuple[str, ...]
# Delete the claims with their StatefulSet; keep them on scale-down (a scale-up reuses them).
DELETE_WITH_STATEFULSET = {"whenDeleted": "Delete", "whenScaled": "Retain"}


@dataclass(frozen=True)
class ChartClaims:
    """How one chart makes claims and what deletes them.

    Attributes:
        switches: Value paths that turn a volume on, with the chart's default for each.
        retention: Values that delete the StatefulSet claims with their StatefulSet (path ->
            value); empty when the chart offers none (see ``leaves_claims``).
    """

    switches: tuple[tuple[ValuePath, bool], ...]
    retention: tuple[tuple[ValuePath, Any], ...] = ()


CHARTS: dict[str, ChartClaims] = {
    "kube-prometheus-stack": ChartClaims(
        switches=(
            (("prometheus", "prometheusSpec", "storageSpec"), False),
            (("alertmanager", "alertmanagerSpec", "storage"), False),
            (("grafana", "persistence", "enabled"), False),
        ),
        retention=(
            (("prometheus", "prometheusSpec", "persistentVolumeClaimRetentionPolicy"),
             DELETE_WITH_STATEFULSET),
            (("alertmanager", "alertmanagerSpec", "persistentVolumeClaimRetentionPolicy"),
             DELETE_WITH_STATEFULSET),
        ),
    ),
    "loki": ChartClaims(
        switches=((("singleBinary", "persistence", "enabled"), True),),
        retention=((("singleBinary", "persistence", "enableStatefulSetAutoDeletePVC"), True),),
    ),
    "opensearch": ChartClaims(switches=((("persistence", "enabled"), True),)),
}
# Charts the kit installs that make no claims (checked against every plan by the tests).
WITHOUT_CLAIMS = frozenset({
    "base", "istiod", "gateway", "strimzi-kafka-operator", "metrics-server", "karpenter",
    "karpenter-crd", "prometheus-operator-crds",
    "fluent-bit", "opensearch-dashboards", "jaeger", "opentelemetry-collector",
})


def chart_name(chart: str) -> str:
    """The chart's own name from a release's ``chart`` (a name, ``repo/name`` or OCI URL)."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def _get(values: Mapping[str, Any], path: ValuePath) -> Any:
    for key in path:
        if not isinstance(values, Mapping) or key not in values:
            return None
        values = values[key]
    return values


def _set(values: dict[str, Any], path: ValuePath, value: Any) -> None:
    for key in path[:-1]:
        values = values.setdefault(key, {})
    values[path[-1]] = value


def makes_claims(chart: str, values: Mapping[str, Any] | None) -> bool:
    """Whether a release of ``chart`` with these values makes PersistentVolumeClaims."""
    found = CHARTS.get(chart_name(chart))
    if found is None:
        return False
    for path, default in found.switches:
        value = _get(values or {}, path)
        if (default if value is None else value) not in (False, {}, ""):
            return True
    return False


def retention_defaults(chart: str) -> dict[str, Any]:
    """Values that delete the chart's StatefulSet claims with their StatefulSet (callers' values
    merge over them)."""
    defaults: dict[str, Any] = {}
    found = CHARTS.get(chart_name(chart))
    for path, value in found.retention if found else ():
        _set(defaults, path, value)
    return defaults


def leaves_claims(chart: str) -> bool:
    """Whether the chart's StatefulSet claims outlive the release (no retention values)."""
    found = CHARTS.get(chart_name(chart))
    return found is not None and not found.retention
