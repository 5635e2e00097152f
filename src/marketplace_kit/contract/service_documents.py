"""Each service's OpenAPI (and AsyncAPI) document, from its own code, without running it.

``create_app().openapi()`` in a subprocess (``PYTHONPATH=<service>/src``, this interpreter, the
container contract's variables set to placeholders: nothing is connected to). The merged
document (``contract/openapi.py``) is then built before anything is deployed, so a path or
schema-name conflict between services is an error on the author's machine or in CI.

A build takes seconds per service (the service's imports), and ``plan`` needs it on every run:
results are cached on disk by a hash of the service's ``src/`` tree, this Python and the
versions of FastAPI and pydantic (``$MARKETPLACE_KIT_CACHE_DIR``, else
``$XDG_CACHE_HOME/marketplace-kit``, else ``~/.cache/marketplace-kit``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from marketplace_kit.contract import container as contract
from marketplace_kit.errors import KitError

SCRIPT = """\
import importlib, importlib.util, json, sys
from {package} import __version__
from {package}.app import create_app
asyncapi = None
if importlib.util.find_spec("{package}.asyncapi") is not None:
    asyncapi = importlib.import_module("{package}.asyncapi").document(__version__)
sys.stdout.write(json.dumps({{"openapi": create_app().openapi(), "asyncapi": asyncapi}}))
"""
CACHE_ENV = "MARKETPLACE_KIT_CACHE_DIR"
# With tokens on the platform, a service documents its bearer security (401/403 included): a
# JWKS URL turns its auth on (nothing is fetched while the document is built).
PLACEHOLDER_JWKS_URL = "https://issuer.invalid/.well-known/jwks.json"
TIMEOUT = 120.0


@dataclass(frozen=True)
class ServiceDocuments:
    """What a service documents about itself.

    Attributes:
        openapi: Its OpenAPI document (``<prefix>/openapi.json``).
        asyncapi: Its AsyncAPI document (``<prefix>/asyncapi.json``); None if it has none.
    """

    openapi: dict[str, Any]
    asyncapi: dict[str, Any] | None


def cache_dir() -> Path:
    """Where built documents are cached."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "marketplace-kit"


def _fingerprint(name: str, package: str, directory: Path, auth: bool) -> str:
    digest = hashlib.sha256(f"{name}\0{package}\0{auth}\0{sys.version}\0{SCRIPT}".encode())
    for dist in ("fastapi", "pydantic"):
        try:
            digest.update(f"\0{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{dist}=none".encode())
    src = directory.resolve() / "src"
    for path in sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".pyo")):
        digest.update(f"\0{path.relative_to(src).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def service_documents(name: str, package: str, directory: Path,
                      auth: bool = False) -> ServiceDocuments:
    """The OpenAPI and AsyncAPI documents of the service at ``directory`` (cached on disk);
    ``auth``: as it serves them with tokens on."""
    key = _fingerprint(name, package, directory, auth)
    cached = cache_dir() / "service-documents" / f"{key}.json"
    try:
        found = json.loads(cached.read_text(encoding="utf-8"))
        return ServiceDocuments(found["openapi"], found["asyncapi"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    built = _build(name, package, directory, auth)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({"openapi": built.openapi, "asyncapi": built.asyncapi}),
                           encoding="utf-8")
        partial.replace(cached)
    except OSError:
        pass  # an unwritable cache only costs time
    return built


def _build(name: str, package: str, directory: Path, auth: bool) -> ServiceDocuments:
    env = {**os.environ, "PYTHONPATH": str(directory.resolve() / "src"),
           contract.SERVICE_NAME.name: name, contract.PORT.name: "8000",
           contract.DATABASE_URL.name: "postgresql://placeholder@127.0.0.1:1/placeholder",
           contract.KAFKA_BOOTSTRAP_SERVERS.name: "127.0.0.1:1"}
    if auth:
        env[contract.AUTH_JWKS_URL] = PLACEHOLDER_JWKS_URL
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
        found = json.loads(done.stdout)
        return ServiceDocuments(dict(found["openapi"]), found["asyncapi"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise KitError(f"{name}: create_app().openapi() printed no JSON; fix: keep stdout free "
                       "of other output at import time") from None
