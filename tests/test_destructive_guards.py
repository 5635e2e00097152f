"""Guards of the destructive paths (issue 13): services are never silently dropped from a plan,
and ``render --force`` replaces only what an earlier render wrote.

A service dropped from the plan is a service ``up`` deletes, with its database and topics; every
case here would have planned fewer services (exit 0) before. All through the real ``main()``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import assert_one_error_line, run_cli, snapshot

SERVICE = "name: {name}\npublishes: [{name}-events]\nport: {port}\n"


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A platform directory: marketplace.yaml and two services."""
    root = tmp_path / "shop"
    (root / "services").mkdir(parents=True)
    (root / "marketplace.yaml").write_text("name: shop\nblueprint: dev\nservices_dir: services\n")
    for port, name in enumerate(("orders", "billing"), start=8001):
        (root / "services" / name).mkdir()
        (root / "services" / name / "service.yaml").write_text(SERVICE.format(name=name,
                                                                              port=port))
    return root


def plan_refused(root: Path, *fragments: str) -> None:
    before = snapshot(root)
    code, stdout, stderr = run_cli(["plan", "--config", str(root / "marketplace.yaml")], root)
    assert_one_error_line(code, stderr, *fragments)
    assert stdout == "" and snapshot(root) == before


def set_services_dir(value: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / "marketplace.yaml").write_text(f"name: shop\nservices_dir: {value}\n")

    return edit


def service_yml(root: Path) -> None:
    (root / "services" / "billing" / "service.yaml").rename(
        root / "services" / "billing" / "service.yml")


def dangling(root: Path) -> None:
    target = root / "services" / "billing" / "service.yaml"
    target.unlink()
    target.symlink_to(root / "nowhere.yaml")


def looping(root: Path) -> None:
    target = root / "services" / "billing" / "service.yaml"
    target.unlink()
    os.symlink("service.yaml", target)


def no_service_file(root: Path) -> None:
    (root / "services" / "billing" / "service.yaml").unlink()
    (root / "services" / "billing" / "README.md").write_text("billing\n")


def dangling_service_dir(root: Path) -> None:
    (root / "services" / "payments").symlink_to(root / "gone", target_is_directory=True)


@pytest.mark.parametrize(("break_it", "fragments"), [
    (set_services_dir("servics"), ("services_dir: 'servics'", "no such directory")),
    (set_services_dir("marketplace.yaml"), ("services_dir", "not a directory")),
    (service_yml, ("billing", "no service.yaml (found service.yml)")),
    (dangling, ("billing/service.yaml", "dangling or looping symlink")),
    (looping, ("billing/service.yaml", "dangling or looping symlink")),
    (no_service_file, ("billing", "no service.yaml")),
    (dangling_service_dir, ("payments", "dangling or looping symlink")),
], ids=["mistyped", "a-file", "service.yml", "dangling", "looping", "no-file", "dangling-dir"])
def test_services_are_never_silently_dropped(
    platform: Path, break_it: Callable[[Path], None], fragments: tuple[str, ...]
) -> None:
    break_it(platform)
    plan_refused(platform, *fragments)


def test_a_missing_services_dir_is_an_error(platform: Path) -> None:
    for service in (platform / "services").iterdir():
        for file in service.iterdir():
            file.unlink()
        service.rmdir()
    (platform / "services").rmdir()
    plan_refused(platform, "marketplace.yaml: services_dir: 'services'", "no such directory")


def test_an_empty_services_dir_is_a_platform_without_services(platform: Path) -> None:
    code, _, stderr = run_cli(["plan", "--config", str(platform / "marketplace.yaml"), "-f",
                               "json"], platform)
    assert code == 0, stderr
    no_service_file(platform)
    (platform / "services" / "billing" / "README.md").unlink()
    (platform / "services" / "billing").rmdir()
    (platform / "services" / ".gitkeep").touch()
    (platform / "services" / "NOTES.md").write_text("files beside the services are fine\n")
    code, _, stderr = run_cli(["plan", "--config", str(platform / "marketplace.yaml")], platform)
    assert code == 0, stderr


# --- render --force ----------------------------------------------------------------------------


def render(root: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(["render", "--config", str(root / "marketplace.yaml"), "--out", str(out),
                    *extra], root)


@pytest.mark.parametrize(("out", "reason"), [
    (".", "refusing to replace"),  # holds the config: render's own guard
    ("services", "inside the services folder"),  # the inputs' guard, before render starts
    ("services/orders", "inside the services folder"),
])
def test_render_force_refuses_a_directory_holding_the_config_or_services(
    platform: Path, out: str, reason: str
) -> None:
    before = snapshot(platform)
    code, _, stderr = render(platform, platform / out, "--force")
    assert_one_error_line(code, stderr, reason)
    assert snapshot(platform) == before


def test_render_force_replaces_only_what_render_wrote(platform: Path) -> None:
    out = platform.parent / "rendered"
    code, stdout, stderr = render(platform, out)
    assert code == 0, stderr
    first = snapshot(out)
    assert ".marketplace-kit-render" in first and "wrote" in stdout
    code, _, stderr = render(platform, out, "--force")  # its own output: replaced
    assert code == 0, stderr
    assert snapshot(out) == first
    (out / "mine.yaml").write_text("kind: ConfigMap\n")  # a file render did not write
    before = snapshot(platform.parent)
    code, _, stderr = render(platform, out, "--force")
    assert_one_error_line(code, stderr, "mine.yaml was not written by render")
    assert snapshot(platform.parent) == before


def test_render_force_refuses_a_directory_render_never_wrote(tmp_path: Path,
                                                               platform: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.md").write_text("# my notes\n")
    before = snapshot(tmp_path)
    code, _, stderr = render(platform, out, "--force")
    assert_one_error_line(code, stderr, "no .marketplace-kit-render")
    assert snapshot(tmp_path) == before
