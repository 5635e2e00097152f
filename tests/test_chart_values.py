"""Every values key the kit sets on a chart exists in that chart at its pinned tag (the recorded
``values_keys`` in data/chart_values_keys.yaml, at the version they were read)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import pytest
import yaml
from support.plans import full_plan

from marketplace_kit.platform import versions
from marketplace_kit.platform.observability import (
    dashboards_values,
    fluent_bit_values,
    jaeger_values,
    opensearch_values,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
CHARTS = [c for c in vars(versions).values() if isinstance(c, versions.Chart)]


@cache
def facts() -> dict[str, Any]:
    text = resources.files("marketplace_kit").joinpath("data", "chart_values_keys.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _leaves(values: Any, path: str = "") -> Iterator[str]:
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    else:
        yield path


def _unknown(chart: str, values: dict[str, Any]) -> list[str]:
    keys = facts()["charts"][chart]["values_keys"]
    return [leaf for leaf in _leaves(values)
            if not any(leaf == k or leaf.startswith(k + ".") for k in keys)]


def test_the_recorded_keys_were_read_at_the_pinned_versions() -> None:
    pins = {chart.name: chart.version for chart in CHARTS}
    for chart, entry in facts()["charts"].items():
        assert str(entry["version"]) == pins[chart], chart


@pytest.mark.parametrize("blueprint", ["dev", "production", "local"])
def test_the_kit_sets_only_keys_the_charts_have(blueprint: str) -> None:
    checked = 0
    for release in full_plan(blueprint).of_type(RELEASE):
        chart = str(release.inputs["chart"]).rsplit("/", 1)[-1]
        if "values_keys" in facts()["charts"].get(chart, {}):
            assert _unknown(chart, release.inputs.get("values") or {}) == [], chart
            checked += 1
    assert checked >= 2


def test_the_key_check_catches_a_key_the_chart_does_not_have() -> None:
    for chart, values in [("opensearch", opensearch_values(3)),
                          ("opensearch-dashboards", dashboards_values()),
                          ("jaeger", jaeger_values(3)), ("jaeger", jaeger_values(0)),
                          ("fluent-bit", fluent_bit_values("opensearch"))]:
        assert _unknown(chart, values) == [], chart
    # The Elastic chart's key and Jaeger v1's (3.x) keys are not keys of the new charts.
    assert _unknown("opensearch", {"minimumMasterNodes": 2}) == ["minimumMasterNodes"]
    assert _unknown("jaeger", {"allInOne": {"enabled": True}}) == ["allInOne.enabled"]
    # istiod's values are top-level since 1.24: the chart ignores pilot.autoscaleMin.
    assert _unknown("istiod", {"pilot": {"autoscaleMin": 1}}) == ["pilot.autoscaleMin"]
    assert _unknown("gateway", {"service": {"ports": [], "nodePorts": {}}}) == ["service.nodePorts"]
