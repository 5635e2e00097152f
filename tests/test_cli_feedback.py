"""Feedback a person sees: a spinner on stderr while a slow command works (only on a terminal,
never with NO_COLOR or --quiet, never on stdout), and tables readable at 80 columns (real output
of `plan`, `timeline` and `cost`, nothing cut to `…`)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from marketplace_kit.cli.app import main; main()"]
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"  # rich's "dots"
PROGRAM = '''import pulumi
pulumi.ComponentResource("tiny:index:Thing", "thing")
'''


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "COLUMNS", "TERM"}}
    return {**env, "TERM": "xterm-256color", **extra}


def _with_terminal_stderr(args: list[str], env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe: (stdout, stderr)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=follower,
                               stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: every writer closed
            break
        if not chunk:
            break
        seen += chunk
    stdout = process.communicate(timeout=300)[0]
    os.close(leader)
    assert process.returncode == 0, seen.decode(errors="replace")
    return stdout.decode(), seen.decode(errors="replace")


@pytest.fixture()
def program(tmp_path: Path) -> Path:
    (tmp_path / "__main__.py").write_text(PROGRAM)
    return tmp_path


def test_a_spinner_on_a_terminal_and_nothing_of_it_on_stdout(program: Path) -> None:
    stdout, stderr = _with_terminal_stderr(["plan", "--program", ".", "-f", "json"], _env(),
                                           program)
    assert "planning offline" in stderr and set(SPINNER) & set(stderr), stderr
    assert json.loads(stdout)["summary"]["resources"] == 1  # stdout is the JSON alone


@pytest.mark.parametrize("how", ["NO_COLOR", "--quiet"])
def test_no_spinner_under_no_color_or_quiet(program: Path, how: str) -> None:
    env = _env(NO_COLOR="1") if how == "NO_COLOR" else _env()
    root = ["--quiet"] if how == "--quiet" else []
    stdout, stderr = _with_terminal_stderr([*root, "plan", "--program", ".", "-f", "json"], env,
                                           program)
    assert stderr == "" and json.loads(stdout)["summary"]["resources"] == 1


def test_no_spinner_when_stderr_is_not_a_terminal(program: Path) -> None:
    done = subprocess.run([*CLI, "plan", "--program", "."], cwd=program, env=_env(),
                          capture_output=True, text=True, timeout=300, check=True)
    assert done.stderr == "" and "tiny:index:Thing" in done.stdout


def _rows(table: str, columns: int, key: int) -> list[list[str]]:
    """A rich table's rows, folded cells joined again (a row starts where cell ``key``, never
    empty, is set)."""
    rows: list[list[str]] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert len(cells) == columns, line
        if cells[key] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    return rows


@pytest.fixture(scope="module")
def at_80() -> dict[str, str]:
    """`plan`, `plan -f json`, `timeline`, `timeline -f json` and `cost` at COLUMNS=80."""
    out = {}
    for name, args in {"plan": ["plan"], "plan.json": ["plan", "-f", "json"],
                       "timeline": ["timeline"], "timeline.json": ["timeline", "-f", "json"],
                       "cost": ["cost"]}.items():
        out[name] = subprocess.run([*CLI, *args], env=_env(COLUMNS="80"), capture_output=True,
                                   text=True, timeout=600, check=True).stdout
    return out


@pytest.mark.parametrize("command", ["plan", "timeline", "cost"])
def test_tables_fit_80_columns_and_cut_nothing(at_80: dict[str, str], command: str) -> None:
    table = [line for line in at_80[command].splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 80
    assert "…" not in at_80[command]


def test_the_plan_table_shows_every_type_whole_at_80_columns(at_80: dict[str, str]) -> None:
    planned = json.loads(at_80["plan.json"])["resources"]
    rows = _rows(at_80["plan"], 3, key=2)
    assert sorted(r[1] for r in rows) == sorted(r["type"] for r in planned)
    assert "marketplace-kit:platform:ApiGateway" in {r[1] for r in rows}


def test_the_timeline_keeps_what_runs_in_parallel_at_80_columns(at_80: dict[str, str]) -> None:
    steps = json.loads(at_80["timeline.json"])["critical_path"]
    rows = _rows(at_80["timeline"], 5, key=0)
    assert [r[1] for r in rows] == [s["resource"] for s in steps]
    parallel = [r[4] for r in rows if r[4]]
    assert parallel and all(p.split(":")[0].isdigit() for p in parallel), parallel
