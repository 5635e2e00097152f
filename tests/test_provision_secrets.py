"""Secrets and state for teams and CI: an existing stack on a shared backend, a fresh checkout.

Stand-in (the fake `pulumi`): the commands run the dev blueprint's AWS program, and pulumi-aws
cannot be built here (the real engine's S3/KMS fresh checkout: tests/test_engine_s3.py).

The fake `pulumi` takes the stack's secrets manager from Pulumi.<stack>.yaml and, when that is
missing (a fresh checkout: the kit keeps it in its git-ignored directory), from the state only
with PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER, as pkg/cmd/pulumi/stack/secrets.go does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

__all__ = ["kit"]
S3 = "s3://team-state"
KMS = "awskms://alias/marketplace?region=eu-west-1"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES[:2], OUTPUTS)
    return fake


def _checkouts(tmp_path: Path) -> tuple[Path, Path]:
    """A teammate's checkout and a fresh one of the same repository (marketplace.yaml only)."""
    first = new_platform(tmp_path / "alice")
    fresh = tmp_path / "bob" / "marketplace.yaml"
    (fresh.parent / "services").mkdir(parents=True)
    shutil.copy(first, fresh)
    return first, fresh


def test_existing_s3_stack_gets_no_new_passphrase(
    fake: FakePulumi, tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, fresh = _checkouts(tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "team-secret")
    assert kit(["up", "-c", str(first), "--backend", S3, "-y"]).code == 0
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    run = kit(["up", "-c", str(fresh), "--backend", S3, "-y"])
    assert run.code == 3 and "PULUMI_CONFIG_PASSPHRASE" in run.err, run.err
    assert "generated" not in run.err
    assert not (fresh.parent / ".marketplace-kit" / "passphrase").exists()
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "team-secret")
    again = kit(["up", "-c", str(fresh), "--backend", S3, "-y"])
    assert again.code == 0 and "no changes" in again.out, again.err


def test_kms_stack_on_s3_works_from_a_fresh_checkout(
    fake: FakePulumi, tmp_path: Path, kit: Kit
) -> None:
    first, fresh = _checkouts(tmp_path)
    created = kit(["up", "-c", str(first), "--backend", S3, "--secrets-provider", KMS, "-y"])
    assert created.code == 0, created.err
    run = kit(["up", "-c", str(fresh), "--backend", S3, "-y"])  # no Pulumi.dev.yaml here
    assert run.code == 0 and "no changes" in run.out, run.err
    assert all(c["env"].get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER") == "true"
               for c in fake.calls() if c["argv"] != ["version"])
    assert not (fresh.parent / ".marketplace-kit" / "passphrase").exists()


def test_set_but_empty_passphrase_is_a_passphrase(
    fake: FakePulumi, tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = new_platform(tmp_path / "shop")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 0, run.err
    assert not (config.parent / ".marketplace-kit" / "passphrase").exists()
    assert {c["env"].get("PULUMI_CONFIG_PASSPHRASE") for c in fake.engine_calls("up")} == {""}
    assert not any("PULUMI_CONFIG_PASSPHRASE_FILE" in c["env"] for c in fake.calls())


def test_default_secrets_provider_is_a_passphrase_on_a_diy_backend(
    fake: FakePulumi, tmp_path: Path, kit: Kit
) -> None:
    config = new_platform(tmp_path / "shop")
    run = kit(["up", "-c", str(config), "--secrets-provider", "default", "-y"])
    assert run.code == 0, run.err
    passphrase = config.parent / ".marketplace-kit" / "passphrase"
    assert passphrase.is_file() and "keep a copy" in run.err
    assert {c["env"].get("PULUMI_CONFIG_PASSPHRASE_FILE") for c in fake.engine_calls("up")} == {
        str(passphrase)
    }
