"""Running the real CLI entry point (``main()``) in-process, and snapshots of a file tree.

In-process so a test can monkeypatch a seam (a full disk, a failing rename) and still see exactly
what a user sees: the exit code and the lines on stdout and stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from pathlib import Path
from unittest import mock

from marketplace_kit.cli.app import main


def run_cli(
    args: list[str], cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """``main()`` in-process with ``args`` (and ``env`` added to the environment): (exit code,
    stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with (
        mock.patch.object(sys, "argv", ["marketplace-kit", *args]),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        mock.patch.dict(os.environ, env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        contextlib.chdir(cwd),
    ):
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code
    return (code if isinstance(code, int) else 1), out.getvalue(), err.getvalue()


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by content digest and mode, directories, symlinks."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[relative] = "dir"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[relative] = f"{oct(path.stat().st_mode)} {digest}"
    return found


def assert_one_error_line(code: int, stderr: str, *fragments: str) -> None:
    """Exit 2 and exactly one ``error: ... fix: ...`` line containing every fragment."""
    lines = stderr.splitlines()
    assert code == 2, (code, stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "fix:" in lines[0], stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, stderr)
