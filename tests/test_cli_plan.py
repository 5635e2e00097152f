"""The CLI's plan and render commands: JSON contract, determinism, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from marketplace_kit.cli.app import app

RUNNER = CliRunner()
MAIN = "from marketplace_kit.cli.app import main; main()"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (main(): KitError -> one line on stderr, exit 2)."""
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def plan_json(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two `plan --format json` runs of the built-in dev blueprint (no marketplace.yaml)."""
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))  # no ./marketplace.yaml there
        for _ in range(2):
            result = RUNNER.invoke(app, ["plan", "--format", "json"])
            assert result.exit_code == 0, result.output
            outputs.append(result.stdout)
    return outputs


def test_plan_json_contract(plan_json: list[str]) -> None:
    data = json.loads(plan_json[0])
    assert set(data) == {"resources", "summary", "outputs"}
    assert data["outputs"]["platform"]["version"] == 1  # the contract service stacks read
    assert data["outputs"]["kubeconfig"] == "[secret]"
    keys = {"urn", "type", "name", "parent", "dependencies", "provider", "inputs"}
    assert all(set(r) == keys for r in data["resources"])
    urns = [r["urn"] for r in data["resources"]]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)
    known = set(urns)
    for resource in data["resources"]:
        assert resource["parent"] is None or resource["parent"] in known
        assert set(resource["dependencies"]) <= known
    summary = data["summary"]
    assert summary["resources"] == len(urns) == summary["custom"] + summary["components"]
    assert sum(summary["by_type"].values()) == len(urns)


def test_two_plan_runs_are_byte_identical(plan_json: list[str]) -> None:
    assert plan_json[0] == plan_json[1]


def test_plan_lists_the_foundation(plan_json: list[str]) -> None:
    types = json.loads(plan_json[0])["summary"]["by_type"]
    assert types["aws:ec2/vpc:Vpc"] == 1
    assert types["aws:ec2/subnet:Subnet"] == 4
    assert types["aws:ec2/natGateway:NatGateway"] == 1
    assert types["aws:eks/cluster:Cluster"] == 1
    assert types["aws:eks/nodeGroup:NodeGroup"] == 2
    assert types["aws:iam/openIdConnectProvider:OpenIdConnectProvider"] == 1
    assert types["aws:eks/addon:Addon"] == 4


def test_plan_table_without_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = RUNNER.invoke(app, ["plan"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for expected in (
        "marketplace (dev blueprint)",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/natGateway:NatGateway",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:eks/addon:Addon",
        "pulumi:providers:kubernetes",
    ):
        assert expected in result.stdout, expected


def test_render_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "manifests"
    result = RUNNER.invoke(app, ["render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wrote ") and str(out) in result.stdout
    storage = yaml.safe_load((out / "_cluster" / "storageclass-gp3.yaml").read_text())
    assert storage["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]


def test_render_refuses_a_non_empty_directory_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.yaml").write_text("mine")
    result = _cli("render", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "keep.yaml").read_text() == "mine"


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "marketplace.yaml"
    config.write_text("network:\n  azs: 5\n")
    result = _cli("plan", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "network.azs" in result.stderr


def test_help_does_not_import_pulumi(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from marketplace_kit.cli.app import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [["plan", "--bogus"], ["plan", "--format", "xml"], ["no-such-command"]],
)
def test_usage_errors_are_one_line_exit_2(argv: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-c", MAIN, *argv],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ")
    assert "Traceback" not in run.stderr and run.stdout == ""
