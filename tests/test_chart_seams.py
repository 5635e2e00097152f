"""The seams between the kit and the real charts, checked against the generated chart facts
(data/chart_facts.yaml: each chart rendered by helm with the kit's values, for every blueprint).

- every Secret/ConfigMap key a chart reads from an object the kit creates is in that object;
- every PrometheusRule, ServiceMonitor and PodMonitor the kit renders is selected by the
  Prometheus the chart renders (labels and namespaces);
- every workload the kit deploys or configures has requests, and the fit check counts the
  rendered numbers;
- ``cost`` prices every rendered volume x its replicas, or lists the release as unpriced.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.plans import full_plan

from marketplace_kit.chartfacts import facts as chart_facts
from marketplace_kit.chartfacts.releases import BLUEPRINTS, HELM_RELEASE, releases_of
from marketplace_kit.chartfacts.selectors import matches, selects_namespace
from marketplace_kit.estimate.cost import estimate
from marketplace_kit.fit.pods import pods_of, replicas_of, running, workload_requests
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.inputs import dig, gib, kind

# Objects a chart reads that neither the chart nor the kit creates, and who does.
MADE_ELSEWHERE = {
    ("ConfigMap", "kube-root-ca.crt"): "kube-controller-manager publishes it in every namespace",
    ("Secret", "kube-prometheus-stack-admission"): "the chart's admission-create hook Job",
}
MONITORING_KINDS = ("PrometheusRule", "ServiceMonitor", "PodMonitor")
_SELECTOR = {"PrometheusRule": "rule", "ServiceMonitor": "serviceMonitor",
             "PodMonitor": "podMonitor"}


def _rendered(graph: ResourceGraph) -> dict[str, dict[str, Any]]:
    """Each release of the plan -> its facts, rendered from exactly these values."""
    found = {}
    for release in releases_of(graph):
        hit = chart_facts.release(release.name, release.chart, release.version, release.values)
        assert hit is not None and hit.note is None, (
            f"release {release.name}: no facts rendered from its values; regenerate "
            "data/chart_facts.yaml with tools/chart_facts.py")
        found[release.name] = hit.facts
    return found


def _objects(graph: ResourceGraph, kinds: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(kind(r), r.inputs) for r in graph if kind(r) in kinds]


def _keys(inputs: dict[str, Any]) -> set[str]:
    return {*(inputs.get("data") or {}), *(inputs.get("stringData") or {}),
            *(inputs.get("binaryData") or {})}


def missing_keys(graph: ResourceGraph) -> list[str]:
    """Keys a chart reads that the object the kit creates lacks (or objects nobody creates)."""
    made = {(k, dig(i, "metadata", "namespace"), dig(i, "metadata", "name")): _keys(i)
            for k, i in _objects(graph, ("Secret", "ConfigMap"))}
    problems = []
    for release, rendered in _rendered(graph).items():
        for read in rendered["reads"]:
            if read["optional"] or (read["kind"], read["name"]) in MADE_ELSEWHERE:
                continue
            keys = made.get((read["kind"], read["namespace"], read["name"]))
            what = f"{read['workload']} of release {release} reads {read['kind']} {read['name']}"
            if keys is None:
                problems.append(f"{what}: nothing creates it")
            elif read["key"] is not None and read["key"] not in keys:
                problems.append(f"{what} key {read['key']}: it has only {sorted(keys)}")
    return problems


def unselected(graph: ResourceGraph) -> list[str]:
    """Rules and monitors of the plan that no rendered Prometheus selects."""
    prometheus = [p for rendered in _rendered(graph).values() for p in rendered["prometheus"]]
    assert prometheus, "no release renders a Prometheus"
    namespaces = {str(dig(i, "metadata", "name")): dig(i, "metadata", "labels") or {}
                  for _, i in _objects(graph, ("Namespace",))}
    problems = []
    for k, inputs in _objects(graph, MONITORING_KINDS):
        name, namespace = dig(inputs, "metadata", "name"), dig(inputs, "metadata", "namespace")
        labels = dig(inputs, "metadata", "labels") or {}
        prefix = _SELECTOR[k]
        if not any(matches(p[f"{prefix}Selector"], labels)
                   and selects_namespace(p[f"{prefix}NamespaceSelector"], p["namespace"],
                                         str(namespace), namespaces.get(str(namespace), {}))
                   for p in prometheus):
            problems.append(f"{k} {namespace}/{name} (labels {sorted(labels)}) is selected by "
                            f"no Prometheus: {[(p[prefix + 'Selector']) for p in prometheus]}")
    return problems


def _no_requests(containers: list[dict[str, Any]]) -> list[str]:
    return [str(c.get("name")) for c in containers
            if not (dig(c, "resources", "requests", "cpu")
                    and dig(c, "resources", "requests", "memory"))]


def without_requests(graph: ResourceGraph) -> list[str]:
    """Containers of the plan's workloads (charts' and the kit's own) without CPU and memory
    requests (init containers aside: the scheduler takes the larger of them and the rest)."""
    problems = []
    for release, rendered in _rendered(graph).items():
        for workload in running(rendered["workloads"]):
            for c in workload["containers"]:
                if not c.get("init") and not (c["requests"].get("cpu")
                                              and c["requests"].get("memory")):
                    problems.append(f"release {release}: {workload['kind']} {workload['name']} "
                                    f"container {c['name']}")
    for r in graph:
        k = kind(r)
        if k in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            spec = dig(r.inputs, "spec", "template", "spec", default={}) or {}
            problems += [f"{k} {r.name} container {c}" for c in _no_requests(
                spec.get("containers") or [])]
        elif k == "KafkaNodePool" and _no_requests([{"name": "kafka", "resources": dig(
                r.inputs, "spec", "resources")}]):
            problems.append(f"KafkaNodePool {r.name}")
        elif k == "Kafka":
            for operator in ("topicOperator", "userOperator"):
                if _no_requests([{"name": operator, "resources": dig(
                        r.inputs, "spec", "entityOperator", operator, "resources")}]):
                    problems.append(f"Kafka {r.name} entity operator {operator}")
    return problems


_EBS = re.compile(r": ([0-9.]+) x ([0-9.]+) GiB gp3$")


def unpriced_volumes(graph: ResourceGraph) -> list[str]:
    """Releases whose priced GiB differ from their rendered volumes x replicas (and that are not
    listed as unpriced)."""
    report = estimate(graph, "us-east-1")
    unpriced = {name for name, _, _ in report.unpriced}
    problems = []
    for release, rendered in _rendered(graph).items():
        expected = sum((gib(v["size"]) or 0) * replicas_of(w)
                       for w in running(rendered["workloads"]) for v in w["volumes"])
        expected += sum(gib(c["size"]) or 0 for c in rendered["claims"])
        if not expected or release in unpriced:
            continue
        priced = sum(float(m.group(1)) * float(m.group(2)) for line in report.lines
                     if line.resource == release and (m := _EBS.search(line.item)))
        if abs(priced - expected) > 1e-6:
            problems.append(f"release {release}: {expected:g} GiB rendered, {priced:g} priced")
    return problems


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_release_has_facts_rendered_from_its_exact_values(blueprint: str) -> None:
    assert _rendered(full_plan(blueprint))


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_key_a_chart_reads_is_in_the_object_the_kit_creates(blueprint: str) -> None:
    assert missing_keys(full_plan(blueprint)) == []


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_prometheus_selects_every_rule_and_monitor_the_kit_renders(blueprint: str) -> None:
    graph = full_plan(blueprint)
    assert _objects(graph, ("PrometheusRule",))
    assert unselected(graph) == []


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_workload_has_requests(blueprint: str) -> None:
    assert without_requests(full_plan(blueprint)) == []


@pytest.mark.parametrize("blueprint", ["dev", "production"])
def test_the_fit_check_counts_the_rendered_requests(blueprint: str) -> None:
    graph = full_plan(blueprint)
    pods, notes = pods_of(graph)
    assert notes == []
    for release, rendered in _rendered(graph).items():
        counted = sorted((p.cpu_m, p.memory_mib) for p in pods
                         if p.owner == f"release {release}")
        expected = sorted(workload_requests(w) for w in running(rendered["workloads"])
                          for _ in range(1 if w["replicas"] is None else replicas_of(w)))
        assert counted == expected, release
    eks = sorted((p.cpu_m, p.memory_mib) for p in pods if p.owner == "EKS")
    assert eks == sorted(workload_requests(w) for w in running(chart_facts.eks_workloads())
                         for _ in range(w["replicas"] or 1))


@pytest.mark.parametrize("blueprint", ["dev", "production"])
def test_cost_prices_every_rendered_volume_times_its_replicas(blueprint: str) -> None:
    assert unpriced_volumes(full_plan(blueprint)) == []


def test_the_reference_marketplace_services_rules_are_selected() -> None:
    """Each service's SLO rules and monitor (the reference marketplace, services in the
    platform stack) are selected too."""
    from pathlib import Path

    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import load_platform

    root = Path(__file__).resolve().parents[1] / "examples" / "marketplace"
    graph = plan_platform(load_platform(root / "marketplace.yaml"))
    rules = [i for k, i in _objects(graph, ("PrometheusRule",))]
    assert len(rules) > 1  # the platform's and the services'
    prometheus = [p for r in graph.of_type(HELM_RELEASE)
                  if (hit := chart_facts.release(r.name, str(r.inputs["chart"]).rsplit("/")[-1],
                                                 str(r.inputs["version"]),
                                                 dict(r.inputs.get("values") or {})))
                  for p in hit.facts["prometheus"]]
    assert prometheus
    for inputs in rules:
        labels = dig(inputs, "metadata", "labels") or {}
        assert any(matches(p["ruleSelector"], labels) for p in prometheus), labels


def crds_never_upgraded(graph: ResourceGraph) -> list[str]:
    """CRDs a release installs from its chart's crds/ folder: Helm installs those once and
    never upgrades them, so a version bump would leave them behind."""
    return [f"release {release}: {crd['name']}"
            for release, rendered in _rendered(graph).items()
            for crd in rendered["crds"] if crd["from"] == "crds"]


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_every_crd_a_release_installs_is_upgraded_with_it(blueprint: str) -> None:
    assert crds_never_upgraded(full_plan(blueprint)) == []
