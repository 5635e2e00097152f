"""One virtualenv for every generated service the tests install (shared, cached by its pins).

The pinned runtime and test dependencies of a generated service are installed once into a venv
under the temp dir, keyed by a hash of the pins (so a pin change builds a new one); each
generated service is then installed into it with ``--no-deps``. A file lock serializes builders.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from filelock import FileLock

from marketplace_kit.platform import versions

TEST_TOOLS = ("pytest", "pytest-asyncio", "httpx")


def requirements() -> list[str]:
    """Every pin a generated service needs to run its own tests."""
    pins = dict(versions.SERVICE_DEPENDENCIES)
    pins.update({k: versions.SERVICE_DEV_DEPENDENCIES[k] for k in TEST_TOOLS})
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def service_venv() -> Path:
    """The shared venv (built on first use); returns its directory."""
    key = hashlib.sha256("\n".join([sys.version, *requirements()]).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"marketplace-kit-service-venv-{key}"
    with FileLock(f"{root}.lock"):
        if not (root / ".complete").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
            env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
            subprocess.run([*pip, "setuptools>=68", "wheel", *requirements()], check=True, env=env)
            (root / ".complete").write_text("ok\n")
    return root


def install_service(venv: Path, service_dir: Path) -> None:
    """Install a generated service into the venv (its dependencies are already there)."""
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
         "--no-build-isolation", str(service_dir)],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
    )
