"""init writes a loadable, commented marketplace.yaml; doctor checks this machine offline.

Stand-in (the fake `pulumi` and `aws` on PATH): doctor's checks of an AWS platform need AWS
credentials and an AWS CLI that cannot run here.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support.fake_pulumi.harness import install
from support.provision import Kit, kit

from marketplace_kit.config import default_platform, load_platform

__all__ = ["kit"]


@pytest.mark.parametrize("blueprint", ["dev", "production", "local"])
def test_init_writes_a_commented_file_equal_to_the_blueprint(
    tmp_path: Path, kit: Kit, blueprint: str
) -> None:
    run = kit(["init", str(tmp_path / "p"), "--blueprint", blueprint, "--name", "shop"])
    assert run.code == 0, run.err
    written = tmp_path / "p" / "marketplace.yaml"
    text = written.read_text()
    assert text.count("\n# ") > 20 and "#   network:" not in text  # comments, not noise
    platform = load_platform(written)
    expected = default_platform(blueprint).config.model_copy(update={"name": "shop"})
    assert platform.config == expected
    assert (tmp_path / "p" / "services" / ".gitkeep").is_file()


def test_init_refuses_to_overwrite_and_writes_nothing_on_bad_input(
    tmp_path: Path, kit: Kit
) -> None:
    assert kit(["init", str(tmp_path)]).code == 0
    before = (tmp_path / "marketplace.yaml").read_text()
    again = kit(["init", str(tmp_path), "--name", "other"])
    assert again.code == 2 and "already exists" in again.err
    assert (tmp_path / "marketplace.yaml").read_text() == before
    bad = kit(["init", str(tmp_path / "new"), "--name", "Not_A_Label"])
    assert bad.code == 2 and bad.err.startswith("error: ") and bad.err.count("\n") == 1
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(shutil.which("pulumi") is not None, reason="a Pulumi CLI is installed here")
def test_doctor_on_this_machine_reports_the_missing_cli_with_the_fix(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = kit(["doctor"])
    assert run.code == 1
    assert "✗ Pulumi CLI: the Pulumi CLI is not installed" in run.out
    assert "fix: curl -fsSL https://get.pulumi.com | sh" in run.out


def test_doctor_passes_with_cli_and_credentials_profile(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = install(tmp_path, monkeypatch)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.setenv("AWS_PROFILE", "platform")
    aws = fake.home / ".aws"
    aws.mkdir()
    (aws / "config").write_text("[profile platform]\nsso_session = corp\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.chdir(tmp_path)
    run = kit(["doctor", "--json"])
    assert run.code == 0, run.out
    checks = {c["name"]: c for c in json.loads(run.out)}
    assert checks["Pulumi CLI"]["status"] == "ok" and "3.272.0" in checks["Pulumi CLI"]["detail"]
    assert "profile 'platform'" in checks["AWS credentials"]["detail"]
    assert checks["AWS region"]["status"] == "warn"  # shell region differs from marketplace.yaml
    assert "generated" in checks["secrets passphrase"]["detail"]


def test_doctor_without_credentials(tmp_path: Path, kit: Kit,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, monkeypatch)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.chdir(tmp_path)
    run = kit(["doctor"])
    assert run.code == 1
    assert "✗ AWS credentials" in run.out and "fix: run `aws configure`" in run.out


def test_doctor_checks_the_kube_context_for_the_local_target(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = install(tmp_path, monkeypatch)
    assert kit(["init", str(tmp_path / "p"), "--blueprint", "local"]).code == 0
    config = str(tmp_path / "p" / "marketplace.yaml")
    missing = kit(["doctor", "-c", config])
    assert missing.code == 1 and "✗ kube context: no kubeconfig" in missing.out
    kube = fake.home / ".kube"
    kube.mkdir()
    (kube / "config").write_text(
        "apiVersion: v1\ncurrent-context: kind-dev\ncontexts:\n- name: kind-dev\n"
        "  context: {cluster: kind-dev, user: kind-dev}\n"
    )
    ok = kit(["doctor", "-c", config])
    assert ok.code == 0, ok.out
    assert "✓ kube context: kind-dev" in ok.out and "AWS" not in ok.out
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(kube / "config"), "/nonexistent"]))
    assert kit(["doctor", "-c", config]).code == 0


def test_doctor_checks_what_a_first_up_needs(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI vs SDK, plugins, the aws CLI (eks get-token), the backend, the secrets provider and
    how the API will be reached: all before ~20 minutes of cluster creation, not after."""
    fake = install(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    run = kit(["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(run.out)}
    assert checks["aws CLI"]["status"] == "ok" and checks["aws CLI"]["detail"].startswith(
        "aws-cli/2")
    assert checks["Pulumi CLI vs SDK"]["status"] == "ok"
    assert checks["provider plugins"]["status"] == "warn"  # not installed yet: up installs them
    assert "only from 203.0.113.7/32" in checks["cluster API access"]["detail"]
    (fake.bin_dir / "aws").write_text("#!/bin/sh\necho 'aws-cli/1.18.69 Python/2.7'\n")
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.200.0")  # older than the SDK
    monkeypatch.setenv("FAKE_PULUMI_BACKEND_DOWN", "1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    (tmp_path / "marketplace.yaml").write_text(
        "name: shop\ncluster:\n  endpoint_access: private\n")
    (tmp_path / "services").mkdir()
    bad = kit(["doctor", "--json", "--backend", "s3://missing-bucket",
               "--secrets-provider", "awskms://alias/marketplace"])
    assert bad.code == 1
    checks = {c["name"]: c for c in json.loads(bad.out)}
    assert checks["aws CLI"]["status"] == "fail" and "v2" in checks["aws CLI"]["detail"]
    assert checks["Pulumi CLI vs SDK"]["status"] == "warn"
    assert checks["state backend"]["status"] == "fail"
    assert "NoSuchBucket" in checks["state backend"]["detail"]
    assert checks["cluster API access"]["status"] == "warn"
    assert "inside the VPC" in checks["cluster API access"]["fix"]
    assert checks["secrets provider"]["status"] == "fail"
    assert "?region=" in checks["secrets provider"]["fix"]
