"""The documents the ApiDocs add-on serves, built at plan time from the services' own code.

Each service's OpenAPI and AsyncAPI documents (``contract.service_documents``: a subprocess per
service, in parallel, cached on disk) merged into one (``contract.openapi``): a path or schema
name two services define differently is a one-line error before anything is deployed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.contract.openapi import merge_openapi
from marketplace_kit.contract.service_documents import ServiceDocuments, service_documents
from marketplace_kit.errors import KitError


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
    for spec in specs:
        directory = platform.service_files[spec.name].parent
        if not (directory / "src" / spec.package / "app.py").is_file():
            raise KitError(f"{directory}: no src/{spec.package}/app.py to build the API document "
                           "from; fix: generate the service with `marketplace-kit new-service`, "
                           "or set gateway.api_docs: false")

    def build(spec: ServiceSpec) -> ServiceDocuments:
        return service_documents(spec.name, spec.package, platform.service_files[spec.name].parent,
                                 auth=platform.token_issuer is not None)

    with ThreadPoolExecutor() as pool:  # one subprocess each (cached), in parallel
        built = {s.name: d for s, d in zip(specs, pool.map(build, specs), strict=True)}
    merged = merge_openapi({n: d.openapi for n, d in built.items()},
                           {s.name: s.route_prefix for s in specs})
    return ApiDocuments(merged, {n: d.asyncapi for n, d in built.items() if d.asyncapi})
