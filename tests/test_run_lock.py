"""Concurrent runs (issue 36): the commands that change the same files take the lock of the
folder they change (``runlock``); a second run stops with one line naming the holder (pid,
command, since when) and exit 2, nothing changed; the lock file a killed run leaves never
blocks; two ``new-service`` runs at once never take the same port."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from support.cli import assert_one_error_line, run_cli, snapshot

from marketplace_kit.blueprints import program as program_module
from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.runlock import LOCK_FILE
from marketplace_kit.scaffold import documents as documents_module
from marketplace_kit.scaffold import make_answers, render_service

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "examples" / "marketplace"
HOLD = """
import sys
from pathlib import Path
from marketplace_kit.runlock import run_lock
with run_lock(Path(sys.argv[1]), sys.argv[2], create=True):
    print("held", flush=True)
    sys.stdin.read()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


@contextmanager
def held_by_another_process(folder: Path, command: str) -> Iterator[int]:
    """Another process holds ``folder``'s lock as ``command`` for the block; yields its pid."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), command], env=_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0


def assert_holder_line(code: int, stderr: str, folder: Path, pid: int, command: str) -> None:
    assert_one_error_line(code, stderr, str(folder), f"pid {pid}", command, "since",
                          "nothing was changed")
    since = re.search(r"since (\S+)\)", stderr)
    assert since and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", since[1])


def _fake_documents(directory: Path, package: str) -> None:
    for name in ("openapi.json", "asyncapi.json"):
        (directory / name).write_text(f'{{"{package}": true}}\n')


@pytest.fixture
def no_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's own documents command (seconds a run) is not what these tests are about."""
    monkeypatch.setattr(documents_module, "write_documents", _fake_documents)


@pytest.fixture(scope="module")
def dev_plan() -> ResourceGraph:
    return plan_platform(default_platform("dev"))


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A platform folder: the reference marketplace's config and an empty services folder."""
    root = tmp_path / "shop"
    (root / "services").mkdir(parents=True)
    shutil.copy(REFERENCE / "marketplace.yaml", root / "marketplace.yaml")
    return root


# --- a second run while one holds the lock ---------------------------------------------------


def test_new_service_while_another_run_holds_the_services_folder(
    platform: Path, no_documents: None
) -> None:
    services = platform / "services"
    before = snapshot(platform)
    with held_by_another_process(services, "new-service reviews") as pid:
        code, stdout, stderr = run_cli(["new-service", "orders"], platform)
        assert_holder_line(code, stderr, Path("services"), pid, "new-service reviews")
        now = snapshot(platform)
        assert stdout == "" and now.pop(f"services/{LOCK_FILE}") and now == before
    assert snapshot(platform) == before  # the holder removed its lock file when it finished
    code, _, stderr = run_cli(["new-service", "orders"], platform)
    assert code == 0, stderr


def test_update_service_while_another_run_holds_the_services_folder(
    platform: Path, no_documents: None
) -> None:
    service = platform / "services" / "orders"
    render_service(make_answers(name="orders"), service)
    (service / "README.md").write_text("ours\n")
    before = snapshot(platform)
    for args in (["update-service", str(service), "--yes"],
                 ["update-service", str(service), "--dry-run"],
                 ["update-service", "--all", "--yes"]):
        with held_by_another_process(service.parent, "update-service") as pid:
            code, _, stderr = run_cli(args, platform)
            assert_holder_line(code, stderr, service.parent, pid, "update-service")
        assert snapshot(platform) == before, args


def test_init_while_another_run_holds_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "platform"
    with held_by_another_process(target, "init") as pid:
        code, _, stderr = run_cli(["init", str(target)], tmp_path)
        assert_holder_line(code, stderr, target, pid, "init")
        assert sorted(p.name for p in target.iterdir()) == [LOCK_FILE]
    assert not target.exists()  # the holder made it, found it empty at the end, removed it


def test_rotate_signing_key_while_another_run_holds_the_platform_folder(platform: Path) -> None:
    before = snapshot(platform)
    with held_by_another_process(platform, "rotate-signing-key") as pid:
        code, _, stderr = run_cli(["rotate-signing-key"], platform)
        assert_holder_line(code, stderr, platform, pid, "rotate-signing-key")
    assert snapshot(platform) == before


def test_render_while_another_render_holds_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_plan: ResourceGraph
) -> None:
    monkeypatch.setattr(program_module, "plan_platform", lambda platform: dev_plan)
    work = tmp_path / "work"
    out = work / "rendered"
    with held_by_another_process(work, f"render --out {out}") as pid:
        code, _, stderr = run_cli(["render", "--out", str(out)], tmp_path)
        assert_holder_line(code, stderr, work, pid, f"render --out {out}")
        assert sorted(p.name for p in work.iterdir()) == [LOCK_FILE]  # no staging folder
    code, _, stderr = run_cli(["render", "--out", str(out)], tmp_path)
    assert code == 0, stderr
    assert sorted(p.name for p in work.iterdir()) == ["rendered"]


def test_dev_while_another_run_keeps_the_same_mail_folder(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(REFERENCE, shop, ignore=shutil.ignore_patterns(
        "__pycache__", ".venv", "*.egg-info"))
    mail = tmp_path / "mail"
    with held_by_another_process(mail, "dev") as pid:
        code, _, stderr = run_cli(["dev", "--mail-dir", str(mail)], shop)
        assert_holder_line(code, stderr, mail, pid, "dev")


# --- what a killed run leaves ----------------------------------------------------------------


def _killed_holder(folder: Path) -> int:
    """A process that took ``folder``'s lock and was killed holding it; its pid."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), "new-service killed"],
                              env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    holder.send_signal(signal.SIGKILL)
    assert holder.wait(timeout=60) == -signal.SIGKILL
    return holder.pid


def test_the_lock_file_of_a_killed_run_does_not_block(platform: Path, no_documents: None) -> None:
    services = platform / "services"
    pid = _killed_holder(services)
    recorded = json.loads((services / LOCK_FILE).read_text())
    assert recorded["pid"] == pid and recorded["command"] == "new-service killed"
    code, _, stderr = run_cli(["new-service", "orders"], platform)
    assert code == 0, stderr
    assert not (services / LOCK_FILE).exists()  # taken over, then removed at the end


def test_a_lock_file_of_any_content_does_not_block(platform: Path) -> None:
    (platform / LOCK_FILE).write_bytes(b"\0garbage{")
    code, _, stderr = run_cli(["rotate-signing-key"], platform)
    assert code == 0, stderr
    assert not (platform / LOCK_FILE).exists()


def test_a_symlinked_lock_file_is_never_followed(platform: Path) -> None:
    victim = platform.parent / "victim"
    victim.write_text("precious\n")
    (platform / LOCK_FILE).symlink_to(victim)
    before = snapshot(platform)
    code, _, stderr = run_cli(["rotate-signing-key"], platform)
    assert_one_error_line(code, stderr, LOCK_FILE, "symlink")
    assert snapshot(platform) == before and victim.read_text() == "precious\n"


# --- two real runs at once --------------------------------------------------------------------


def _cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from marketplace_kit.cli.app import main; main()", *args],
        cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_new_service_runs_at_once_never_share_a_port(platform: Path) -> None:
    """Each run either gets its own port or is told who holds the folder, in one line."""
    runs = {name: _cli(["new-service", name], platform) for name in ("reviews", "ratings")}
    ended: dict[str, tuple[int, str]] = {}
    for name, run in runs.items():
        _, stderr = run.communicate(timeout=300)
        ended[name] = (run.returncode, stderr)
    made = {name: yaml.safe_load((platform / "services" / name / "service.yaml").read_text())
            for name, (code, _) in ended.items() if code == 0}
    assert made, ended
    for name, (code, stderr) in ended.items():
        if code != 0:
            other = next(n for n in runs if n != name)
            assert_holder_line(code, stderr, Path("services"), runs[other].pid,
                               f"new-service {other}")
            assert not (platform / "services" / name).exists()
    assert len({spec["port"] for spec in made.values()}) == len(made), made
    assert not (platform / "services" / LOCK_FILE).exists()


def hold_in_process(folder: Path) -> Callable[[], None]:
    """Take ``folder``'s lock in this process (another open file: flock sees a second run)."""
    from marketplace_kit.runlock import run_lock

    context = run_lock(folder, "test")
    context.__enter__()
    return lambda: context.__exit__(None, None, None)


def test_a_second_open_in_one_process_is_a_second_run(tmp_path: Path) -> None:
    release = hold_in_process(tmp_path)
    try:
        code, _, stderr = run_cli(["init", str(tmp_path)], tmp_path)
        assert_holder_line(code, stderr, tmp_path, os.getpid(), "test")
        assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]
    finally:
        release()
    assert list(tmp_path.iterdir()) == []


def test_dev_records_in_a_kept_mail_folder_never_overwrite_earlier_ones(tmp_path: Path) -> None:
    """A second `dev --mail-dir` run (one at a time, under the lock) numbers after the first's."""
    from marketplace_kit.devrun.records import Recorder

    (tmp_path / "000001.json").write_text('{"run": 1}\n')
    (tmp_path / "000007.json").write_text('{"run": 1}\n')
    (tmp_path / "notes.json").write_text("{}\n")
    stored = Recorder(tmp_path).store({"run": 2})
    assert stored.name == "000008.json"
    assert (tmp_path / "000001.json").read_text() == '{"run": 1}\n'
    assert Recorder(tmp_path / "empty").store({"run": 2}).name == "000001.json"
