"""One plan per set of inputs: ``plan`` and every view of it (``cost``, ``timeline``,
``diagram``, ``check``, ``render``) share the platform's plan through a cache on disk.

The key is a hash of everything the plan reads: the config file's bytes (and the parsed config,
which covers the built-in blueprints), each service's ``service.yaml``, ``openapi.json`` and
``asyncapi.json`` bytes and the digest of its source the documents are checked against, the kit's
version and every file of the installed kit, the installed versions of the SDKs and other
dependencies, and the Python version. A changed input is another key: a stale plan is never read.
Entries live in ``<cache_dir>/plans`` (``home.cache_dir``); with no home there is no cache.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from marketplace_kit import __version__, home
from marketplace_kit.blueprints import plan_store as store
from marketplace_kit.blueprints import program
from marketplace_kit.cache.installed import dependency_versions, kit_digest
from marketplace_kit.config import Platform
from marketplace_kit.contract.service_documents import ASYNCAPI_FILE, OPENAPI_FILE, source_digest
from marketplace_kit.plan.graph import ResourceGraph


def cached_plan(platform: Platform, *, use_cache: bool = True) -> ResourceGraph:
    """The platform's plan: read from the cache when these inputs were planned before, else
    planned (``program.plan_platform``) and stored; ``use_cache=False`` plans and stores nothing."""
    directory = home.cache_dir() if use_cache else None
    key = plan_key(platform) if directory is not None else None
    if directory is None or key is None:
        return program.plan_platform(platform)
    plans = directory / "plans"
    graph = store.load(plans, key)
    if graph is None:
        graph = program.plan_platform(platform)
        store.save(plans, key, graph)
    return graph


def plan_key(platform: Platform) -> str | None:
    """The hash of every input of the platform's plan; None when one cannot be read (the plan
    then runs uncached and reports it)."""
    digest = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + len(data).to_bytes(8, "big") + data)

    try:
        part("python", sys.version.encode())
        part("kit", f"{__version__} {kit_digest()}".encode())
        part("dependencies", json.dumps(dependency_versions()).encode())
        part("config", platform.config.model_dump_json().encode())
        part("config file", _bytes(platform.source))
        for spec in sorted(platform.services, key=lambda s: s.name):
            file = platform.service_files.get(spec.name)
            part("service", spec.name.encode())
            part("service model", spec.model_dump_json().encode())
            if file is None:
                continue
            part("service.yaml", _bytes(file))
            part(OPENAPI_FILE, _bytes(file.parent / OPENAPI_FILE))
            part(ASYNCAPI_FILE, _bytes(file.parent / ASYNCAPI_FILE))
            part("source", source_digest(file.parent / "src" / spec.package).encode())
    except OSError:
        return None
    return digest.hexdigest()


def _bytes(path: Path | None) -> bytes:
    """A file's bytes; a marker for no file (the built-in blueprints, an absent document)."""
    if path is None or not path.is_file():
        return b"\0absent"
    return path.read_bytes()
