"""One virtualenv for running generated services locally (tests, benchmarks, ``dev``).

The pinned runtime dependencies of a generated service (``versions.SERVICE_DEPENDENCIES``, plus
the test tools when asked) are installed once into a venv under the temp dir, keyed by a hash of
the pins and the interpreter, so a pin change builds a new one; each service is then installed
into it with ``--no-deps``. An exclusive file lock serializes concurrent builders.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from marketplace_kit.errors import KitError
from marketplace_kit.platform import versions

# What a generated service's CI runs besides its code: its tests, its fuzzer and its linters.
TEST_TOOLS = ("pytest", "pytest-asyncio", "httpx", "schemathesis", "ruff", "mypy")


def requirements() -> list[str]:
    """Every pin a generated service needs to run, and to run its own CI's steps."""
    pins = dict(versions.SERVICE_DEPENDENCIES)
    pins.update({k: versions.SERVICE_DEV_DEPENDENCIES[k] for k in TEST_TOOLS})
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def _pip(python: Path, *args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *args],
        capture_output=True, text=True, env=env, check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise KitError(f"pip install failed: {lines[-1] if lines else result.returncode}")


def service_venv() -> Path:
    """The shared venv directory (built on first use)."""
    key = hashlib.sha256("\n".join([sys.version, *requirements()]).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"marketplace-kit-service-venv-{key}"
    with open(f"{root}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".complete").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            _pip(root / "bin" / "python", "setuptools>=68", "wheel", *requirements())
            (root / ".complete").write_text("ok\n")
    return root


def install_service(venv: Path, service_dir: Path) -> None:
    """Install a generated service into the venv (its dependencies are already there)."""
    _pip(venv / "bin" / "python", "--no-deps", "--no-build-isolation", str(service_dir))
