"""``upgrade --plan``: ordered steps from a recorded state to the kit's pins.

The states are today's program as recorded (the offline plan of a blueprint, exported) and the
same state as an earlier kit left it (tests/support/recorded_state.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from support.cli import run_cli
from support.recorded_state import (
    EARLIER_AMI_ALIAS,
    PREVIOUS_ADDONS,
    earlier_state,
    pinned_state,
    write_state,
)
from support.recorded_state import EARLIER_KIT as EARLIER

from marketplace_kit.estimate.data import duration_table
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import IN_PLACE, istio_revision
from marketplace_kit.platform.pins import Pins, kit_pins
from marketplace_kit.upgrade.addon_catalog import RECORDED_SOURCE
from marketplace_kit.upgrade.pinning import moves, running_pins
from marketplace_kit.upgrade.rules import plan_upgrade
from marketplace_kit.upgrade.running import read_running
from marketplace_kit.upgrade.steps import UpgradePlan
from marketplace_kit.upgrade.targets import kit_targets


def _plan(state: dict) -> UpgradePlan:
    return plan_upgrade(read_running(state["deployment"]), kit_targets(), duration_table(), "t")


def _ids(plan: UpgradePlan) -> list[str]:
    return [s.id for s in plan.steps]


def _before(ids: list[str], *chain: str) -> None:
    where = [ids.index(i) for i in chain]
    assert where == sorted(where), (chain, ids)


def _check_order_rules(plan: UpgradePlan) -> None:
    """The rules every plan keeps, whatever it starts from."""
    ids = _ids(plan)
    assert len(ids) == len(set(ids))
    eks = [i for i in ids if i.startswith("eks:")]
    minors = [int(i.split(".")[1]) for i in eks]
    assert minors == list(range(minors[0], minors[0] + len(minors))) if minors else True
    for step in eks:  # each minor's add-ons and node rolls come after it, before the next
        minor = step.split(":")[1]
        nxt = ids.index(eks[eks.index(step) + 1]) if step != eks[-1] else len(ids)
        for other in ids:
            if other.endswith(f"@{minor}"):
                assert ids.index(step) < ids.index(other) < nxt, (other, ids)
        addons = [i for i in ids if i.startswith("addon:") and i.endswith(f"@{minor}")]
        nodes = [i for i in ids if i.startswith("nodes:") and i.endswith(f"@{minor}")]
        for addon in addons:
            assert all(ids.index(addon) < ids.index(n) for n in nodes)
    for crds, controller in (("chart:karpenter-crd", "chart:karpenter"),
                             ("chart:prometheus-operator-crds", "chart:kube-prometheus-stack"),
                             ("crds:strimzi", "chart:strimzi-kafka-operator"),
                             ("chart:base", "istio:canary")):
        if crds in ids and controller in ids:
            _before(ids, crds, controller)
    present = [i for i in ("chart:strimzi-kafka-operator", "kafka:version", "kafka:metadata")
               if i in ids]
    _before(ids, *present)
    mesh = [i for i in ("istio:canary", "istio:relabel", "istio:restart", "istio:gateway",
                        "istio:remove-old") if i in ids]
    _before(ids, *mesh)
    for step in plan.steps:  # nothing stateful is ever replaced
        assert not any(word in r for r in step.replaces
                       for word in ("Cluster", "database", "Kafka", "volume", "PVC"))
        assert step.rollback and step.changes and step.duration.seconds > 0
    if "nodes:ami" in ids:  # node AMIs move after the control plane, never before it
        assert ids[-1] == "nodes:ami"


@pytest.mark.parametrize("blueprint", ["production", "dev"])
def test_a_state_at_the_pins_has_no_steps(blueprint: str) -> None:
    """Today's program, recorded: nothing to do (the readers find every pinned version)."""
    state = pinned_state(blueprint)
    running = read_running(state["deployment"])
    assert running.kubernetes == versions.KUBERNETES
    assert running.addons == versions.EKS_ADDONS
    assert _plan(state).steps == ()


def test_the_earlier_kits_state_plans_every_rule(tmp_path: Path) -> None:
    plan = _plan(earlier_state(**EARLIER))
    ids = _ids(plan)
    _check_order_rules(plan)
    assert [i for i in ids if i.startswith("eks:")] == ["eks:1.34", "eks:1.35"]
    # in-cluster controllers (which the pins run on both minors) before the control plane
    assert ids.index("istio:remove-old") < ids.index("eks:1.34")
    # Karpenter's CRD chart was not there: installed before the controller moves
    assert ids[:2] == ["chart:karpenter-crd", "chart:karpenter"]
    assert plan.steps[0].title.startswith("install chart karpenter-crd")
    # the add-ons move at 1.35 (the kit pins builds for it), not at 1.34 (it pins none: a note)
    assert {i for i in ids if i.startswith("addon:")} == {
        f"addon:{a}@1.35" for a in versions.EKS_ADDONS_BY_KUBERNETES["1.35"]}
    assert any("1.34: the add-on builds' source has none for it" in n for n in plan.notes)
    assert plan.addon_source == RECORDED_SOURCE
    # both node groups roll after each control-plane step
    assert {i for i in ids if i.startswith("nodes:")} == {
        f"nodes:{g}@{m}" for g in ("on-demand", "spot") for m in ("1.34", "1.35")} | {"nodes:ami"}
    # each roll takes the AMI release pinned for its minor, not EKS's latest
    rolls = {s.id: s for s in plan.steps if "@" in s.id and s.id.startswith("nodes:")}
    assert "AMI release 1.34.9-20260714 (v20260714)" in rolls["nodes:spot@1.34"].changes[0]
    assert "now: 1.33.0-20250701" in rolls["nodes:spot@1.34"].changes[0]
    assert "AMI release 1.35.6-20260714" in rolls["nodes:spot@1.35"].changes[0]
    assert "now: 1.34.9-20260714" in rolls["nodes:spot@1.35"].changes[0]  # the roll before's
    assert "(release 1.34.9-20260714)" in rolls["nodes:spot@1.35"].rollback
    # the node groups end at the pinned release through those rolls: the AMI step moves the alias
    ami = plan.steps[-1]
    assert ami.id == "nodes:ami" and ami.title == f"node AMIs -> release {versions.EKS_AMI_RELEASE}"
    assert ami.changes == (f"EC2NodeClass amiSelectorTerms alias al2023@latest -> "
                           f"al2023@{versions.EKS_AMI_RELEASE}: Karpenter drifts its nodes within "
                           "the NodePools' disruption budgets",)
    assert ami.rollback == "the alias back to al2023@latest"
    assert not any("AMI" in n or "al2023" in n for n in plan.notes)


def _deploys(pins: Pins, groups: tuple[str, ...]) -> dict[str, object]:
    """What the program registers from ``pins`` (two Pins may name it differently)."""
    return {"pins": replace(pins, node_kubernetes={}, node_releases={}),
            "nodes": {g: (pins.node_version(g), pins.node_release(g)) for g in groups},
            "istiods": pins.istiod_versions()}


def test_each_step_holds_the_pins_after_it() -> None:
    """The Pins `upgrade --apply` holds for each step: what runs until a step moves it; Istio's
    canary beside the in-place istiod (at the version it runs), the injection moved at the
    relabel (the restart and the gateway's revision ride on it), the old revision dropped last;
    the AMI release and Karpenter's alias only by their steps; the last step's Pins deploy what
    the kit's pins deploy."""
    plan = _plan(earlier_state(**EARLIER))
    pins = {s.id: s.pins for s in plan.steps}
    new = istio_revision(versions.ISTIO)
    first = plan.steps[0].pins
    assert first is not None and first.karpenter_ami_alias == EARLIER_AMI_ALIAS
    assert first.node_releases == dict.fromkeys(("on-demand", "spot"), "1.33.0-20250701")
    assert (first.istio_revisions, first.istio_injection, first.istio_in_place) == (
        (IN_PLACE,), IN_PLACE, "1.30.2")
    mesh = {i: (p.istio_revisions, p.istio_injection, p.istio_in_place)
            for i, p in pins.items() if p is not None and i.startswith("istio:")}
    assert mesh == {
        "istio:canary": ((IN_PLACE, new), IN_PLACE, "1.30.2"),
        **dict.fromkeys(("istio:relabel", "istio:restart", "istio:gateway"),
                        ((IN_PLACE, new), new, "1.30.2")),
        "istio:remove-old": ((new,), new, None)}
    assert pins["istio:canary"].istiod_versions() == {  # type: ignore[union-attr]
        IN_PLACE: "1.30.2", new: versions.ISTIO}
    before_ami = pins[plan.steps[-2].id]
    assert before_ami is not None and before_ami.karpenter_ami_alias == EARLIER_AMI_ALIAS
    last = plan.steps[-1].pins
    assert last is not None and plan.steps[-1].id == "nodes:ami"
    groups = ("on-demand", "spot")
    assert _deploys(last, groups) == _deploys(kit_pins(), groups)


def test_a_steps_effect_is_read_back_from_the_state() -> None:
    """What `--apply` checks after a step: the in-place state does not show the canary's istiod
    nor the relabel's injection; the state half-way through the canary shows both."""
    plan = _plan(earlier_state(istio="in-place"))
    steps = {s.id: s for s in plan.steps}
    first, relabel = steps["istio:canary"].pins, steps["istio:relabel"].pins
    assert first is not None and relabel is not None
    in_place = read_running(earlier_state(istio="in-place")["deployment"])
    half_way = read_running(earlier_state(istio="canary")["deployment"])
    new = istio_revision(versions.ISTIO)
    canary = moves(running_pins(in_place, kit_targets()), first, in_place, "istio:canary")
    assert [(m.what, m.landed) for m in canary] == [
        ("istiod revisions", False), ("namespaces' sidecar injection", True),
        ("gateway revision", True)]  # (no service Deployment in this platform's namespace)
    assert canary[0].runs == f"default (istiod {versions.ISTIO})"
    moved = moves(first, relabel, in_place, "istio:relabel")
    assert {m.what: m.runs for m in moved if not m.landed} == {
        "namespaces' sidecar injection": IN_PLACE, "gateway revision": IN_PLACE}
    assert all(m.landed for m in moves(first, relabel, half_way, "istio:relabel"))
    assert all(m.landed for m in moves(relabel, relabel, half_way, "istio:restart"))
    assert moves(first, relabel, half_way)[0].wanted == new


def test_the_cli_prints_the_ordered_steps(tmp_path: Path) -> None:
    state = write_state(tmp_path / "state.json", earlier_state(**EARLIER))
    code, out, err = run_cli(["upgrade", "--plan", "--offline", "--state", str(state)], tmp_path)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (f"upgrade plan: state file {state}: Kubernetes 1.33 -> the kit's pins "
                        f"(Kubernetes {versions.KUBERNETES})")
    assert lines[1] == f"add-on builds: {RECORDED_SOURCE} (--offline)"
    numbered = [line for line in lines if re.match(r" ?\d+\. ", line)]
    assert numbered[0].startswith(" 1. install chart karpenter-crd")
    assert "13. EKS control plane -> 1.34  [eks:1.34]" in lines
    for label in ("changes:", "replaces:", "duration: ~", "rollback:"):
        assert sum(line.startswith(f"    {label}") for line in lines) >= len(numbered)
    assert "    rollback: none: Kafka does not lower a metadata version (the point of no return " \
           "of this upgrade)" in lines
    # Kafka's metadata version is Strimzi's to move (the kit leaves it unset), and says so
    (made_by,) = [line for line in lines if line.startswith("    made by: ")]
    assert made_by.startswith(f"    made by: Strimzi, once every broker runs {versions.KAFKA}")
    assert made_by.endswith("(not by up)")
    assert lines[len(numbered) * 5 + 3].startswith(f"{len(numbered)} steps, ~")
    code, out, _ = run_cli(["upgrade", "--plan", "--offline", "--json", "--state", str(state)],
                           tmp_path)
    assert code == 0 and '"id": "istio:canary"' in out and '"made_by": "Strimzi, ' in out


@pytest.mark.parametrize(("earlier", "expected"), [
    ({"kafka": "4.2.1"}, ["kafka:version", "kafka:metadata"]),
    ({"strimzi_crds": "0.51.0"}, ["strimzi:v1-storage", "crds:strimzi"]),
    ({"strimzi_crds": "1.1.0", "charts": {"strimzi-kafka-operator": "1.1.0"}},
     ["crds:strimzi", "chart:strimzi-kafka-operator"]),
    ({"charts": {"kube-prometheus-stack": "79.0.0", "prometheus-operator-crds": "24.0.0"}},
     ["chart:prometheus-operator-crds", "chart:kube-prometheus-stack"]),
    ({"charts": {"istiod": "1.30.2", "base": "1.30.2", "gateway": "1.30.2"},
      "istio": "in-place"},
     ["chart:base", "istio:canary", "istio:relabel", "istio:restart", "istio:gateway",
      "istio:remove-old"]),
    # the kit before revisions, at today's Istio: the same canary, only the release name moves
    ({"istio": "in-place"},
     ["istio:canary", "istio:relabel", "istio:restart", "istio:gateway", "istio:remove-old"]),
    # half-way: the new revision runs and injects, the workloads moved: the old one goes
    ({"istio": "canary"}, ["istio:remove-old"]),
    # the nodes lag the control plane: they roll first, then the control plane moves (the
    # add-ons already run the 1.35 builds)
    ({"kubernetes": "1.34", "nodes": "1.33"},
     ["nodes:on-demand@1.34", "nodes:spot@1.34", "eks:1.35", "nodes:on-demand@1.35",
      "nodes:spot@1.35"]),
    ({"addons": {"coredns": "v1.12.1-eksbuild.2"}}, ["addon:coredns@1.35"]),
    # the node groups at the target minor on an older release, or Karpenter on al2023@latest:
    # one AMI step, nothing else
    ({"node_release": "1.35.4-20260505"}, ["nodes:ami"]),
    ({"ami_alias": EARLIER_AMI_ALIAS}, ["nodes:ami"]),
], ids=["kafka", "strimzi-0.x", "strimzi", "prometheus", "istio", "istio-in-place-at-the-pin",
        "istio-half-way", "lagging-nodes", "one-addon", "ami-release", "ami-alias"])
def test_order_rules_on_other_states(earlier: dict, expected: list[str]) -> None:
    plan = _plan(earlier_state(**earlier))
    _check_order_rules(plan)
    assert _ids(plan) == expected


def test_the_dev_blueprint_has_no_karpenter_and_no_kafka_steps() -> None:
    plan = _plan(earlier_state("dev", kubernetes="1.33", addons=PREVIOUS_ADDONS))
    _check_order_rules(plan)
    assert not [i for i in _ids(plan) if i.startswith(("chart:karpenter", "kafka:"))]


def _problem(tmp_path: Path, *args: str) -> str:
    code, out, err = run_cli(["upgrade", *args], tmp_path)
    assert code == 2 and out == "", (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "fix:" in lines[0], err
    return lines[0]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert "no such state file" in _problem(tmp_path, "--plan", "--state", "gone.json")
    (tmp_path / "torn.json").write_text('{"deployment": {"resources": [')
    assert "not JSON" in _problem(tmp_path, "--plan", "--state", "torn.json")
    (tmp_path / "other.json").write_text('{"name": "not a state"}')
    assert "not a stack state" in _problem(tmp_path, "--plan", "--state", "other.json")
    write_state(tmp_path / "empty.json", {"version": 3, "deployment": {"resources": []}})
    assert "nothing is deployed" in _problem(tmp_path, "--plan", "--state", "empty.json")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    assert "cannot read the state" in _problem(tmp_path, "--plan", "--state", "binary.json")
    newer = write_state(tmp_path / "newer.json", earlier_state(kubernetes="1.36"))
    assert "EKS cannot downgrade" in _problem(tmp_path, "--plan", "--state", str(newer))
    assert "--plan" in _problem(tmp_path, "--state", "gone.json")


def test_the_ami_step_rolls_node_groups_to_the_pinned_release() -> None:
    """Node groups at the target minor on an earlier release: rolled within their PDBs, with the
    time of each group's batches, and rolled back to the release they ran."""
    plan = _plan(earlier_state(node_release="1.35.4-20260505", ami_alias=EARLIER_AMI_ALIAS))
    (step,) = plan.steps
    pinned = versions.EKS_AMI_RELEASE_VERSIONS["1.35"]
    assert step.changes[:2] == (
        f"managed node group on-demand: AMI release 1.35.4-20260505 -> {pinned}; 1 node(s) at a "
        "time, drained within their PDBs",
        f"managed node group spot: AMI release 1.35.4-20260505 -> {pinned}; 1 node(s) at a time, "
        "drained within their PDBs")
    assert "alias al2023@latest -> " in step.changes[2]
    assert step.replaces == ("nodes of on-demand", "nodes of spot", "Karpenter's nodes (drifted)")
    assert step.rollback == ("node group on-demand back to release 1.35.4-20260505; node group "
                             "spot back to release 1.35.4-20260505; the alias back to "
                             "al2023@latest")
    table = duration_table()
    node = table.for_type("aws:eks/nodeGroup:NodeGroup").seconds
    launch = sum(s.duration.seconds for s in table.scale_out if s.new_node)
    assert step.duration.seconds == (3 + 2) * node + launch  # 3 + 2 nodes, one at a time


def test_the_program_pins_the_ami_release() -> None:
    """What `up` registers: each node group at the pinned release for its minor, Karpenter's
    alias at the same release (what the plan's readers then find)."""
    running = read_running(pinned_state()["deployment"])
    assert {g.release for g in running.node_groups} == {
        versions.EKS_AMI_RELEASE_VERSIONS[versions.KUBERNETES]}
    assert running.ami_alias == f"al2023@{versions.EKS_AMI_RELEASE}"
    for minor, release in versions.EKS_AMI_RELEASE_VERSIONS.items():
        assert release.startswith(f"{minor}.") and release.endswith(
            "-" + versions.EKS_AMI_RELEASE.removeprefix("v"))


def test_the_docs_example_state_plans_as_the_earlier_kit() -> None:
    """examples/upgrade/earlier-kit-state.json (tools/upgrade_example_state.py, what the how-to
    plans from) keeps every resource the plan reads: it plans the same steps as the earlier kit's
    whole recorded state."""
    example = Path(__file__).resolve().parents[1] / "examples" / "upgrade" / \
        "earlier-kit-state.json"
    recorded = json.loads(example.read_text(encoding="utf-8"))
    assert _ids(_plan(recorded)) == _ids(_plan(earlier_state(**EARLIER)))


def test_planning_from_a_state_file_loads_no_sdk_and_no_engine(tmp_path: Path) -> None:
    """`upgrade --plan --state FILE` reads a file: neither the Pulumi SDK nor the kit's engine
    path is imported (the EventBus's state contract lives apart from the component)."""
    example = Path(__file__).resolve().parents[1] / "examples" / "upgrade" / \
        "earlier-kit-state.json"
    probe = ("import sys; sys.argv = ['marketplace-kit', 'upgrade', '--plan', '--offline', "
             f"'--state', {str(example)!r}]\n"
             "from marketplace_kit.cli.app import main\n"
             "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('pulumi', 'pulumi_aws', 'pulumi_kubernetes', 'grpc') or "
             "m == 'marketplace_kit.provision.operations')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "[kafka:version]" in done.stdout, done.stderr
    assert done.stderr.rsplit("\n", 1)[-1] == "[]", done.stderr
