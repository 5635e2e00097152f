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

CLI = "from marketplace_kit.cli.app import main; main()"


@dataclass
class DevRun:
    """A running `dev`: its info file's content, its log file and its process."""

    info: dict[str, Any]
    log: Path
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def running_dev(
    config: Path, work: Path, *extra: str, ready_within: float = 120
) -> Iterator[DevRun]:
    """Start `dev --config config --free-ports` in ``work``; yield once its info file exists.

    On exit `dev` gets SIGTERM and ``wait`` (killed after 60 s): ``process.returncode`` and the
    log are then the whole run's.
    """
    info_file, log = work / "info.json", work / "dev.log"
    command = [sys.executable, "-c", CLI, "dev", "--config", str(config), "--free-ports",
               "--info-file", str(info_file), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=work,
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
