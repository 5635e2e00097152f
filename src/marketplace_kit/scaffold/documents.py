"""Writing a generated service's API documents with its own command, where it can run.

``new-service`` and ``update-service`` run ``python -m <package> documents`` in the service's
directory with this interpreter and ``PYTHONPATH=<service>/src`` (as ``dev`` runs services), so
the files the platform reads match the code just written. Without the service's dependencies in
this environment (a plain ``pip install marketplace-kit``) that cannot work: the caller is told
which command to run once they are installed, and nothing else changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from marketplace_kit.contract.service_documents import COMMAND, command

TIMEOUT = 120.0


def write_documents(directory: Path, package: str) -> str | None:
    """Run the service's documents command in ``directory``; None when it wrote them, else why
    not and what to run instead (one line)."""
    env = {**os.environ, "PYTHONPATH": str(directory.absolute() / "src")}
    try:
        done = subprocess.run([sys.executable, "-m", package, COMMAND], cwd=directory, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"{directory}: `{command(package)}` took over {TIMEOUT:.0f}s; run it yourself"
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return (f"{directory}: its API documents were not written ({last}); run `{command(package)}` "
            "there once its dependencies are installed (pip install -e '.[dev]'), and commit "
            "openapi.json and asyncapi.json")
