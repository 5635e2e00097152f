"""Kill a CLI command between two of its filesystem operations, at every step (not by timing).

The command runs in a forked child (the parent's imports and monkeypatches carry over, so a run
costs milliseconds): the child counts every call that changes the file system (``os.rename``,
``os.replace``, ``os.link``, ``os.unlink``, ``os.rmdir``, ``os.mkdir``, ``os.fsync``,
``os.chmod`` and every file opened for writing) and sends itself the signal right before the
``at``-th one.
"""

from __future__ import annotations

import io
import json
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.cli import run_cli

_MUTATORS = ("rename", "replace", "link", "unlink", "rmdir", "mkdir", "fsync", "chmod")


@dataclass(frozen=True)
class Outcome:
    """How the child ended: killed by a signal, or its exit code and stderr; the operations it
    made (name and path, in order; empty when killed)."""

    signal: int | None
    code: int | None
    stderr: str
    operations: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        return len(self.operations)


def steps_to_try(operations: tuple[str, ...], staging_marker: str, spread: int = 12) -> list[int]:
    """Every step (1-based) but those writing inside a staging folder (its name holds
    ``staging_marker``); of those, ``spread`` evenly spaced ones, first and last included: a
    kill among them leaves the same thing (an unfinished staging folder, the target untouched)."""
    inside = [n for n, op in enumerate(operations, 1) if staging_marker in op]
    outside = [n for n, op in enumerate(operations, 1) if staging_marker not in op]
    if len(inside) > spread:
        stride = (len(inside) - 1) / (spread - 1)
        inside = sorted({inside[round(i * stride)] for i in range(spread)})
    return sorted([*outside, *inside])


def _counting(at: int | None, sig: int) -> list[str]:
    """Patch the child's file-system calls to log them (and signal before the ``at``-th)."""
    log: list[str] = []

    def step(name: str, args: tuple[Any, ...]) -> None:
        log.append(f"{name} {' '.join(str(a) for a in args[:2])}")
        if len(log) == at:
            os.kill(os.getpid(), sig)

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            step(name, args)
            return function(*args, **kwargs)
        return counted

    for name in _MUTATORS:
        setattr(os, name, wrap(name, getattr(os, name)))
    real_open = io.open

    def opened(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wxa+"):
            step("open", (file,))
        return real_open(file, mode, *args, **kwargs)

    io.open = opened  # type: ignore[assignment]
    return log


def run_interrupted(args: list[str], cwd: Path, *, at: int | None = None,
                    sig: int = signal.SIGKILL) -> Outcome:
    """Run the CLI with ``args`` in a child, signalled before its ``at``-th file operation."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            log = _counting(at, sig)
            code, _, stderr = run_cli(args, cwd)
            os.write(write_end, json.dumps([stderr, log]).encode())
        except BaseException:  # what escaped the CLI's own handling: the test shows it
            os.write(write_end, json.dumps([f"escaped: {traceback.format_exc()}", []]).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as report:
        data = report.read().decode()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return Outcome(os.WTERMSIG(status), None, "")
    stderr, log = json.loads(data)
    return Outcome(None, os.WEXITSTATUS(status), stderr, tuple(log))
