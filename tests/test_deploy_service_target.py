"""`deploy-service DIR` deploys DIR as the stack of the service its service.yaml names: a
directory that is not that service's own among the platform's (outside the services folder, a
copy of another service, a copy renamed only in its service.yaml) is refused in one line before
the engine or the cluster is touched (issue 36)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from support.cli import assert_one_error_line
from support.provision import platform_with_order, refused_before_the_engine

from marketplace_kit.config import load_platform
from marketplace_kit.provision.service_member import platform_service


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A platform with service stacks and one generated service, ``order``."""
    return platform_with_order(tmp_path / "shop")


def _deploy(config: Path, directory: Path, cwd: Path) -> tuple[int, str]:
    return refused_before_the_engine("deploy-service", directory, config, cwd)


def test_the_service_own_directory_is_its_service(config: Path) -> None:
    order = config.parent / "services" / "order"
    platform = load_platform(config)
    assert platform_service(platform, order).name == "order"
    with contextlib.chdir(order):
        assert platform_service(platform, Path(".")).name == "order"


def test_a_directory_outside_the_services_folder_is_refused(config: Path, tmp_path: Path) -> None:
    stray = tmp_path / "reviews"
    stray.mkdir()
    (stray / "service.yaml").write_text("name: reviews\nport: 8001\n")
    code, stderr = _deploy(config, stray, tmp_path)
    assert_one_error_line(code, stderr, str(stray), "not one of its services", "refused")


def test_a_copy_of_a_service_elsewhere_is_refused(config: Path, tmp_path: Path) -> None:
    """Before: deployed as order's stack, replacing order's workload with the copy's."""
    copy = tmp_path / "order-copy"
    shutil.copytree(config.parent / "services" / "order", copy)
    code, stderr = _deploy(config, copy, tmp_path)
    assert_one_error_line(code, stderr, "a copy of order, whose directory is",
                          str(config.parent / "services" / "order"))


def test_a_copy_renamed_only_in_its_service_yaml_is_refused(config: Path, tmp_path: Path) -> None:
    """In the services folder and named in service.yaml, but its recorded answers (and code)
    are order's."""
    twin = config.parent / "services" / "billing"
    shutil.copytree(config.parent / "services" / "order", twin)
    spec = twin / "service.yaml"
    spec.write_text(spec.read_text().replace("name: order", "name: billing")
                    .replace("port: 8000", "port: 8001").replace("path: /order", "path: /billing"))
    assert "billing" in {s.name for s in load_platform(config).services}
    code, stderr = _deploy(config, twin, tmp_path)
    assert_one_error_line(code, stderr, "records the service 'order'", "names 'billing'")


def test_a_directory_without_a_service_file_is_refused(config: Path, tmp_path: Path) -> None:
    code, stderr = _deploy(config, tmp_path, tmp_path)
    assert_one_error_line(code, stderr, "no service.yaml")
