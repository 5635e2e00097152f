"""`marketplace-kit dev` as a subprocess of a test, stopped (SIGTERM) when the test is done."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The reference marketplace as docs/how-to/run-locally.md names it, from the repository's root.
REFERENCE_CONFIG = "examples/marketplace/marketplace.yaml"


@dataclass
class DevRun:
    """A running `dev`: its info file's content, its log file and its process."""

    info: dict[str, Any]
    log: Path
    process: subprocess.Popen[bytes]


def console_script() -> str:
    """The `marketplace-kit` command of this environment (what `pip install` put on PATH)."""
    return str(Path(sys.executable).parent / "marketplace-kit")


@contextlib.contextmanager
def running_dev(
    config: str, work: Path, *extra: str, cwd: Path = ROOT, ready_within: float = 120
) -> Iterator[DevRun]:
    """Start `marketplace-kit dev --config config --free-ports` in ``cwd`` (``config`` as the docs
    write it: relative to the repository's root by default); yield once its info file exists.
    The info file and the log go to ``work``.

    On exit `dev` gets SIGTERM and ``wait`` (killed after 60 s): ``process.returncode`` and the
    log are then the whole run's.
    """
    info_file, log = work / "info.json", work / "dev.log"
    command = [console_script(), "dev", "--config", config, "--free-ports",
               "--info-file", str(info_file), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                   env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + ready_within
        while not info_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dev did not get ready:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield DevRun(json.loads(info_file.read_text()), log, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
