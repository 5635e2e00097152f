"""`marketplace-kit dev` under signals and kills (issue 13): it stops cleanly on SIGHUP (the
terminal closed) as on SIGINT/SIGTERM; a run killed outright (SIGKILL) leaves processes behind,
and the next run reaps them; the info file with the run's secrets is 0600 from its first byte;
bad options fail before anything starts.

The lifecycle test runs the real thing twice (PostgreSQL, tansu, one generated service), with
TMPDIR pointed at a directory of its own so it never meets another test's (or a user's) run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import assert_one_error_line, run_cli
from support.dev import console_script

from marketplace_kit.blueprints.routes import RouteTable
from marketplace_kit.devrun import runner as runner_module
from marketplace_kit.devrun.logs import Prefixer
from marketplace_kit.devrun.reaper import start_time
from marketplace_kit.devrun.runner import DevOptions, DevRun
from marketplace_kit.platform.gateway import RoutePolicy
from marketplace_kit.scaffold import make_answers, render_service


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A platform with one stateless generated service; its marketplace.yaml."""
    root = tmp_path / "shop"
    (root / "services").mkdir(parents=True)
    (root / "marketplace.yaml").write_text("name: shop\nblueprint: dev\n")
    render_service(make_answers(name="ping", datastore="none"), root / "services" / "ping")
    return root / "marketplace.yaml"


def test_the_info_file_is_private_even_over_stale_files(tmp_path: Path) -> None:
    info_file = tmp_path / "info.json"
    for stale in (info_file, tmp_path / "info.tmp", tmp_path / "info.json.tmp"):
        stale.write_text("{}")
        stale.chmod(0o644)  # what a crashed run or a careless user leaves
    run = DevRun([], RouteTable((), RoutePolicy(), 100), DevOptions())
    info = {"gateway": "http://127.0.0.1:8080", "services": {}, "postgres": "", "kafka": "",
            "smtp": "", "mail_dir": "", "sms_sink": "", "sms_dir": "", "push_sink": "",
            "push_dir": "", "secrets": {"WEBHOOK_SECRET": "s3cret"}, "token_issuer": None,
            "signing_keys_dir": None}
    run.announce(Prefixer(["dev"], io.StringIO()), info, 1.0, info_file)
    assert stat.S_IMODE(info_file.stat().st_mode) == 0o600
    assert json.loads(info_file.read_text())["secrets"] == {"WEBHOOK_SECRET": "s3cret"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["info.json", "info.json.tmp",
                                                          "info.tmp"]  # no temp of its own left


@pytest.mark.parametrize("bad", ["missing-dir/info.json", "a-dir", "a-file/info.json"])
def test_a_bad_info_file_fails_before_anything_starts(
    platform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "a-file").write_text("x")

    def no_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("started PostgreSQL despite a bad option")

    monkeypatch.setattr(runner_module, "Postgres", no_start)
    code, _, stderr = run_cli(["dev", "--config", str(platform), "--free-ports",
                               "--info-file", str(tmp_path / bad)], tmp_path)
    assert_one_error_line(code, stderr, "--info-file")


# --- the real lifecycle ------------------------------------------------------------------------


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """A TMPDIR of this test's own (world-traversable: PostgreSQL runs as its own user)."""
    path = Path(tempfile.mkdtemp(prefix="mk-dev-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_dev(platform: Path, tmp: Path, info_file: Path, log: Path) -> subprocess.Popen[bytes]:
    """`marketplace-kit dev --config shop/marketplace.yaml` from the directory above the platform
    (a relative path: the services start in their own directories and still find their code)."""
    relative = platform.relative_to(platform.parent.parent)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [console_script(), "dev", "--config", str(relative), "--free-ports",
             "--info-file", str(info_file)],
            stdout=out, stderr=subprocess.STDOUT, cwd=platform.parent.parent,
            env={**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1"},
        )
    deadline = time.monotonic() + 180
    while not info_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"dev did not get ready:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def registered(tmp: Path, owner: int) -> tuple[list[tuple[int, str]], list[str]]:
    """The processes (pid, start time) and directories dev run ``owner`` recorded."""
    data = json.loads((tmp / f"marketplace-kit-dev-{os.getuid()}" / f"{owner}.json").read_text())
    return [(p["pid"], p["started"]) for p in data["processes"]], data["dirs"]


def alive(processes: list[tuple[int, str]]) -> list[int]:
    return [pid for pid, started in processes if start_time(pid) == started]


@pytest.mark.slow
def test_a_killed_run_is_reaped_by_the_next_and_sighup_stops_cleanly(
    platform: Path, private_tmp: Path, tmp_path: Path
) -> None:
    log = tmp_path / "dev.log"
    first = start_dev(platform, private_tmp, tmp_path / "info-1.json", log)
    processes, dirs = registered(private_tmp, first.pid)
    assert len(processes) == 3  # PostgreSQL, the broker, the service
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert alive(processes) == [pid for pid, _ in processes]  # orphans, as the issue found
    assert all(Path(d).exists() for d in dirs)

    second = start_dev(platform, private_tmp, tmp_path / "info-2.json", log)
    try:
        assert alive(processes) == []  # reaped before it started its own
        assert not any(Path(d).exists() for d in dirs)
        assert "left by an earlier run" in log.read_text()
        own, own_dirs = registered(private_tmp, second.pid)
        second.send_signal(signal.SIGHUP)  # the terminal closed
        assert second.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            second.kill()
    assert "stopped; temporary files removed" in log.read_text()
    assert alive(own) == []
    assert not any(Path(d).exists() for d in own_dirs)
    assert not list((private_tmp / f"marketplace-kit-dev-{os.getuid()}").glob("*.json"))
