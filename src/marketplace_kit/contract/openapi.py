"""One API document: the services' OpenAPI documents merged into the gateway's.

Used by the local front door (``devrun/gateway.py``) and meant for the plan: a path served by two
services, or one component name (schema, response, ...) defined differently by two, is a
one-line ``error: ... fix: ...``, never a silently shadowed definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace_kit.errors import KitError

TITLE = "marketplace API"


def merge_openapi(documents: Mapping[str, Mapping[str, Any]], prefixes: Mapping[str, str],
                  title: str = TITLE, version: str = "1") -> dict[str, Any]:
    """``{service: its OpenAPI document}`` -> one document with every path the gateway routes
    to it (under its route prefix in ``prefixes``; probes such as ``/healthz`` stay in-cluster)
    and every component.

    Raises KitError on a path two services serve, a component name two services define
    differently, or documents of different OpenAPI versions.
    """
    versions = {d.get("openapi") for d in documents.values()}
    if len(versions) != 1:
        raise KitError(f"the services' OpenAPI versions differ ({sorted(map(str, versions))}); "
                       "fix: generate every service with the same template version")
    paths: dict[str, Any] = {}
    path_owner: dict[str, str] = {}
    components: dict[str, dict[str, Any]] = {}
    component_owner: dict[tuple[str, str], str] = {}
    tags: dict[str, Any] = {}
    for service, document in sorted(documents.items()):
        prefix = prefixes[service].rstrip("/")
        for path, item in document.get("paths", {}).items():
            if not path.startswith(prefix + "/"):
                continue
            if path in paths:
                raise KitError(f"path {path} is served by both {path_owner[path]} and {service}; "
                               "fix: give each service its own route prefix")
            paths[path], path_owner[path] = item, service
        for section, named in document.get("components", {}).items():
            merged = components.setdefault(section, {})
            for name, definition in named.items():
                if name in merged and merged[name] != definition:
                    raise KitError(
                        f"components.{section}.{name} differs between "
                        f"{component_owner[(section, name)]} and {service}; fix: rename it in "
                        "one of them (a model's class name is its schema name)")
                merged[name] = definition
                component_owner.setdefault((section, name), service)
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
    described = "Every service behind the gateway: " + ", ".join(sorted(documents))
    merged_doc: dict[str, Any] = {
        "openapi": versions.pop(),
        "info": {"title": title, "version": version, "description": described},
        "paths": dict(sorted(paths.items())),
    }
    if components:
        merged_doc["components"] = {s: dict(sorted(n.items())) for s, n in components.items()}
    if tags:
        merged_doc["tags"] = list(tags.values())
    return merged_doc
