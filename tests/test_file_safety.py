"""Nothing lost, nothing outside its folder (issue 13): the kit's file handling under bad input.

Every case runs the real CLI entry point and checks the user-visible promise: exit 2, one
``error: ... fix: ...`` line, and the file tree exactly as it was (snapshots compare content,
mode, directories and symlinks). A full disk is a real tiny tmpfs where this machine allows
mounting one (root), and a failing write or rename through the changeset's seams everywhere.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from support.cli import assert_one_error_line, run_cli, snapshot
from support.full_disk import fill, tiny_fs
from support.templates import template_v2

from marketplace_kit import changeset
from marketplace_kit.scaffold import make_answers, render_service
from marketplace_kit.scaffold import update as update_module
from marketplace_kit.scaffold.base import BASE_FILE
from marketplace_kit.scaffold.template import Template

ANSWERS = {"name": "orders", "publishes": ["order-events"]}

__all__ = ["tiny_fs"]


@pytest.fixture
def service(tmp_path: Path) -> Path:
    dest = tmp_path / "work" / "services" / "orders"
    render_service(make_answers(**ANSWERS), dest)
    return dest


@pytest.fixture
def use_template(monkeypatch: pytest.MonkeyPatch) -> Callable[[Template], None]:
    return lambda template: monkeypatch.setattr(update_module, "service_template",
                                                lambda: template)


def add_base_entry(service: Path, path: str, text: str) -> None:
    """Append an entry to the service's merge base, as a damaged or hostile file would."""
    base = service / BASE_FILE
    base.write_bytes(base.read_bytes() + f"--- {path} {len(text.encode())}\n{text}\n".encode())


# --- confinement: paths from the kit's own metadata ------------------------------------------


@pytest.mark.parametrize("spelling", ["relative", "absolute"])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_base_entry_outside_the_service_is_refused(
    service: Path, tmp_path: Path, spelling: str, dry_run: bool
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    add_base_entry(service, "../../../victim.txt" if spelling == "relative" else str(victim),
                   "precious\n")
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli(
        ["update-service", str(service), *(["--dry-run"] if dry_run else [])], tmp_path)
    assert_one_error_line(code, stderr, str(service / BASE_FILE), "damaged")
    assert "victim" not in stdout
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("key", "value"), [("name", "../../evil"), ("entity", "../x"),
                                            ("name", "/etc")])
def test_an_answers_file_naming_paths_outside_is_refused(
    service: Path, tmp_path: Path, key: str, value: str
) -> None:
    answers = service / ".marketplace-kit.yaml"
    data = yaml.safe_load(answers.read_text())
    answers.write_text(yaml.safe_dump({**data, key: value}))
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, str(answers), repr(value))
    assert snapshot(tmp_path) == before


def test_a_symlink_out_of_the_service_is_not_followed(
    service: Path, tmp_path: Path, use_template: Callable[[Template], None]
) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(service / "docs", outside)
    (service / "docs").symlink_to(outside, target_is_directory=True)
    use_template(template_v2(tmp_path / "t2", {"docs/index.md.jinja": "# {{ name }}\nnew\n"}))
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, "outside the service")
    assert snapshot(tmp_path) == before


# --- atomicity: update-service -------------------------------------------------------------

V2_EDITS: dict[str, str | None] = {
    "mkdocs.yml.jinja": None,  # a deletion (planned first before the fix)
    "NOTICE.jinja": "{{ name }}: a new template file\n",
    ".gitignore": ".env\n.coverage\n",
}


def test_a_directory_where_a_template_file_goes_changes_nothing(
    service: Path, tmp_path: Path, use_template: Callable[[Template], None]
) -> None:
    (service / "NOTICE").mkdir()
    (service / "NOTICE" / "mine.txt").write_text("mine\n")
    use_template(template_v2(tmp_path / "t2", V2_EDITS))
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, str(service / "NOTICE"), "directory")
    assert snapshot(tmp_path) == before


def test_a_full_disk_while_staging_changes_nothing(
    service: Path, tmp_path: Path, use_template: Callable[[Template], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_template(template_v2(tmp_path / "t2", V2_EDITS))
    calls: list[Path] = []

    def full(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, data)

    real_write = changeset.write_file
    monkeypatch.setattr(changeset, "write_file", full)
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, "No space left on device", "nothing was changed")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("failing_rename", [1, 2, 4])
def test_a_failure_during_the_swap_is_undone(
    service: Path, tmp_path: Path, use_template: Callable[[Template], None],
    monkeypatch: pytest.MonkeyPatch, failing_rename: int,
) -> None:
    use_template(template_v2(tmp_path / "t2", V2_EDITS))
    calls: list[Path] = []

    def flaky(source: Path, target: Path) -> None:
        calls.append(source)
        if len(calls) == failing_rename:
            raise OSError(errno.EIO, "Input/output error", str(target))
        real_rename(source, target)

    real_rename = changeset.rename
    monkeypatch.setattr(changeset, "rename", flaky)
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, "Input/output error")
    assert snapshot(tmp_path) == before


def test_the_update_applies_when_nothing_fails(
    service: Path, tmp_path: Path, use_template: Callable[[Template], None]
) -> None:
    """The control for the cases above: the same template, no obstacle, the update lands."""
    (service / "Dockerfile").chmod(0o700)
    use_template(template_v2(tmp_path / "t2", V2_EDITS))
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert code == 0, stderr
    assert (service / "NOTICE").read_text() == "orders: a new template file\n"
    assert not (service / "mkdocs.yml").exists()
    assert ".coverage" in (service / ".gitignore").read_text()
    assert not list(service.glob(f"{changeset.STAGING_PREFIX}*"))


# --- a real full disk (a tiny tmpfs; needs root) ----------------------------------------------


def test_update_service_on_a_really_full_disk(
    tmp_path: Path, tiny_fs: Callable[[int], Path], use_template: Callable[[Template], None]
) -> None:
    disk = tiny_fs(1024)
    service = disk / "services" / "orders"
    render_service(make_answers(**ANSWERS), service)
    use_template(template_v2(tmp_path / "t2", {**V2_EDITS, "NOTICE.jinja": "x" * 40_000}))
    fill(disk, leave_kib=16)
    before = snapshot(disk)
    code, _, stderr = run_cli(["update-service", str(service), "--yes"], tmp_path)
    assert_one_error_line(code, stderr, "No space left on device", "nothing was changed")
    assert snapshot(disk) == before


def test_new_service_on_a_really_full_disk(tmp_path: Path, tiny_fs: Callable[[int], Path]) -> None:
    disk = tiny_fs(256)
    (disk / "services").mkdir()
    fill(disk, leave_kib=8)
    before = snapshot(disk)
    code, _, stderr = run_cli(["new-service", "reviews", "--dir", str(disk / "services")],
                              tmp_path)
    assert_one_error_line(code, stderr, "No space left on device")
    assert snapshot(disk) == before


def test_new_service_on_a_full_disk_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("marketplace_kit.scaffold.write.write_file", full)
    before = snapshot(tmp_path)
    code, _, stderr = run_cli(["new-service", "reviews", "--dir", str(tmp_path / "s")], tmp_path)
    assert_one_error_line(code, stderr, "No space left on device")
    assert snapshot(tmp_path) == before


# --- init ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["a-file", "a-file/below", "/proc/mk-init", "/proc/1/mk-init"])
def test_init_into_a_file_or_under_proc_is_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli(["init", where], tmp_path)
    assert_one_error_line(code, stderr)
    assert snapshot(tmp_path) == before and stdout == ""


def test_init_on_a_really_full_disk(tmp_path: Path, tiny_fs: Callable[[int], Path]) -> None:
    disk = tiny_fs(64)
    fill(disk, leave_kib=0)
    before = snapshot(disk)
    code, _, stderr = run_cli(["init", str(disk / "platform")], tmp_path)
    assert_one_error_line(code, stderr, "No space left on device")
    assert snapshot(disk) == before


def test_update_all_is_all_or_nothing_across_services(
    tmp_path: Path, use_template: Callable[[Template], None]
) -> None:
    """`--all`: a directory in the way in the second service leaves the first one as it was."""
    root = tmp_path / "work"
    (root / "services").mkdir(parents=True)
    (root / "marketplace.yaml").write_text("name: shop\n")
    render_service(make_answers(name="billing", port=8001), root / "services" / "billing")
    render_service(make_answers(name="orders"), root / "services" / "orders")
    (root / "services" / "orders" / "NOTICE").mkdir()
    use_template(template_v2(tmp_path / "t2", V2_EDITS))
    before = snapshot(root)
    code, _, stderr = run_cli(["update-service", "--all", "--yes", "--config",
                               str(root / "marketplace.yaml")], root)
    assert_one_error_line(code, stderr, "orders/NOTICE", "directory")
    assert snapshot(root) == before
    (root / "services" / "orders" / "NOTICE").rmdir()
    code, _, stderr = run_cli(["update-service", "--all", "--yes", "--config",
                               str(root / "marketplace.yaml")], root)
    assert code == 0, stderr
    for name in ("billing", "orders"):
        assert (root / "services" / name / "NOTICE").read_text() == f"{name}: a new template file\n"
    assert not list((root / "services").glob(f"{changeset.STAGING_PREFIX}*"))
