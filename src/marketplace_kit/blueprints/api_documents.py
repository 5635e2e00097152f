"""The documents the ApiDocs add-on serves: the services' own files, merged.

Each service's OpenAPI and AsyncAPI documents (``contract.service_documents``: the files in its
repository, never its code) merged into one (``contract.openapi``): a path or schema name two
services define differently is a one-line error before anything is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_kit.config import Platform
from marketplace_kit.contract.openapi import merge_openapi
from marketplace_kit.contract.service_documents import service_documents


@dataclass(frozen=True)
class ApiDocuments:
    """The merged OpenAPI document and each service's AsyncAPI document."""

    openapi: dict[str, Any]
    asyncapi: dict[str, dict[str, Any]]


def api_documents(platform: Platform) -> ApiDocuments | None:
    """The platform's API documents; None when no service has a directory (services given in
    code, not found in a services_dir)."""
    specs = [s for s in platform.services if s.name in platform.service_files]
    if not specs:
        return None
    built = {s.name: service_documents(s.name, s.package, platform.service_files[s.name].parent)
             for s in specs}
    merged = merge_openapi({n: d.openapi for n, d in built.items()},
                           {s.name: s.route_prefix for s in specs})
    return ApiDocuments(merged, {n: d.asyncapi for n, d in built.items() if d.asyncapi})
