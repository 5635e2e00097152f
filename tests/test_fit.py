"""The fit check: every blueprint's pods placed on its node groups, the charts' pods counted from
the generated chart facts; nodes too small for them name the pod that fails."""

from __future__ import annotations

from support.plans import full_plan

from marketplace_kit.fit import fit
from marketplace_kit.fit.nodes import allocatable, reserved_cpu_m
from marketplace_kit.fit.pods import pods_of
from marketplace_kit.fit.quantity import mebibytes, millicores
from marketplace_kit.guardrails import RULES, run_checks
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import istio_revision, istiod_release

RULE = [r for r in RULES if r.id == "pods-fit"]
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_quantities_and_allocatable() -> None:
    assert (millicores("500m"), millicores("1"), millicores(None)) == (500, 1000, 0)
    assert (mebibytes("2Gi"), mebibytes("384Mi"), mebibytes("1G")) == (2048, 384, 954)
    assert reserved_cpu_m(2) == 70 and reserved_cpu_m(4) == 80
    node = allocatable("t3.large", "g")
    assert node is not None
    assert (node.cpu_m, node.memory_mib, node.max_pods) == (1930, 8192 - 255 - 11 * 35 - 100, 35)


def _with_nodes(graph: ResourceGraph, instance_type: str) -> ResourceGraph:
    """The plan with every node group on one instance type."""
    changed = []
    for r in graph:
        if r.type == "aws:eks/nodeGroup:NodeGroup":
            r = PlannedResource(**{**r.__dict__, "inputs": {**r.inputs,
                                                            "instanceTypes": [instance_type]}})
        changed.append(r)
    return ResourceGraph(changed)


def test_check_names_the_pod_that_cannot_fit_and_why() -> None:
    report = run_checks(_with_nodes(full_plan("dev"), "t3.small"), rules=RULE)
    messages = [f.message for f in report.findings]
    # istiod's chart requests 2048Mi: more than a t3.small (2 GiB) has allocatable.
    istiod = istiod_release(istio_revision(versions.ISTIO))
    assert any(m.startswith(f"pod {istiod}-0 would stay Pending: requests 2048Mi memory")
               for m in messages), messages
    assert all(f.rule == "pods-fit" for f in report.findings)


def test_a_release_with_values_no_blueprint_rendered_is_counted_with_a_note() -> None:
    changed = []
    for r in full_plan("dev"):
        if r.type == RELEASE and r.name == "loki":
            values = {**r.inputs["values"], "extra": True}
            r = PlannedResource(**{**r.__dict__, "inputs": {**r.inputs, "values": values}})
        changed.append(r)
    pods, notes = pods_of(ResourceGraph(changed))
    assert any(p.owner == "release loki" for p in pods)
    assert any("release loki: its values differ" in n for n in notes), notes


def test_every_blueprint_fits_its_nodes() -> None:
    for blueprint in ("dev", "production"):
        report = fit(full_plan(blueprint))
        assert report.pending == [], (blueprint, [(p.pod.name, p.reason) for p in report.pending])
        assert report.placed > 30
        assert report.notes == [], report.notes
    assert run_checks(full_plan("dev"), rules=RULE).findings == []


def test_local_is_not_sized() -> None:
    report = run_checks(full_plan("local"), rules=RULE)
    assert report.findings == [] and any("not checked" in n for n in report.notes)


def test_the_reference_marketplace_fits_dev_and_production() -> None:
    from support.incluster import marketplace

    from marketplace_kit.blueprints.program import plan_platform

    for blueprint in ("dev", "production"):
        report = fit(plan_platform(marketplace(blueprint)))
        assert report.pending == [], (blueprint, [(p.pod.name, p.reason) for p in report.pending])


def test_retention_lives_on_volumes_and_replicated_pods_get_budgets() -> None:
    dev = full_plan("dev").named("kube-prometheus-stack", RELEASE).inputs["values"]
    spec = dev["prometheus"]["prometheusSpec"]
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "30Gi"  # 15 days x 2 GiB
    assert dev["alertmanager"]["alertmanagerSpec"]["storage"]
    assert dev["grafana"]["persistence"] == {"enabled": True, "size": "5Gi"}
    assert dev["prometheus"]["podDisruptionBudget"]["enabled"] is False  # one replica
    prod = full_plan("production").named("kube-prometheus-stack", RELEASE).inputs["values"]
    assert prod["prometheus"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert prod["alertmanager"]["podDisruptionBudget"]["enabled"] is True
