"""Run a generated service as a real process, the way ``marketplace-kit dev`` does (its
``LocalService``: ``python -m <package> serve`` under uvicorn, the service's ``src`` on
PYTHONPATH, this interpreter), configured by environment variables only.

Used by the failure tests, which stop and restart the infrastructure under running services.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from marketplace_kit.config import SERVICE_FILE, load_service
from marketplace_kit.devenv import free_port
from marketplace_kit.devrun.services import LocalService
from marketplace_kit.scaffold import make_answers, render_service


def generate(parent: Path, name: str, **answers: Any) -> Path:
    """Render a new service ``name`` under ``parent``; returns its directory."""
    dest = parent / name
    render_service(make_answers(name=name, **answers), dest)
    return dest


@dataclass
class ServiceProcess:
    """A generated service listening on 127.0.0.1:port; ``stop`` sends SIGTERM."""

    source: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None  # default: <source>/service.log

    @property
    def service(self) -> LocalService:
        return LocalService(load_service(self.source / SERVICE_FILE), self.source)

    @property
    def log(self) -> Path:
        """stdout and stderr of the process (JSON log lines)."""
        return self.log_file or self.source / "service.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until /healthz answers (the lifespan migrated and connected)."""
        service = self.service
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        values = {"HOST": "127.0.0.1", "PORT": str(self.port), "LOG_LEVEL": "INFO", **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                service.command(), env=service.environment(base, values),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{service.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{service.name} did not answer within {timeout}s")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful), SIGKILL after ``timeout`` s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye to the broker (a crash)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``condition()`` until it returns a truthy value; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
