"""Each service's OpenAPI document, from its own code, without running it.

``create_app().openapi()`` in a subprocess (``PYTHONPATH=<service>/src``, this interpreter, the
container contract's variables set to placeholders: nothing is connected to). The merged
document (``contract/openapi.py``) is then built before anything is deployed, so a path or
schema-name conflict between services is an error on the author's machine or in CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from marketplace_kit.contract import container as contract
from marketplace_kit.errors import KitError

SCRIPT = ("import json, sys\nfrom {package}.app import create_app\n"
          "sys.stdout.write(json.dumps(create_app().openapi()))\n")
TIMEOUT = 120.0


def service_document(name: str, package: str, directory: Path) -> dict[str, Any]:
    """The OpenAPI document the service at ``directory`` serves."""
    env = {**os.environ, "PYTHONPATH": str(directory.resolve() / "src"),
           contract.SERVICE_NAME.name: name, contract.PORT.name: "8000",
           contract.DATABASE_URL.name: "postgresql://placeholder@127.0.0.1:1/placeholder",
           contract.KAFKA_BOOTSTRAP_SERVERS.name: "127.0.0.1:1"}
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT.format(package=package)], env=env,
                              cwd=directory, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise KitError(f"{name}: building its OpenAPI document took over {TIMEOUT:.0f}s; fix: "
                       f"run `python -m {package}` in {directory} to see why") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise KitError(f"{name}: its OpenAPI document could not be built ({last}); fix: install "
                       "the services' dependencies (pip install 'marketplace-kit[local]') or fix "
                       "the service's code")
    try:
        document: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise KitError(f"{name}: create_app().openapi() printed no JSON; fix: keep stdout free "
                       "of other output at import time") from None
    return document
