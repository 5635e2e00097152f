"""This service's API documents as files in its repository: ``openapi.json`` and
``asyncapi.json`` beside ``service.yaml``.

``python -m order documents`` writes them; ``--check`` fails when they are
stale (its CI and ``tests/test_documents.py`` run it). The platform (``marketplace-kit plan``,
``render``, ``api-doc``, the gateway's API-docs add-on) and the portal (``catalog-info.yaml``)
read these files and never import this code. Each carries ``x-source-digest``, the
SHA-256 of every ``.py`` file under ``src/order`` (by path), so the platform can tell a
stale file without running anything.

They are built with auth on (a placeholder JWKS URL; nothing is fetched): the contract of the
service on a platform whose user service issues tokens. Nothing is connected to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
OPENAPI_FILE = "openapi.json"
ASYNCAPI_FILE = "asyncapi.json"
DIGEST_KEY = "x-source-digest"
COMMAND = "python -m order documents"
PLACEHOLDERS: dict[str, Any] = {
    "service_name": "order",
    "route_prefix": "/order",
    "database_url": "postgresql://placeholder@127.0.0.1:1/placeholder",
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "auth_jwks_url": "https://issuer.invalid/.well-known/jwks.json",
}


def source_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """``sha256:<hex>`` over every ``.py`` file under ``package_dir`` (its relative path, then its
    bytes), in path order (the platform computes the same: marketplace_kit.contract)."""
    digest = hashlib.sha256()
    files = sorted(p for p in package_dir.rglob("*.py")
                   if p.is_file() and "__pycache__" not in p.relative_to(package_dir).parts)
    for path in files:
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def build() -> dict[str, dict[str, Any]]:
    """``{file name: document}``, built from this code."""
    from order import __version__, asyncapi
    from order.app import create_app
    from order.settings import Settings

    digest = {DIGEST_KEY: source_digest()}
    openapi = create_app(Settings(**PLACEHOLDERS)).openapi()
    return {OPENAPI_FILE: {**openapi, **digest},
            ASYNCAPI_FILE: {**asyncapi.document(__version__), **digest}}


def text(document: dict[str, Any]) -> str:
    """A document as it is written (2-space JSON, a final newline)."""
    return json.dumps(document, indent=2) + "\n"


def stale(directory: Path) -> list[str]:
    """The document files in ``directory`` that are missing or differ from a fresh build."""
    found = []
    for name, document in build().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text(document):
            found.append(name)
    return found


def main(argv: list[str]) -> int:
    """Write the documents into the service's directory (default: the current one), or check
    them (``--check``: exit 1 naming what is stale)."""
    parser = argparse.ArgumentParser(prog=COMMAND, description="Write (or check) this "
                                     f"service's {OPENAPI_FILE} and {ASYNCAPI_FILE}.")
    parser.add_argument("--check", action="store_true", help="fail if they are stale")
    parser.add_argument("--dir", type=Path, default=Path("."),
                        help="the service's directory (default: the current one)")
    args = parser.parse_args(argv)
    if not (args.dir / "service.yaml").is_file():
        print(f"error: {args.dir.resolve()} has no service.yaml; fix: run `{COMMAND}` in the "
              "service's directory (or pass --dir)", file=sys.stderr)
        return 2
    if args.check:
        outdated = stale(args.dir)
        if outdated:
            print(f"error: {', '.join(outdated)} stale; fix: run `{COMMAND}` and commit the files",
                  file=sys.stderr)
            return 1
        print(f"{OPENAPI_FILE} and {ASYNCAPI_FILE} are up to date")
        return 0
    for name, document in build().items():
        partial = args.dir / f".{name}.partial"
        partial.write_text(text(document), encoding="utf-8")
        partial.replace(args.dir / name)
    print(f"wrote {OPENAPI_FILE} and {ASYNCAPI_FILE}")
    return 0
