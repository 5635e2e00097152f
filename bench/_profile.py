"""py-spy attached to a server under load, and where its CPU time went.

``Profiler`` samples a running process (``py-spy record --pid``, raw collapsed stacks, by
function) while a load round runs; ``Profile`` reads the stacks and answers with shares of
the CPU samples (idle time in the event loop's poll is not sampled): by area (the package of
the innermost frame that is not the standard library), and the top functions, inclusive and self.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")
SITE = re.compile(r"/site-packages/(?P<pkg>[A-Za-z0-9_]+)")
STDLIB = re.compile(r"/lib/python3\.\d+/(?P<mod>[A-Za-z0-9_]+)")
AREAS = {
    "uvicorn": "HTTP server (uvicorn, httptools)",
    "httptools": "HTTP server (uvicorn, httptools)",
    "starlette": "FastAPI + Starlette (routing, dependencies, responses)",
    "fastapi": "FastAPI + Starlette (routing, dependencies, responses)",
    "pydantic": "pydantic (validation, serialization)",
    "pydantic_core": "pydantic (validation, serialization)",
    "asyncpg": "asyncpg (PostgreSQL protocol)",
    "aiokafka": "aiokafka (Kafka producer)",
    "opentelemetry": "OpenTelemetry (context, propagation)",
    "prometheus_client": "prometheus-client (metrics)",
}
LOOP = "event loop (asyncio, uvloop, task switches)"


def py_spy() -> str:
    """The py-spy executable next to this interpreter (the dev extra), else on PATH."""
    here = Path(sys.executable).with_name("py-spy")
    found = str(here) if here.exists() else shutil.which("py-spy")
    if found is None:
        sys.exit("error: py-spy is not installed; fix: pip install -e '.[dev]' (it pins py-spy)")
    return found


class Profiler:
    """``with Profiler(pid, out):`` samples ``pid`` until the block ends (py-spy, SIGINT)."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        self.command = [py_spy(), "record", "--pid", str(pid), "--rate", str(rate), "--format",
                        "raw", "--function", "--full-filenames", "--output", str(out)]
        self.out = out
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        _, stderr = self.process.communicate(timeout=60)
        if not self.out.exists():
            raise RuntimeError(f"py-spy wrote no profile: {stderr.decode()[-500:]}")


def area(path: str, package: str) -> str | None:
    """The area a frame's file belongs to; None for the standard library."""
    if f"/{package}/" in path:
        return f"the service's code ({package})"
    site = SITE.search(path)
    if site:
        name = site["pkg"]
        return AREAS.get(name, name) if name != "uvloop" else LOOP
    return None


@dataclass
class Profile:
    """Collapsed stacks: ``stacks[(frame, ...)] = samples`` (outermost frame first)."""

    package: str
    stacks: Counter[tuple[str, ...]] = field(default_factory=Counter)
    requests: int = 0  # served while sampling
    rate: int = 200

    @classmethod
    def read(cls, raw: Path, package: str) -> Profile:
        profile = cls(package)
        for line in raw.read_text(encoding="utf-8").splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                profile.stacks[tuple(stack.split(";"))] += int(count)
        return profile

    @property
    def total(self) -> int:
        return sum(self.stacks.values())

    def ms_per_request(self, samples: int) -> float:
        """Sampled milliseconds per request served."""
        return 1000 * samples / self.rate / max(self.requests, 1)

    def by_area(self) -> Counter[str]:
        """Samples per area of the innermost non-stdlib frame (stdlib only: the event loop)."""
        areas: Counter[str] = Counter()
        for stack, n in self.stacks.items():
            named = (area(_path(f), self.package) for f in reversed(stack))
            areas[next((a for a in named if a is not None), LOOP)] += n
        return areas

    def inclusive(self, wanted: Callable[[str], bool]) -> Counter[str]:
        """Samples with each ``wanted`` function on the stack."""
        seen: Counter[str] = Counter()
        for stack, n in self.stacks.items():
            for frame in {_short(f) for f in stack}:
                if wanted(frame):
                    seen[frame] += n
        return seen

    def top(self, count: int, inclusive: bool) -> list[tuple[str, float]]:
        """The ``count`` functions with the most samples, inclusive (on the stack) or self."""
        seen: Counter[str] = Counter()
        for stack, n in self.stacks.items():
            for frame in set(stack) if inclusive else {stack[-1]}:
                seen[_short(frame)] += n
        return [(name, n / self.total) for name, n in seen.most_common(count)]


def _path(frame: str) -> str:
    match = FRAME.match(frame)
    return match["path"] if match else ""


def _short(frame: str) -> str:
    """``func (pkg/module.py)``: the path from the package down."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["path"]
    for pattern in (SITE, STDLIB):
        found = pattern.search(path)
        if found:
            path = path[found.start() + len(found.group(0)) - len(found.group(1)):]
            break
    else:
        path = "/".join(path.split("/")[-2:])
    return f"{match['func']} ({path})"
