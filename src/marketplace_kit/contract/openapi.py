"""One API document: the services' OpenAPI documents merged into the gateway's.

Used by the local front door (``devrun/gateway.py``), ``api-doc`` and the plan's ApiDocs add-on: a
path declared by two services, a path the gateway does not route to the service declaring it, or
one component name (schema, response, ...) defined differently by two, is a one-line
``error: ... fix: ...``, never a silently shadowed definition or a silently dropped API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace_kit.contract.routing import IN_CLUSTER_PATHS, routed
from marketplace_kit.errors import KitError

TITLE = "marketplace API"


def merge_openapi(documents: Mapping[str, Mapping[str, Any]], prefixes: Mapping[str, str],
                  title: str = TITLE, version: str = "1") -> dict[str, Any]:
    """``{service: its OpenAPI document}`` -> one document with every path the gateway routes
    to it (``prefixes``: each service's route prefix) and every component. The probe and
    metrics paths (``routing.IN_CLUSTER_PATHS``) stay in-cluster and are left out.

    Raises KitError on a path two services declare, a path the gateway would not route to the
    service that declares it (its route prefix no longer matches its code: that API would be
    unreachable), a component name two services define differently, or documents of different
    OpenAPI versions.
    """
    versions = {d.get("openapi") for d in documents.values()}
    if len(versions) != 1:
        raise KitError(f"the services' OpenAPI versions differ ({sorted(map(str, versions))}); "
                       "fix: generate every service with the same template version")
    declared = {service: _section(document, "paths", service)
                for service, document in sorted(documents.items())}
    paths = _routed_paths(declared, prefixes)
    components: dict[str, dict[str, Any]] = {}
    component_owner: dict[tuple[str, str], str] = {}
    tags: dict[str, Any] = {}
    for service, document in sorted(documents.items()):
        sections = _section(document, "components", service)
        for section in sections:
            merged = components.setdefault(section, {})
            for name, definition in _section(sections, section, service).items():
                if name in merged and merged[name] != definition:
                    raise KitError(
                        f"components.{section}.{name} differs between "
                        f"{component_owner[(section, name)]} and {service}; fix: rename it in "
                        "one of them (a model's class name is its schema name)")
                merged[name] = definition
                component_owner.setdefault((section, name), service)
        listed = document.get("tags", [])
        for tag in listed if isinstance(listed, list) else []:
            if isinstance(tag, dict) and "name" in tag:
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


def _routed_paths(declared: Mapping[str, Mapping[str, Any]],
                  prefixes: Mapping[str, str]) -> dict[str, Any]:
    """Every declared path but the in-cluster ones: each declared by one service only, and
    routed to it by the gateway."""
    owner: dict[str, str] = {}
    paths: dict[str, Any] = {}
    for service, items in declared.items():
        for path, item in items.items():
            if path in IN_CLUSTER_PATHS:
                continue
            if path in owner:
                raise KitError(f"path {path} is served by both {owner[path]} and {service} (both "
                               "OpenAPI documents declare it); fix: give each service its own "
                               "paths under its own route prefix (a copied service keeps the "
                               "original's), then write its documents again")
            owner[path], paths[path] = service, item
    for service, items in declared.items():
        prefix = prefixes[service]
        for path in items:
            if path not in IN_CLUSTER_PATHS and not routed(prefix, path):
                raise KitError(f"{service}: its OpenAPI document declares {path}, which the "
                               f"gateway does not route to it (its route prefix is {prefix}, "
                               "so that API would be unreachable); fix: set path: in its "
                               "service.yaml to the prefix its code serves, or serve its "
                               "routes under that prefix and write its documents again")
    return paths


def _section(document: Mapping[str, Any], key: str, service: str) -> Mapping[str, Any]:
    """``document[key]``, an object (absent: empty), or a one-line KitError."""
    value = document.get(key, {})
    if not isinstance(value, Mapping):
        raise KitError(f"{service}: {key} in its OpenAPI document is not an object; fix: write "
                       "its documents again with its own documents command")
    return value
