"""Feedback while a slow command works: a spinner on stderr, for a person watching only.

It shows when stderr is a terminal, ``NO_COLOR`` is unset and ``--quiet`` was not given, and
stops (clearing its line) before the command's first output, so stdout stays exactly what the
command prints (pipes and files get no spinner characters).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

# The commands that plan (seconds) before they print, and what the spinner says meanwhile.
SLOW = {
    "plan": "planning offline",
    "render": "planning offline",
    "cost": "planning and pricing",
    "timeline": "planning and timing",
    "diagram": "planning",
    "check": "planning and checking",
    "api-doc": "merging the API documents",
}
QUIET = ("--quiet", "-q")


def _command(args: list[str]) -> tuple[str | None, bool]:
    """The command named in ``args`` and whether ``--quiet`` came before it."""
    for index, arg in enumerate(args):
        if not arg.startswith("-"):
            return arg, any(a in QUIET for a in args[:index])
    return None, any(a in QUIET for a in args)


def wanted(quiet: bool) -> bool:
    """A spinner only for a person: stderr a terminal, no NO_COLOR, no --quiet."""
    return not quiet and not os.environ.get("NO_COLOR") and sys.stderr.isatty()


class _StopOnWrite:
    """``sys.stdout`` while the spinner runs: the first write stops the spinner, then passes."""

    def __init__(self, stream: IO[str], stop: Any) -> None:
        self._stream = stream
        self._stop = stop

    def write(self, text: str) -> int:
        self._stop()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def spinner_for(args: list[str]) -> Iterator[None]:
    """Run the command of ``args`` with a spinner if it is slow and someone is watching."""
    command, quiet = _command(args)
    if command not in SLOW or "--help" in args or not wanted(quiet):
        yield
        return
    from rich.console import Console

    status = Console(stderr=True).status(f"{SLOW[command]}…", spinner="dots")
    stdout = sys.stdout
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            status.stop()
            sys.stdout = stdout

    status.start()
    sys.stdout = _StopOnWrite(stdout, stop)
    try:
        yield
    finally:
        stop()
