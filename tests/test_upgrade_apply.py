"""``upgrade --apply [--step N]`` as a user runs it, against the fake `pulumi` whose program is
the kit's REAL program (run offline under the SDK mocks with the stack config the kit recorded:
support/pinned_program.py), so what each step registers is what `up` would.

The stack starts as an earlier kit left it (Kubernetes 1.33 with that minor's add-on builds,
metrics-server 3.12.0, Kafka 4.2.1), then the kit moves on (today's pins).
Stand-in: pulumi-aws cannot be built here. A hold through the real engine (the in-cluster
program) is not tested yet.
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
from support.provision import new_platform

from marketplace_kit.blueprints.deploy_inputs import UPGRADE_PINS_KEY, HeldPins
from marketplace_kit.platform import versions
from marketplace_kit.platform.pins import kit_pins

PROGRAM = Path(__file__).parent / "support" / "pinned_program.py"
EARLIER = replace(kit_pins("1.33"), kafka="4.2.1",
                  charts={**kit_pins().charts, "metrics-server": "3.12.0"})


def _stack(config: Path) -> dict[str, Any]:
    """The fake backend's record of the stack (state and config)."""
    state = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks" / "shop"
    return json.loads((state / "dev.json").read_text())


def _versions(config: Path) -> dict[str, Any]:
    """What the recorded state says runs: the versions the steps move."""
    found: dict[str, Any] = {"addons": {}, "nodes": {}}
    for r in _stack(config)["resources"]:
        inputs = r["inputs"]
        if r["type"] == "aws:eks/cluster:Cluster":
            found["kubernetes"] = inputs["version"]
        elif r["type"] == "aws:eks/nodeGroup:NodeGroup":
            found["nodes"][inputs["nodeGroupName"]] = inputs["version"]
        elif r["type"] == "aws:eks/addon:Addon":
            found["addons"][inputs["addonName"]] = inputs["addonVersion"]
        elif r["type"] == "kubernetes:helm.sh/v3:Release" and inputs["chart"] == "metrics-server":
            found["metrics-server"] = inputs["version"]
        elif r["type"] == "kubernetes:kafka.strimzi.io/v1:Kafka":
            found["kafka"] = inputs["spec"]["kafka"]["version"]
    return found


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program's specs, shared by the tests (keyed by marketplace.yaml and stack config)."""
    return tmp_path_factory.mktemp("plans")


@pytest.fixture
def upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             plans: Path) -> tuple[FakePulumi, Path]:
    """A dev platform an earlier kit deployed (its `up`), and this kit installed since."""
    fake = install(tmp_path, monkeypatch)
    config = new_platform(tmp_path / "shop")
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


def test_apply_step_by_step_to_the_pins(upgraded: tuple[FakePulumi, Path]) -> None:
    fake, config = upgraded
    before = _versions(config)
    code, out, err = _kit(config, "upgrade", "--apply", "--step", "1", "--yes")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("step 1 of 13: Kafka 4.2.1 -> 4.3.1  [kafka:version]"), out
    assert any(line.startswith("  ✓ up of stack 'dev'") and "1 updated" in line
               for line in lines), out
    assert "  now running (state re-read): Kafka 4.3.1" in lines
    assert lines[-1] == ("stopped after step 1 of 13; next: Kafka metadata version 4.2.1's "
                         "default -> 4.3 [kafka:metadata]; continue with: marketplace-kit "
                         "upgrade --apply")
    # only step 1's version moved: the rest runs as the earlier kit left it
    assert _versions(config) == {**before, "kafka": "4.3.1"}
    held = HeldPins.from_value(_stack(config)["config"][UPGRADE_PINS_KEY])
    assert held.pins == replace(EARLIER, kafka="4.3.1",
                                node_kubernetes={"on-demand": "1.33", "spot": "1.33"})
    assert held.next.startswith("2 of 13: Kafka metadata version")

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
    steps = [line for line in out.splitlines() if line.startswith("step ")]
    assert steps[0].startswith("step 1 of 11: chart metrics-server 3.12.0 -> "), steps
    assert steps[1].startswith("step 2 of 11: EKS control plane -> 1.34"), steps
    assert "  now running (state re-read): Kubernetes 1.34" in out
    assert "  now running (state re-read): node group spot 1.35" in out
    assert out.splitlines()[-1] == ("upgrade done: 11 steps; the stack runs the kit's pins "
                                    "(its held versions removed)")
    assert UPGRADE_PINS_KEY not in _stack(config)["config"]
    assert _versions(config) == {
        "kubernetes": versions.KUBERNETES, "kafka": versions.KAFKA,
        "metrics-server": versions.METRICS_SERVER.version,
        "addons": versions.EKS_ADDONS, "nodes": {"on-demand": "1.35", "spot": "1.35"}}

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
    assert "the plan has steps 1 to 13" in _refused(config, "--apply", "--step", "14", "--yes")
    assert "the plan has steps 1 to 13" in _refused(config, "--apply", "--step", "0", "--yes")
    assert "--step 2 without --apply" in _refused(config, "--step", "2")
    assert "--plan and --apply together" in _refused(config, "--plan", "--apply")
    assert "--state is for --plan" in _refused(config, "--apply", "--state", "s.json")
    assert "say what to do" in _refused(config)
