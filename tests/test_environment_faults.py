"""A read-only folder and a full disk (issue 36): every command that writes gives one
``error: ... fix: ...`` line and exit 2, and leaves the tree exactly as it was (no partial file,
no temporary or lock file); a command that only reads still works on a read-only checkout.

Read-only is a read-only bind mount where this machine allows mounting (root: permissions do
not stop root), else the folders' write permission taken away. A full disk is a real tiny tmpfs
(root only), and everywhere a file system that reports ENOSPC when a file is flushed (as NFS
and quota'd disks do)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.cli import assert_one_error_line, run_cli, snapshot
from support.full_disk import fill, tiny_fs
from support.marketplace import copy_marketplace
from support.templates import template_v2

from marketplace_kit import home
from marketplace_kit.blueprints import program as program_module
from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.scaffold import documents as documents_module
from marketplace_kit.scaffold import update as update_module
from marketplace_kit.scaffold.template import Template

WRITERS = [
    pytest.param(["init", "platform"], id="init"),
    pytest.param(["new-service", "reviews"], id="new-service"),
    pytest.param(["update-service", "services/order", "--yes"], id="update-service"),
    pytest.param(["render", "--out", "rendered"], id="render"),
    pytest.param(["rotate-signing-key"], id="rotate-signing-key"),
    pytest.param(["api-doc", "--out", "api.json"], id="api-doc"),
]
UNWRITABLE = ("Read-only file system", "Permission denied")

__all__ = ["tiny_fs"]


@pytest.fixture(scope="module")
def dev_plan() -> ResourceGraph:
    return plan_platform(default_platform("dev"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A newer template (one file added): update-service has something to write."""
    return template_v2(tmp_path_factory.mktemp("t2") / "template",
                       {"NOTICE.jinja": "{{ name }}\n"})


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch, dev_plan: ResourceGraph, template: Template) -> None:
    """What these tests are not about, made quick: the plan (made once) and the service's own
    documents command; and a newer template for update-service."""
    monkeypatch.setattr(program_module, "plan_platform", lambda platform: dev_plan)
    monkeypatch.setattr(update_module, "service_template", lambda: template)

    def documents(directory: Path, package: str) -> None:
        for name in ("openapi.json", "asyncapi.json"):
            (directory / name).write_text("{}\n")

    monkeypatch.setattr(documents_module, "write_documents", documents)


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """``read_only(folder)``: the folder and everything below it read-only for this process."""
    undo: list[Callable[[], None]] = []

    def make(folder: Path) -> None:
        if os.geteuid() == 0:
            mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)],
                                     capture_output=True, check=False).returncode == 0
            if mounted:
                undo.append(lambda: subprocess.run(["umount", "-l", str(folder)], check=False))
                if subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                                  capture_output=True, check=False).returncode == 0:
                    return
            pytest.skip("root, and no read-only bind mount here: permissions would not stop it")
        dirs = [folder, *(p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink())]
        for path in dirs:
            path.chmod(0o555)
        undo.append(lambda: [path.chmod(0o755) for path in dirs])

    yield make
    for step in reversed(undo):
        step()


@pytest.mark.parametrize("args", WRITERS)
def test_a_read_only_platform_is_one_line(
    tmp_path: Path, read_only: Callable[[Path], None], args: list[str]
) -> None:
    shop = copy_marketplace(tmp_path)
    read_only(shop)
    before = snapshot(shop)
    code, stdout, stderr = run_cli(args, shop)
    assert_one_error_line(code, stderr)
    assert any(reason in stderr for reason in UNWRITABLE), stderr
    assert "wrote" not in stdout
    assert snapshot(shop) == before


def test_what_only_reads_works_on_a_read_only_checkout(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    shop = copy_marketplace(tmp_path)
    read_only(shop)
    before = snapshot(shop)
    code, _, stderr = run_cli(["update-service", "--all", "--dry-run"], shop)
    assert code in (0, 1) and "Traceback" not in stderr, stderr  # 1: conflicts it would write
    code, stdout, stderr = run_cli(["api-doc"], shop)
    assert code == 0 and '"paths"' in stdout, stderr
    assert snapshot(shop) == before


def test_a_read_only_plan_cache_plans_uncached(
    tmp_path: Path, read_only: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(home, "cache_dir", lambda: cache)
    read_only(cache)
    code, stdout, stderr = run_cli(["plan"], tmp_path)
    assert code == 0 and stdout, stderr
    assert list(cache.iterdir()) == []


# --- a disk that fills up --------------------------------------------------------------------


BIG_WRITERS = [p for p in WRITERS if p.id in ("new-service", "update-service", "render",
                                               "api-doc")]


@pytest.mark.parametrize(("leave_kib", "args"), [
    *(pytest.param(0, *p.values, id=f"0KiB-{p.id}") for p in WRITERS),
    *(pytest.param(8, *p.values, id=f"8KiB-{p.id}") for p in BIG_WRITERS),
])
def test_a_really_full_disk_is_one_line(
    tmp_path: Path, tiny_fs: Callable[[int], Path], args: list[str], leave_kib: int
) -> None:
    """0 KiB left: even the lock's record fails; 8 KiB: the lock is taken, then what is written
    does not fit (init's and rotate-signing-key's few KiB do: they succeed there)."""
    disk = tiny_fs(4096)
    shutil.copytree(copy_marketplace(tmp_path), disk / "shop")
    fill(disk, leave_kib)
    before = snapshot(disk)
    code, _, stderr = run_cli(args, disk / "shop")
    assert_one_error_line(code, stderr, "No space left on device")
    assert snapshot(disk) == before


@pytest.mark.parametrize("args", WRITERS)
def test_a_disk_that_reports_full_on_flush_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    shop = copy_marketplace(tmp_path)
    before = snapshot(shop)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, _, stderr = run_cli(args, shop)
    if args[0] == "render":  # it renames whole staged trees and flushes none of its files
        assert code == 0, stderr
        return
    assert_one_error_line(code, stderr, "No space left on device")
    assert snapshot(shop) == before
