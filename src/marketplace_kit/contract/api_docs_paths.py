"""The paths the API documents' server (``platform/api_docs.py``, ``gateway.api_docs``) takes at
the gateway, defined once: the server's routes and nginx locations, the Swagger UI page of every
``/docs`` the kit serves, and the config check that no service is routed onto them."""

from __future__ import annotations

from marketplace_kit.contract.routing import routed

OPENAPI_PATH = "/openapi.json"  # the services' merged OpenAPI document
DOCS_PATH = "/docs"  # the Swagger UI page; its files are served under DOCS_PATH + "/"
ASYNCAPI_PREFIX = "/asyncapi/"  # each service's AsyncAPI document: /asyncapi/<service>.json
# What the server answers: these paths and everything under the subtrees.
SERVED = (OPENAPI_PATH, DOCS_PATH, ASYNCAPI_PREFIX)
SUBTREES = (f"{DOCS_PATH}/", ASYNCAPI_PREFIX)


def collision(path: str) -> str | None:
    """The documents' path a service routed at ``path`` (its route prefix, or a public route's
    path without a trailing ``*``) would collide with, by the gateway's one matching rule
    (``contract.routing.routed``): the service would take a documents' path, or a documents'
    subtree would take the service's path. None when they are apart."""
    for served in SERVED:
        if routed(path, served):
            return served
    for subtree in SUBTREES:
        if routed(subtree, path):
            return subtree
    return None
