"""Child-process output, one line at a time, prefixed with the service name (colored on a tty)."""

from __future__ import annotations

import os
import sys
import threading
from typing import IO

COLORS = ("36", "33", "35", "32", "34", "91", "96", "93")


def use_color(stream: IO[str]) -> bool:
    """Color when writing to a terminal, unless NO_COLOR is set (FORCE_COLOR forces it)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


class Prefixer:
    """Writes lines as ``name | line`` to one stream, whole lines at a time from any thread."""

    def __init__(self, names: list[str], stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.width = max((len(n) for n in names), default=4)
        self.color = use_color(self.stream)
        self._codes = {n: COLORS[i % len(COLORS)] for i, n in enumerate(names)}
        self._lock = threading.Lock()

    def label(self, name: str) -> str:
        """The prefix of ``name``'s lines."""
        text = f"{name:<{self.width}} |"
        code = self._codes.get(name)
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and code else text

    def line(self, name: str, text: str) -> None:
        """Write one line (dropped once the stream is gone, e.g. the terminal was closed: the
        run must still stop everything cleanly)."""
        with self._lock:
            try:
                self.stream.write(f"{self.label(name)} {text.rstrip()}\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def pump(self, name: str, source: IO[bytes]) -> threading.Thread:
        """Copy ``source`` line by line until it closes, in a daemon thread."""

        def copy() -> None:
            for raw in iter(source.readline, b""):
                self.line(name, raw.decode("utf-8", "replace"))
            source.close()

        thread = threading.Thread(target=copy, name=f"logs-{name}", daemon=True)
        thread.start()
        return thread
