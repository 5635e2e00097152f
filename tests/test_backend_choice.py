"""Where a stack's state lives: --backend, else PULUMI_BACKEND_URL (the CLI's own variable),
else a file backend beside marketplace.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.provision import Kit, kit, new_platform

from marketplace_kit.config import load_platform
from marketplace_kit.errors import KitError
from marketplace_kit.provision.ci_backend import refuse_file_backend_in_ci
from marketplace_kit.provision.settings import resolve_settings

__all__ = ["kit"]


def test_the_environment_backend_is_taken_below_the_option(tmp_path: Path) -> None:
    platform = load_platform(new_platform(tmp_path / "shop"))
    env = {"PULUMI_BACKEND_URL": "s3://team-state?region=eu-west-1"}
    assert resolve_settings(platform, environ=env).backend_url == env["PULUMI_BACKEND_URL"]
    assert resolve_settings(platform, backend="file:///x", environ=env).backend_url == "file:///x"
    default = resolve_settings(platform, environ={}).backend_url
    assert default == f"file://{tmp_path / 'shop' / '.marketplace-kit' / 'state'}"


def test_ci_takes_the_environment_backend_as_given() -> None:
    refuse_file_backend_in_ci(None, {"CI": "true", "PULUMI_BACKEND_URL": "s3://team-state"})
    with pytest.raises(KitError, match="nor PULUMI_BACKEND_URL"):
        refuse_file_backend_in_ci(None, {"CI": "true"})


def test_a_bad_environment_backend_is_one_error_line(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = new_platform(tmp_path / "shop")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "ftp://nowhere")
    for command in (["preview"], ["up", "-y"], ["destroy", "-y"], ["refresh", "-y"], ["outputs"]):
        run = kit([*command, "-c", str(config)])
        assert run.code == 2, (command, run.err)
        assert run.err.splitlines() == [
            "error: PULUMI_BACKEND_URL: 'ftp://nowhere' is not a Pulumi backend URL; fix: use "
            "file://DIR, s3://BUCKET, or https://api.pulumi.com"
        ], command
    assert not (config.parent / ".marketplace-kit").exists()  # nothing written
