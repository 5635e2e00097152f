"""The add-on builds of ``upgrade --plan``: AWS's DescribeAddonVersions when credentials exist,
the recorded table otherwise, and the plan's second line says which.

AWS is played by botocore's Stubber on a real EKS client: there is no AWS account here, and
moto's EKS (5.2.6, the real part) serves no DescribeAddonVersions (its routes stop at clusters,
node groups and Fargate profiles). The Stubber checks every request's parameters and every
answer against botocore's EKS service model, so the answers below have AWS's real shape (the
build numbers are this test's own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from support.cli import run_cli
from support.recorded_state import EARLIER_AMI_ALIAS, earlier_state, write_state

from marketplace_kit.estimate.data import duration_table
from marketplace_kit.platform import versions
from marketplace_kit.upgrade import addon_catalog
from marketplace_kit.upgrade.addon_catalog import (
    AWS_SOURCE,
    RECORDED_SOURCE,
)
from marketplace_kit.upgrade.addon_catalog import (
    addon_catalog as catalog_for,
)
from marketplace_kit.upgrade.rules import plan_upgrade
from marketplace_kit.upgrade.running import read_running
from marketplace_kit.upgrade.targets import kit_targets

ADDONS = sorted(versions.EKS_ADDONS)
PINNED = versions.EKS_ADDONS_BY_KUBERNETES["1.35"]
# 1.34 (no builds recorded): two builds each, the older AWS's default; 1.35: the pinned build
# and a newer one.
BUILDS_134 = {"vpc-cni": ("v1.20.1-eksbuild.1", "v1.20.4-eksbuild.2"),
              "coredns": ("v1.12.3-eksbuild.1", "v1.12.4-eksbuild.10"),
              "kube-proxy": ("v1.34.0-eksbuild.2", "v1.34.3-eksbuild.1"),
              "aws-ebs-csi-driver": ("v1.48.0-eksbuild.2", "v1.50.1-eksbuild.1")}


def _answer(addon: str, minor: str, builds: dict[str, bool]) -> dict[str, Any]:
    """DescribeAddonVersions' answer for one add-on: ``builds``: build -> AWS's default."""
    return {"addons": [{
        "addonName": addon, "type": "networking", "publisher": "eks", "owner": "aws",
        "addonVersions": [{
            "addonVersion": build, "architecture": ["amd64", "arm64"],
            "compatibilities": [{"clusterVersion": minor, "platformVersions": ["*"],
                                 "defaultVersion": default}],
            "requiresConfiguration": False,
        } for build, default in builds.items()],
    }]}


def _client() -> Any:
    return botocore.session.get_session().create_client(
        "eks", region_name="eu-west-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="x")


def _aws(minors: list[str], *, newer_135: bool = True) -> tuple[Any, Stubber]:
    """A stubbed EKS client answering, in the order the catalog asks (minor, then add-on)."""
    client = _client()
    stub = Stubber(client)
    for minor in minors:
        for addon in ADDONS:
            if minor == "1.34":
                old, new = BUILDS_134[addon]
                builds = {new: False, old: True}
            else:
                builds = {PINNED[addon]: True}
                if newer_135:
                    builds["v9.9.9-eksbuild.1"] = False
            stub.add_response("describe_addon_versions", _answer(addon, minor, builds),
                              {"addonName": addon, "kubernetesVersion": minor})
    stub.activate()
    return client, stub


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No credentials of this machine reach the tests (and no instance metadata is asked)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield


def test_aws_gives_the_newest_compatible_build_of_each_minor() -> None:
    client, stub = _aws(["1.34", "1.35"])
    catalog = catalog_for("eu-west-1", ADDONS, ["1.34", "1.35"], client_for=lambda _: client)
    stub.assert_no_pending_responses()
    assert catalog.source == AWS_SOURCE.format(region="eu-west-1")
    assert catalog.builds["1.34"] == {a: new for a, (_, new) in BUILDS_134.items()}
    assert catalog.defaults["1.34"] == frozenset()  # the newest is not AWS's default
    assert catalog.builds["1.35"] == dict.fromkeys(ADDONS, "v9.9.9-eksbuild.1")
    # the plan: 1.34 gets AWS's builds (none recorded), 1.35 keeps the kit's pins (what `up`
    # registers), checked against AWS's list
    targets = kit_targets("1.35", catalog)
    assert targets.addon_builds["1.34"] == catalog.builds["1.34"]
    assert targets.addon_builds["1.35"] == PINNED
    assert targets.notes == ()
    state = earlier_state(kubernetes="1.33", addons=versions.EKS_ADDONS_BY_KUBERNETES["1.33"],
                          ami_alias=EARLIER_AMI_ALIAS)
    plan = plan_upgrade(read_running(state["deployment"]), targets, duration_table(), "t")
    ids = [s.id for s in plan.steps]
    assert {i for i in ids if i.startswith("addon:")} == {
        f"addon:{a}@{m}" for a in ADDONS for m in ("1.34", "1.35")}
    step = plan.steps[ids.index("addon:coredns@1.34")]
    assert step.title == "add-on coredns v1.12.1-eksbuild.2 -> v1.12.4-eksbuild.10"
    assert not any("1.34" in n for n in plan.notes)  # no "no builds for 1.34" note any more
    assert plan.addon_source == catalog.source


def test_aws_default_builds_are_marked() -> None:
    client = _client()
    stub = Stubber(client)
    for addon in ADDONS:
        old, new = BUILDS_134[addon]
        stub.add_response("describe_addon_versions",
                          _answer(addon, "1.34", {old: False, new: addon == "coredns"}),
                          {"addonName": addon, "kubernetesVersion": "1.34"})
    stub.activate()
    catalog = catalog_for("eu-west-1", ADDONS, ["1.34"], client_for=lambda _: client)
    assert catalog.defaults["1.34"] == frozenset({"coredns"})
    state = earlier_state(kubernetes="1.33", addons=versions.EKS_ADDONS_BY_KUBERNETES["1.33"])
    plan = plan_upgrade(read_running(state["deployment"]), kit_targets("1.35", catalog),
                        duration_table(), "t")
    changes = {s.id: s.changes[0] for s in plan.steps}
    assert changes["addon:coredns@1.34"].endswith("(the build for 1.34, AWS's default)")
    assert changes["addon:vpc-cni@1.34"].endswith("(the build for 1.34)")


def test_a_pin_aws_does_not_list_for_its_minor_is_noted() -> None:
    client = _client()
    stub = Stubber(client)
    for addon in ADDONS:
        builds = {"v1.0.0-eksbuild.1": True} if addon == "vpc-cni" else {PINNED[addon]: True}
        stub.add_response("describe_addon_versions", _answer(addon, "1.35", builds),
                          {"addonName": addon, "kubernetesVersion": "1.35"})
    stub.activate()
    targets = kit_targets("1.35", catalog_for("eu-west-1", ADDONS, ["1.35"],
                                              client_for=lambda _: client))
    assert targets.addon_builds["1.35"] == PINNED
    assert targets.notes == (
        f"AWS lists {PINNED['vpc-cni']} of vpc-cni as not compatible with Kubernetes 1.35 (it "
        "lists v1.0.0-eksbuild.1 and 0 more): the kit's pin stays, check it before `up`",)


def test_any_aws_error_falls_back_to_the_recorded_table_in_one_line() -> None:
    client = _client()
    stub = Stubber(client)
    stub.add_client_error("describe_addon_versions", service_error_code="AccessDeniedException",
                          service_message="User is not authorized to perform: "
                          "eks:DescribeAddonVersions", http_status_code=403)
    stub.activate()
    catalog = catalog_for("eu-west-1", ADDONS, ["1.34"], client_for=lambda _: client)
    assert catalog.builds == versions.EKS_ADDONS_BY_KUBERNETES
    assert catalog.source == (
        f"{RECORDED_SOURCE} (AWS failed: An error occurred (AccessDeniedException) when calling "
        "the DescribeAddonVersions operation: User is not authorized to perform: "
        "eks:DescribeAddonVersions)")
    assert not catalog.from_aws


def test_credentials_come_from_botocore_s_default_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = catalog_for("eu-west-1", ADDONS, ["1.34"])
    assert catalog.source == f"{RECORDED_SOURCE} (no AWS credentials (botocore's default chain " \
                             "found none))"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    client = addon_catalog._eks_client("eu-west-1")  # made, not called
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.service_model.service_name == "eks"


def _plan_lines(tmp_path: Path, *extra: str) -> list[str]:
    state = write_state(tmp_path / "state.json", earlier_state(
        kubernetes="1.33", addons=versions.EKS_ADDONS_BY_KUBERNETES["1.33"]))
    code, out, err = run_cli(["upgrade", "--plan", "--state", str(state), *extra], tmp_path)
    assert (code, err) == (0, ""), (code, err)
    return out.splitlines()


def test_the_plan_says_which_source_it_used(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _plan_lines(tmp_path, "--offline")
    assert lines[1] == f"add-on builds: {RECORDED_SOURCE} (--offline)"
    assert any("1.34: the add-on builds' source has none for it" in line for line in lines)
    lines = _plan_lines(tmp_path)
    assert lines[1] == (f"add-on builds: {RECORDED_SOURCE} (no AWS credentials (botocore's "
                        "default chain found none))")
    # with credentials: AWS's builds, asked in the config's region for every minor on the path
    client, stub = _aws(["1.34", "1.35"])
    monkeypatch.setattr(addon_catalog, "_eks_client", lambda region: client)
    lines = _plan_lines(tmp_path)
    stub.assert_no_pending_responses()
    assert lines[1] == f"add-on builds: {AWS_SOURCE.format(region='us-east-1')}"
    assert "add-on kube-proxy v1.33.0-eksbuild.2 -> v1.34.3-eksbuild.1  [addon:kube-proxy@1.34]" \
        in [line.split(". ", 1)[-1] for line in lines]
    # --offline never asks AWS, credentials or not
    monkeypatch.setattr(addon_catalog, "_eks_client", lambda region: pytest.fail("asked AWS"))
    assert _plan_lines(tmp_path, "--offline")[1].endswith("(--offline)")
