"""`up` on AWS in stages, against the REAL program's resources (its offline plan) in the fake.

Stage one is a targeted up of the network and cluster; then the kit calls the new API the way
the Kubernetes provider will (a token from `aws eks get-token`, GET /readyz over TLS against
the cluster CA: here a real TLS server with an openssl-made CA); only then the full up.

Stand-in (the fake `pulumi`): EKS and `aws eks get-token` cannot run here; the staged run
through the real engine, with stand-in cloud resources: tests/test_engine_staged.py.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.fake_pulumi import fake_api
from support.fake_pulumi.harness import DEPLOYER_CIDR, FakePulumi, install
from support.provision import Kit, kit, new_platform

from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.config import load_platform
from marketplace_kit.plan import plan_program

__all__ = ["kit"]
EKS = "aws:eks/cluster:Cluster"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[fake_api.FakeApi]:
    server = fake_api.start(tmp_path)
    yield server
    server.stop()


def _as_the_real_caller(urn: str) -> str:
    """The creator's access entry is named after a hash of the caller's ARN: the mocks' caller
    is not the one of a real run, so the real run registers another name."""
    return re.sub(r"-admin-[0-9a-f]{8}", "-admin-0a1b2c3d", urn)


def _real_program(config: Path, api: fake_api.FakeApi) -> list[dict[str, Any]]:
    """The resources `up` registers for this marketplace.yaml (stack dev), as the fake's program,
    with the caller-derived names of a real caller; the EKS cluster's outputs point at the
    stand-in API."""
    platform = load_platform(config)
    graph = plan_program(platform_program(platform, DeployInputs(deployer_cidr=DEPLOYER_CIDR)),
                         project="shop", stack="dev", region="eu-west-1")
    items = []
    for r in graph:
        item: dict[str, Any] = {"urn": _as_the_real_caller(r.urn), "type": r.type,
                                "parent": _as_the_real_caller(r.parent or "") or None,
                                "dependencies": [_as_the_real_caller(d) for d in r.dependencies],
                                "custom": r.custom,
                                "provider": _as_the_real_caller(r.provider or ""), "inputs": {}}
        if r.type == EKS:
            item["outputs"] = {
                "name": r.inputs["name"], "endpoint": api.url,
                "certificateAuthority": {"data": api.ca_data},
                "vpcConfig": {"endpointPublicAccess": True,
                              "publicAccessCidrs": r.inputs["vpcConfig"]["publicAccessCidrs"]},
            }
        items.append(item)
    return items


@pytest.fixture
def staged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           api: fake_api.FakeApi) -> tuple[FakePulumi, Path]:
    fake = install(tmp_path, monkeypatch)
    config = new_platform(tmp_path / "shop")
    fake.set_program(_real_program(config, api))
    return fake, config


def _targets(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "--target"]


def test_foundation_then_api_check_then_in_cluster(
    staged: tuple[FakePulumi, Path], api: fake_api.FakeApi, kit: Kit
) -> None:
    fake, config = staged
    run = kit(["up", "-c", str(config), "-y", "--json"])
    assert run.code == 0, run.err
    first, second = (c["argv"] for c in fake.engine_calls("up"))
    targets = _targets(first)
    # the targets are what this run registers (its preview), not the offline plan's names
    registered = {r["urn"] for r in json.loads(fake.program.read_text())["resources"]}
    assert set(targets) <= registered
    assert any("-admin-0a1b2c3d" in t for t in targets)
    assert any(t.endswith("::shop-eks") for t in targets)  # the cluster and the network
    assert any("aws:ec2/vpc:Vpc" in t for t in targets)
    assert not [t for t in targets if "kubernetes:" in t.rsplit("::", 2)[-2]]  # nothing in-cluster
    assert not _targets(second)  # then everything
    assert [p["name"] for p in run.json()["phases"]] == ["foundation", "up"]
    assert "up (network and cluster)" not in run.err  # --json: no live display
    assert api.seen == ["/readyz"]  # the API was called between the stages, with a token
    calls = fake.aws_calls()
    assert calls[0][:5] == ["eks", "get-token", "--cluster-name", "shop-dev", "--region"]
    # EKS owns its log group; the kit gives it the configured retention (30 days)
    assert ["logs", "put-retention-policy", "--log-group-name", "/aws/eks/shop-dev/cluster",
            "--region", "eu-west-1", "--retention-in-days", "30"] in calls
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks" / "shop"
    assert (stacks / "dev.json").is_file()


def test_an_api_refusing_this_identity_stops_before_anything_in_cluster(
    staged: tuple[FakePulumi, Path], api: fake_api.FakeApi, kit: Kit
) -> None:
    fake, config = staged
    api.status = 403
    run = kit(["up", "-c", str(config), "-y"])
    last = run.err.splitlines()[-1]
    assert run.code == 5 and last.startswith("error: the cluster API https://127.0.0.1:"), run.err
    assert "rejected this machine's AWS identity (HTTP 403)" in run.err and "fix:" in run.err
    assert "nothing in-cluster was created" in run.err
    assert len(fake.engine_calls("up")) == 1  # the foundation only


def test_an_unreachable_api_names_the_address_it_admits(
    staged: tuple[FakePulumi, Path], api: fake_api.FakeApi, kit: Kit
) -> None:
    fake, config = staged
    api.stop()
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 5 and "is not reachable from this machine" in run.err, run.err
    assert f"admits only {DEPLOYER_CIDR}" in run.err
    assert len(fake.engine_calls("up")) == 1


def test_without_the_aws_cli_up_stops_with_the_install_fix(
    staged: tuple[FakePulumi, Path], kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, config = staged
    (fake.bin_dir / "aws").unlink()
    monkeypatch.setenv("PATH", str(fake.bin_dir))  # no other `aws` either
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 3 and "no `aws` on PATH" in run.err and "AWS CLI v2" in run.err
    assert not fake.engine_calls("preview")  # before anything is created, not 20 minutes in


def test_confirmation_works_without_click(
    staged: tuple[FakePulumi, Path], kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typer 0.29 no longer depends on click: `import click` must not be needed to ask."""
    fake, config = staged
    monkeypatch.setitem(sys.modules, "click", None)  # `import click` raises ImportError
    run = kit(["up", "-c", str(config)], stdin="n\n")
    assert run.code == 1 and "cancelled: nothing was changed" in run.out, run.err
    assert not fake.engine_calls("up")


def test_destroy_from_a_new_address_admits_it_then_checks_the_api_first(
    staged: tuple[FakePulumi, Path], api: fake_api.FakeApi, kit: Kit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """endpoint_access: deployer, and the machine that destroys is not the one that ran up:
    a targeted update of the cluster alone records its address, then /readyz, then destroy."""
    fake, config = staged
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    api.seen.clear()
    before = len(fake.engine_calls("up"))
    monkeypatch.setenv("MARKETPLACE_KIT_DEPLOYER_CIDR", "198.51.100.23/32")
    run = kit(["destroy", "-c", str(config), "-y"])
    assert run.code == 0, run.err
    admit = fake.engine_calls("up")[before:]
    assert len(admit) == 1 and [t.rsplit("::", 1)[-1] for t in _targets(admit[0]["argv"])] == [
        "shop-eks"]
    calls = fake.calls()
    assert calls.index(admit[0]) < calls.index(fake.engine_calls("destroy")[0])
    # /readyz once, before anything was deleted; the EBS volumes listed after the release phase
    assert api.seen == ["/readyz", "/api/v1/persistentvolumes"]
    destroys = fake.engine_calls("destroy")
    assert len(destroys) == 2  # the release phase, then the rest (the CSI driver among it)
    recorded = [c for c in fake.commands() if c[:2] == ["config", "set-all"]]
    assert "marketplace-kit:deployerCidr=198.51.100.23/32" in recorded[-1], recorded


def test_refresh_stops_before_reading_when_the_api_refuses_this_identity(
    staged: tuple[FakePulumi, Path], api: fake_api.FakeApi, kit: Kit,
) -> None:
    fake, config = staged
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    api.status = 403
    run = kit(["refresh", "-c", str(config), "-y"])
    assert run.code == 5 and run.err.splitlines()[-1].startswith("error: the cluster API")
    assert "refresh changed nothing in the cluster" in run.err
    assert not fake.engine_calls("refresh")
    assert not fake.engine_calls("up")[2:]  # no address to admit: it is the recorded one
