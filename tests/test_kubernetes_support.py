"""Kubernetes 1.35 pinned, the EKS support calendar, `check` warnings/failures, `cost` rates."""

from __future__ import annotations

from datetime import date

import pytest
from support.plans import foundation, plan_foundation, platform_from

from marketplace_kit.estimate.cost import estimate
from marketplace_kit.guardrails import RULES, run_checks
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import versions

RULE = [r for r in RULES if r.id == "kubernetes-support"]
TODAY = date(2026, 11, 28)


def _graph(version: str, extended: bool = False) -> ResourceGraph:
    cluster = {"kubernetes_version": version, "extended_support": extended}
    return plan_foundation(platform_from({"blueprint": "dev", "cluster": cluster})).graph


def _messages(graph: ResourceGraph, day: date) -> tuple[list[str], list[str]]:
    report = run_checks(graph, rules=RULE, today=day)
    return [f.message for f in report.findings], report.notes


def test_the_pin_is_in_standard_support_with_add_ons_for_it() -> None:
    assert versions.KUBERNETES == "1.35"
    assert versions.EKS_CALENDAR["1.35"].standard_end == date(2027, 3, 27)
    assert versions.EKS_CALENDAR["1.33"].standard_end == date(2026, 7, 29)
    assert versions.EKS_CALENDAR["1.34"].standard_end == date(2026, 12, 2)
    assert versions.EKS_ADDONS["kube-proxy"].startswith("v1.35.")
    (eks,) = foundation("dev").graph.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["version"] == "1.35"
    assert eks.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"]
              for a in foundation("dev").graph.of_type("aws:eks/addon:Addon")}
    assert addons == versions.EKS_ADDONS


def test_check_is_quiet_in_standard_support_and_warns_60_days_before_its_end() -> None:
    graph = foundation("dev").graph
    assert _messages(graph, TODAY) == ([], [])
    findings, notes = _messages(graph, date(2027, 2, 1))
    assert findings == [] and len(notes) == 1
    assert "warning" in notes[0] and "2027-03-27 (54 days)" in notes[0]


def test_check_fails_after_standard_support_unless_extended_is_chosen() -> None:
    findings, _ = _messages(foundation("dev").graph, date(2027, 4, 1))
    assert findings == ["Kubernetes 1.35 left EKS standard support on 2027-03-27 (extended "
                        "support costs $0.60/h, not $0.10/h)"]
    findings, _ = _messages(_graph("1.33"), TODAY)
    assert "left EKS standard support on 2026-07-29" in findings[0]
    opted = _graph("1.33", extended=True)
    findings, notes = _messages(opted, TODAY)
    assert findings == [] and "extended support until 2027-07-29" in notes[0]
    findings, _ = _messages(opted, date(2027, 8, 1))
    assert findings == ["Kubernetes 1.33 left EKS extended support on 2027-07-29"]
    assert versions.EKS_ADDONS_BY_KUBERNETES["1.33"]["kube-proxy"].startswith("v1.33.")
    assert set(versions.KUBERNETES_SUPPORTED) <= set(versions.EKS_CALENDAR)


@pytest.mark.parametrize(("version", "extended", "rate"), [("1.35", False, 0.10),
                                                            ("1.33", True, 0.60)])
def test_cost_prices_extended_support(version: str, extended: bool, rate: float) -> None:
    report = estimate(_graph(version, extended), "us-east-1", today=TODAY)
    (line,) = [x for x in report.lines if x.type == "aws:eks/cluster:Cluster"]
    assert line.monthly_usd == pytest.approx(rate * 730)
    assert ("extended support" in line.item) is (rate > 0.1)


def test_the_warning_starts_exactly_60_days_before_the_end() -> None:
    from datetime import timedelta

    graph = foundation("dev").graph
    end = versions.EKS_CALENDAR[versions.KUBERNETES].standard_end
    assert _messages(graph, end - timedelta(days=61)) == ([], [])
    findings, notes = _messages(graph, end - timedelta(days=60))
    assert findings == [] and "(60 days)" in notes[0]
    findings, notes = _messages(graph, end)  # the last day of standard support: still a warning
    assert findings == [] and "(0 days)" in notes[0]
    assert _messages(graph, end + timedelta(days=1))[0]  # the day after: a failure
