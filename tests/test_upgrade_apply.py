"""``upgrade --apply [--step N]`` as a user runs it, against the fake `pulumi` whose program is
the kit's REAL program (run offline under the SDK mocks with the stack config the kit recorded:
support/pinned_program.py), so what each step registers is what `up` would.

The stack starts as an earlier kit left it (Kubernetes 1.33 with that minor's add-on builds,
metrics-server 3.12.0, Kafka 4.2.1, Istio 1.30.2 in place, node groups on an earlier AMI release
and Karpenter on ``al2023@latest``), then the kit moves on (today's pins).
Stand-in: pulumi-aws cannot be built here. The Istio steps' Pins through the real engine (the
in-cluster program against a real kube-apiserver): tests/test_engine_mesh_revision.py.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import platform_with_order

from marketplace_kit.blueprints.deploy_inputs import UPGRADE_PINS_KEY, HeldPins
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    SIDECAR_REVISION_ANNOTATION,
    injected_revision,
    istio_revision,
    release_revision,
)
from marketplace_kit.platform.pins import kit_pins

PROGRAM = Path(__file__).parent / "support" / "pinned_program.py"
GROUPS = ("on-demand", "spot")
EARLIER_RELEASE = "1.33.4-20250701"  # the AMI release EKS gave the earlier kit's node groups
EARLIER = replace(kit_pins("1.33"), kafka="4.2.1",
                  charts={**kit_pins().charts, "metrics-server": "3.12.0"},
                  node_releases=dict.fromkeys(GROUPS, EARLIER_RELEASE),
                  karpenter_ami_alias="al2023@latest",
                  istio_revisions=(IN_PLACE,), istio_injection=IN_PLACE,
                  istio_in_place="1.30.2")
PINNED = istio_revision(versions.ISTIO)


def _stack(config: Path) -> dict[str, Any]:
    """The fake backend's record of the stack (state and config)."""
    state = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks" / "shop"
    return json.loads((state / "dev.json").read_text())


def _versions(config: Path) -> dict[str, Any]:
    """What the recorded state says runs: the versions the steps move."""
    found: dict[str, Any] = {"addons": {}, "nodes": {}, "istiods": {}, "injection": {},
                             "sidecars": {}}
    for r in _stack(config)["resources"]:
        inputs, kind = r["inputs"], r["type"]
        if kind == "aws:eks/cluster:Cluster":
            found["kubernetes"] = inputs["version"]
        elif kind == "aws:eks/nodeGroup:NodeGroup":
            found["nodes"][inputs["nodeGroupName"]] = (inputs["version"],
                                                       inputs.get("releaseVersion"))
        elif kind == "aws:eks/addon:Addon":
            found["addons"][inputs["addonName"]] = inputs["addonVersion"]
        elif kind == "kubernetes:helm.sh/v3:Release" and inputs["chart"] == "istiod":
            found["istiods"][inputs["name"]] = (release_revision(inputs["values"]),
                                                inputs["version"])
        elif kind == "kubernetes:helm.sh/v3:Release" and inputs["chart"] == "gateway":
            found["gateway"] = release_revision(inputs["values"])
        elif kind == "kubernetes:helm.sh/v3:Release" and inputs["chart"] == "metrics-server":
            found["metrics-server"] = inputs["version"]
        elif kind == "kubernetes:kafka.strimzi.io/v1:Kafka":
            found["kafka"] = inputs["spec"]["kafka"]["version"]
        elif kind == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
            found["alias"] = inputs["spec"]["amiSelectorTerms"][0]["alias"]
        elif kind == "kubernetes:core/v1:Namespace":
            revision = injected_revision(inputs["metadata"].get("labels"))
            if revision is not None:
                found["injection"][inputs["metadata"]["name"]] = revision
        elif kind == "kubernetes:apps/v1:Deployment":
            found["sidecars"][inputs["metadata"]["name"]] = (
                inputs["spec"]["template"]["metadata"].get("annotations") or {}).get(
                SIDECAR_REVISION_ANNOTATION)
    return found


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program's specs, shared by the tests (keyed by marketplace.yaml and stack config)."""
    return tmp_path_factory.mktemp("plans")


@pytest.fixture
def upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             plans: Path) -> tuple[FakePulumi, Path]:
    """A dev platform an earlier kit deployed (its `up`) with the order service in its workload
    namespace, and this kit installed since."""
    fake = install(tmp_path, monkeypatch)
    config = platform_with_order(tmp_path / "shop", service_stacks=False)
    earlier = tmp_path / "earlier-pins.json"
    earlier.write_text(json.dumps(EARLIER.to_dict()))
    fake.program.write_text(json.dumps({"command": [
        sys.executable, str(PROGRAM), str(config), str(plans), str(earlier)]}))
    code, _, err = run_cli(["up", "-c", str(config), "--yes"], tmp_path)
    assert code == 0, err
    earlier.unlink()  # the kit is upgraded: its program now deploys today's pins
    assert _versions(config)["kubernetes"] == "1.33"
    return fake, config


def _kit(config: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """The kit in the platform's folder (`upgrade` with the recorded add-on table: --offline)."""
    offline = ["--offline"] if args[:1] == ("upgrade",) else []
    return run_cli([*args, *offline, "-c", str(config)], config.parent, stdin=stdin)


def _after(out: str, step_id: str) -> list[str]:
    """What --apply printed under a step (its lines up to the next step's)."""
    lines = out.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.endswith(f"  [{step_id}]")]
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")),
               len(lines))
    return lines[start + 1:end]


def test_apply_step_by_step_to_the_pins(upgraded: tuple[FakePulumi, Path]) -> None:
    fake, config = upgraded
    before = _versions(config)
    assert before["istiods"] == {"istiod": (IN_PLACE, "1.30.2")}
    assert before["injection"] == {"shop": IN_PLACE} and before["gateway"] == IN_PLACE
    assert before["sidecars"] == {"order": None} and before["alias"] == "al2023@latest"
    assert before["nodes"] == dict.fromkeys(GROUPS, ("1.33", EARLIER_RELEASE))
    # the plan, read from the stack's own state (no --state), as a user first runs it
    code, out, err = _kit(config, "upgrade", "--plan", "--offline")
    assert code == 0, err
    assert out.startswith("upgrade plan: stack 'dev' ("), out
    assert "19 steps, ~" in out and " 1. Kafka 4.2.1 -> 4.3.1  [kafka:version]" in out
    code, out, err = _kit(config, "upgrade", "--apply", "--step", "1", "--yes")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("step 1 of 19: Kafka 4.2.1 -> 4.3.1  [kafka:version]"), out
    assert any(line.startswith("  ✓ up of stack 'dev'") and "1 updated" in line
               for line in lines), out
    assert "  now running (state re-read): Kafka 4.3.1" in lines
    assert lines[-1] == ("stopped after step 1 of 19; next: Kafka metadata version 4.2.1's "
                         "default -> 4.3 [kafka:metadata]; continue with: marketplace-kit "
                         "upgrade --apply")
    # only step 1's version moved: the rest runs as the earlier kit left it
    assert _versions(config) == {**before, "kafka": "4.3.1"}
    held = HeldPins.from_value(_stack(config)["config"][UPGRADE_PINS_KEY])
    assert held.pins == replace(EARLIER, kafka="4.3.1", node_kubernetes=dict.fromkeys(GROUPS,
                                                                                       "1.33"))
    assert held.next.startswith("2 of 19: Kafka metadata version")

    # a plain `up` mid-upgrade keeps the held versions and says so in one line
    ups = len(fake.engine_calls("up"))
    code, out, err = _kit(config, "up", "--yes")
    assert code == 0 and "no changes" in out, (out, err)
    (said,) = [line for line in err.splitlines() if "middle of an upgrade" in line]
    assert said == ("warning: stack 'dev' is in the middle of an upgrade: up keeps the versions "
                    f"it holds (step {held.done} done); next: {held.next} (marketplace-kit "
                    "upgrade --apply)")
    assert len(fake.engine_calls("up")) == ups and _versions(config)["kubernetes"] == "1.33"

    # the rest, planned again from the re-read state (Kafka's metadata step left: it is unset)
    code, out, err = _kit(config, "upgrade", "--apply", "--yes")
    assert code == 0, (out, err)
    steps = [line.split(": ", 1)[0] + "  " + line.rsplit("  ", 1)[-1]
             for line in out.splitlines() if line.startswith("step ")]
    assert steps[:6] == [
        "step 1 of 17  [istio:canary]", "step 2 of 17  [istio:relabel]",
        "step 3 of 17  [istio:restart]", "step 4 of 17  [istio:gateway]",
        "step 5 of 17  [istio:remove-old]", "step 6 of 17  [chart:metrics-server]"], steps
    assert steps[-1] == "step 17 of 17  [nodes:ami]"
    # each step's effect read back from the state: the canary keeps the in-place istiod...
    canary = _after(out, "istio:canary")
    assert canary[-1] == (f"  now running (state re-read): istiod revisions {PINNED} (istiod "
                          f"{versions.ISTIO}), default (istiod 1.30.2), namespaces' sidecar "
                          "injection default, mesh Deployments' sidecar revision unset, gateway "
                          "revision default"), canary
    # ...the relabel moves the injection, and with it the gateway and the pods' template
    assert _after(out, "istio:relabel")[-1] == (
        f"  now running (state re-read): namespaces' sidecar injection {PINNED}, mesh "
        f"Deployments' sidecar revision {PINNED}, gateway revision {PINNED}")
    for riding in ("istio:restart", "istio:gateway"):  # landed in the relabel's up: no up of
        (said,) = _after(out, riding)                  # their own
        assert said.startswith("  made by the step before's up (state re-read): namespaces' "
                               f"sidecar injection {PINNED}"), said
    assert _after(out, "istio:remove-old")[-1] == (
        f"  now running (state re-read): istiod revisions {PINNED} (istiod {versions.ISTIO}), "
        f"namespaces' sidecar injection {PINNED}, mesh Deployments' sidecar revision {PINNED}, "
        f"gateway revision {PINNED}")
    assert "  now running (state re-read): Kubernetes 1.34" in out
    assert ("  now running (state re-read): node group spot 1.34, node group spot AMI release "
            f"{versions.EKS_AMI_RELEASE_VERSIONS['1.34']}") in out
    assert _after(out, "nodes:ami")[-1] == ("  now running (state re-read): Karpenter's AMI "
                                            f"alias {versions.KARPENTER_AMI_ALIAS}")
    assert out.splitlines()[-1] == ("upgrade done: 17 steps; the stack runs the kit's pins "
                                    "(its held versions removed)")
    assert UPGRADE_PINS_KEY not in _stack(config)["config"]
    pinned_nodes = (versions.KUBERNETES, versions.EKS_AMI_RELEASE_VERSIONS[versions.KUBERNETES])
    assert _versions(config) == {
        "kubernetes": versions.KUBERNETES, "kafka": versions.KAFKA,
        "metrics-server": versions.METRICS_SERVER.version,
        "addons": versions.EKS_ADDONS, "nodes": dict.fromkeys(GROUPS, pinned_nodes),
        "istiods": {f"istiod-{PINNED}": (PINNED, versions.ISTIO)}, "injection": {"shop": PINNED},
        "gateway": PINNED, "sidecars": {"order": PINNED}, "alias": versions.KARPENTER_AMI_ALIAS}

    # at the pins: nothing to apply, and `up` has nothing to change
    code, out, err = _kit(config, "upgrade", "--apply", "--yes")
    assert (code, out) == (0, "nothing to apply: stack 'dev' (file://"
                              f"{config.parent / '.marketplace-kit' / 'state'}) runs the kit's "
                              "pins\n"), err
    code, out, _ = _kit(config, "up", "--yes")
    assert code == 0 and "no changes" in out


def test_declining_a_step_changes_nothing(upgraded: tuple[FakePulumi, Path]) -> None:
    """Without --yes and without a terminal it asks, as `up` does: end of input declines."""
    fake, config = upgraded
    before, ups = _stack(config), len(fake.engine_calls("up"))
    code, out, err = _kit(config, "upgrade", "--apply", "--step", "1")
    assert code == 1 and "cancelled: nothing was changed" in out, (out, err)
    assert "Proceed?" in err and len(fake.engine_calls("up")) == ups
    after = _stack(config)
    assert after["resources"] == before["resources"]
    assert UPGRADE_PINS_KEY not in after["config"]  # what it held before: nothing


def _refused(config: Path, *args: str) -> str:
    before = _stack(config)
    code, out, err = _kit(config, "upgrade", *args)
    assert code == 2 and out == "", (code, out, err)
    (line,) = err.splitlines()
    assert line.startswith("error: ") and "fix:" in line, err
    assert _stack(config) == before  # nothing written
    return line


def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    upgraded: tuple[FakePulumi, Path]
) -> None:
    _, config = upgraded
    assert "the plan has steps 1 to 19" in _refused(config, "--apply", "--step", "20", "--yes")
    assert "the plan has steps 1 to 19" in _refused(config, "--apply", "--step", "0", "--yes")
    assert "--step 2 without --apply" in _refused(config, "--step", "2")
    assert "--plan and --apply together" in _refused(config, "--plan", "--apply")
    assert "--state is for --plan" in _refused(config, "--apply", "--state", "s.json")
    assert "say what to do" in _refused(config)
