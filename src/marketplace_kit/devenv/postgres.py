"""A real PostgreSQL cluster in a temporary directory on a free loopback port.

The server binaries are found under ``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql``) or on
PATH. ``initdb`` refuses to run as root, so as root every server command runs through
``runuser -u postgres --`` and the cluster directory belongs to that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from marketplace_kit.errors import KitError

SERVER_USER = "postgres"


def find_bin_dir() -> Path:
    """The newest PostgreSQL server bin directory, or a KitError saying how to install one."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise KitError("PostgreSQL server binaries not found; fix: apt-get install postgresql")


def _as_server_user() -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


class Postgres(LocalServer):
    """A throwaway cluster: ``start``/``stop``/``restart``, ``create_database``, ``url``.

    ``durable=False`` (the default, for tests and benchmarks) turns fsync off: fast, and a
    crash of the machine loses the cluster, which is thrown away anyway.
    """

    def __init__(self, port: int | None = None, *, durable: bool = False) -> None:
        self.port = port or free_port()
        self.durable = durable
        self.bin_dir = find_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="mk-postgres-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "postgres.log"
        self._initialized = False

    def _run(self, *command: str, server_user: bool = True) -> None:
        prefix = _as_server_user() if server_user else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit {result.returncode}"
            raise KitError(f"{Path(command[0]).name} failed: {last}")

    def url(self, database: str = "postgres") -> str:
        """A DATABASE_URL for ``database`` (trust authentication on loopback)."""
        return f"postgresql://{SERVER_USER}@{LOOPBACK}:{self.port}/{database}"

    def init(self) -> None:
        """Create the cluster directory (initdb) once."""
        if self._initialized:
            return
        if os.geteuid() == 0:
            shutil.chown(self.root, user=SERVER_USER)
        initdb = str(self.bin_dir / "initdb")
        self._run(initdb, "-D", str(self.data_dir), "-U", SERVER_USER, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        self._initialized = True

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (initdb first if needed) and wait until it accepts connections."""
        self.init()
        options = f"-p {self.port} -k {self.root} -c listen_addresses={LOOPBACK}"
        options += " -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        pg_ctl = str(self.bin_dir / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options,
                  "-w", "-t", str(int(timeout)), "start")
        wait_for_port(self.port, timeout, what="PostgreSQL")

    def server_pid(self) -> int:
        """The postmaster's pid (from ``postmaster.pid``), 0 when not running."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return 0
        return int(first) if first.strip().isdigit() else 0

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are disconnected)."""
        if (self.data_dir / "postmaster.pid").exists():
            pg_ctl = str(self.bin_dir / "pg_ctl")
            self._run(pg_ctl, "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop and start again on the same port; data is kept."""
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        createdb = str(self.bin_dir / "createdb")
        self._run(createdb, "-h", LOOPBACK, "-p", str(self.port), "-U", SERVER_USER, name,
                  server_user=False)
        return self.url(name)

    def close(self) -> None:
        """Stop the server and delete the cluster directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
