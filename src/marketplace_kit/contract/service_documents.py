"""Each service's OpenAPI and AsyncAPI documents: files in its own repository, read, never built.

A generated service writes ``openapi.json`` and ``asyncapi.json`` beside its ``service.yaml``
with its own command (``python -m <package> documents``; ``--check`` in its CI and tests fails
when they are stale). The platform (``plan``, ``render``, ``api-doc``, the ApiDocs add-on) and
the portal (``catalog-info.yaml``) read those files and never import the service's code, so the
platform team's machine needs none of the services' dependencies.

Each document carries ``x-source-digest``: ``source_digest`` of the service's package directory
when the document was written (the service's ``documents.py`` computes the same digest; the
tests cross that seam with a real service's output). A missing, unreadable or stale document is
one ``KitError`` naming the service and the command that writes it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_kit.errors import KitError

OPENAPI_FILE = "openapi.json"
ASYNCAPI_FILE = "asyncapi.json"
DIGEST_KEY = "x-source-digest"
COMMAND = "documents"  # python -m <package> documents [--check]


@dataclass(frozen=True)
class ServiceDocuments:
    """What a service documents about itself.

    Attributes:
        openapi: Its OpenAPI document (also served at ``<prefix>/openapi.json``).
        asyncapi: Its AsyncAPI document (also served at ``<prefix>/asyncapi.json``); None if it
            has none.
    """

    openapi: dict[str, Any]
    asyncapi: dict[str, Any] | None


def command(package: str) -> str:
    """The command, run in the service's directory, that writes its documents."""
    return f"python -m {package} {COMMAND}"


def source_digest(package_dir: Path) -> str:
    """``sha256:<hex>`` over every ``.py`` file under ``package_dir`` (its path relative to the
    directory, then its bytes), in path order: what the documents were built from."""
    digest = hashlib.sha256()
    files = sorted(p for p in package_dir.rglob("*.py")
                   if p.is_file() and "__pycache__" not in p.relative_to(package_dir).parts)
    for path in files:
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def _read(name: str, package: str, directory: Path, file: str) -> dict[str, Any] | None:
    """The document in ``file`` (None if absent), checked to be an object of this source."""
    path = directory / file
    fix = f"fix: run `{command(package)}` in {directory}"
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KitError(f"{name}: {path} cannot be read as JSON ({exc}); {fix}") from None
    if not isinstance(document, dict):
        raise KitError(f"{name}: {path} is not a JSON object; {fix}")
    written = document.get(DIGEST_KEY)
    if written != source_digest(directory / "src" / package):
        why = "has no x-source-digest" if written is None else f"src/{package} changed since"
        raise KitError(f"{name}: {path} is stale ({why}); {fix}")
    return document


def service_documents(name: str, package: str, directory: Path) -> ServiceDocuments:
    """The OpenAPI and AsyncAPI documents the service at ``directory`` wrote."""
    openapi = _read(name, package, directory, OPENAPI_FILE)
    if openapi is None:
        raise KitError(f"{name}: no {OPENAPI_FILE} in {directory}; fix: run "
                       f"`{command(package)}` in {directory} and commit the files it writes")
    return ServiceDocuments(openapi, _read(name, package, directory, ASYNCAPI_FILE))
