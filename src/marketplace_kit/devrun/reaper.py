"""No orphans from ``marketplace-kit dev``, whatever killed it.

Each run records what it starts (processes with their start time, temporary directories) in a
registry file of its own, ``<tmp>/marketplace-kit-dev-<uid>/<pid>.json``, rewritten atomically
as it goes and removed once everything is stopped. The next run reaps what a dead run left:
each recorded process still alive *with the recorded start time* (so a reused pid is never
touched) is stopped (its process group when it leads one), then killed after a grace period,
and each directory removed. Process identity comes from ``/proc``; where there is none, nothing
is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from marketplace_kit.changeset import replace_file

GRACE_SECONDS = 10.0


def registry_dir() -> Path:
    """Where runs of this user keep their registries (created 0700)."""
    path = Path(tempfile.gettempdir()) / f"marketplace-kit-dev-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def start_time(pid: int) -> str | None:
    """The kernel's start time of running process ``pid`` (None: no such process, a zombie,
    or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie has stopped: nothing to reap
        return None
    return fields[19]  # field 22 of stat(5)


@dataclass
class Recorded:
    """A process a run started: how to recognise it and how to stop it."""

    pid: int
    started: str
    signum: int = signal.SIGTERM
    group: bool = False  # it leads its own process group: signal the whole group

    def alive(self) -> bool:
        """Whether this very process still runs (same pid and start time)."""
        return start_time(self.pid) == self.started

    def send(self, signum: int) -> None:
        try:
            if self.group:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Registry:
    """One run's record of what it started."""

    path: Path
    owner: Recorded
    processes: list[Recorded] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)

    def add_process(self, pid: int, signum: int = signal.SIGTERM, group: bool = False) -> None:
        """Record a process this run started (ignored if it is already gone)."""
        started = start_time(pid)
        if started is not None:
            self.processes.append(Recorded(pid, started, signum, group))
            self._save()

    def add_dir(self, path: Path) -> None:
        """Record a temporary directory this run made."""
        self.dirs.append(str(path))
        self._save()

    def close(self) -> None:
        """Everything is stopped and removed: forget this run."""
        self.path.unlink(missing_ok=True)

    def _save(self) -> None:
        data = {"owner": asdict(self.owner), "processes": [asdict(p) for p in self.processes],
                "dirs": self.dirs}
        replace_file(self.path, json.dumps(data).encode())


def _load(path: Path) -> tuple[Recorded, list[Recorded], list[str]] | None:
    try:
        data = json.loads(path.read_text())
        owner = Recorded(**data["owner"])
        processes = [Recorded(**p) for p in data["processes"]]
        return owner, processes, [str(d) for d in data["dirs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def reap(processes: list[Recorded], dirs: list[str], grace: float = GRACE_SECONDS) -> int:
    """Stop ``processes`` (newest first), kill what outlives ``grace``, remove ``dirs``; the
    number of processes that were still running."""
    running = [p for p in reversed(processes) if p.alive()]
    for process in running:
        process.send(process.signum)
    deadline = time.monotonic() + grace
    while any(p.alive() for p in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    for process in running:
        if process.alive():
            process.send(signal.SIGKILL)
    for directory in dirs:
        shutil.rmtree(directory, ignore_errors=True)
    return len(running)


def open_registry(say: Callable[[str], None] = lambda _: None) -> Registry:
    """Reap what earlier runs that are no longer alive left behind, then start this run's
    registry (``say`` reports what was reaped)."""
    directory = registry_dir()
    for path in sorted(directory.glob("*.json")):
        loaded = _load(path)
        if loaded is None:
            path.unlink(missing_ok=True)
            continue
        owner, processes, dirs = loaded
        if not owner.started or owner.alive():
            continue  # another dev run, still going (or unknowable): not ours to touch
        count = reap(processes, dirs)
        if count or dirs:
            say(f"stopped {count} process(es) and removed {len(dirs)} directory(ies) left by an "
                f"earlier run (pid {owner.pid}) that did not stop cleanly")
        path.unlink(missing_ok=True)
    me = os.getpid()
    owner = Recorded(me, start_time(me) or "")
    registry = Registry(directory / f"{me}.json", owner)
    registry._save()
    return registry
