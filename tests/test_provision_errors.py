"""Failures users will hit: one line on stderr and an exit code per kind.

Stand-in (the fake `pulumi`): rejected AWS credentials and failing AWS resources need pulumi-aws,
which cannot be built here (the real engine's lock refusal: tests/test_engine_s3.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

__all__ = ["kit"]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES, OUTPUTS)
    return fake


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return new_platform(tmp_path / "shop")


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_no_pulumi_cli_says_how_to_install(
    config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 3
    assert "curl -fsSL https://get.pulumi.com | sh" in _one_line(run.err)
    assert not (config.parent / ".marketplace-kit").exists()  # nothing written


def test_too_old_cli(fake: FakePulumi, config: Path, kit: Kit,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.100.0")
    run = kit(["preview", "-c", str(config)])
    assert run.code == 3 and "3.100.0 is older than 3.181.0" in _one_line(run.err)


def test_no_aws_credentials_before_any_engine_run(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 3
    line = _one_line(run.err)
    assert "no AWS credentials" in line and "aws configure" in line
    assert fake.commands() == [["version"]]


def test_credentials_rejected_by_the_provider(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_FAIL", "credentials")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 3 and "AWS provider rejected them" in _one_line(run.err)


def test_locked_stack(fake: FakePulumi, config: Path, kit: Kit) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    state = config.parent / ".marketplace-kit" / "state" / ".pulumi"
    lock = state / "locks" / "organization" / "shop" / "dev"
    lock.mkdir(parents=True)
    (lock / "0b1d.json").write_text("{}")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 4
    line = _one_line(run.err)
    assert "locked by another update" in line and str(state / "locks") in line


def test_failed_resource_is_named_with_the_provider_message(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_FAIL", "resource:vpc")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 5
    line = _one_line(run.err)
    assert "vpc (aws:ec2/vpc:Vpc)" in line and "VpcLimitExceeded" in line
    assert "failed vpc" in run.err  # the live display showed it too


def test_wrong_passphrase(fake: FakePulumi, config: Path, kit: Kit,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not-the-one")
    run = kit(["outputs", "-c", str(config)])
    assert run.code == 3 and "passphrase does not decrypt" in _one_line(run.err)


def test_missing_passphrase_for_an_existing_stack_is_not_regenerated(
    fake: FakePulumi, config: Path, kit: Kit
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    passphrase = config.parent / ".marketplace-kit" / "passphrase"
    passphrase.unlink()
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 3 and "PULUMI_CONFIG_PASSPHRASE" in _one_line(run.err)
    assert not passphrase.exists()


def test_bad_options(fake: FakePulumi, config: Path, kit: Kit) -> None:
    for args in (["--stack", "a b"], ["--backend", "ftp://x"],
                 ["--secrets-provider", "rot13"]):
        run = kit(["preview", "-c", str(config), *args])
        assert run.code == 2 and args[0] in _one_line(run.err)
    assert fake.commands() == []


def test_lock_hint_for_a_remote_backend_works_outside_the_project(tmp_path: Path) -> None:
    from marketplace_kit.provision.failures import _locked
    from marketplace_kit.provision.settings import StackSettings

    s3 = StackSettings("shop", "dev", "s3://team-state", "passphrase", tmp_path)
    text = str(_locked(s3))
    assert ("PULUMI_BACKEND_URL=s3://team-state pulumi cancel --yes --stack "
            "organization/shop/dev") in text
    cloud = StackSettings("shop", "dev", "https://api.pulumi.com", "default", tmp_path)
    assert "--stack shop/dev" in str(_locked(cloud))


def test_file_backend_under_home_keeps_the_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace_kit.provision.settings import StackSettings

    monkeypatch.setenv("HOME", str(tmp_path))
    home = StackSettings("shop", "dev", "file://~/pulumi-state", "passphrase", tmp_path)
    assert home.local_state_dir == tmp_path / "pulumi-state"
    plain = StackSettings("shop", "dev", "file:///srv/state", "passphrase", tmp_path)
    assert plain.local_state_dir == Path("/srv/state")
