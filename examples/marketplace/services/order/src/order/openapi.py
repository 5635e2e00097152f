"""The OpenAPI document is the contract: every status an operation answers, with the problem
body (RFC 9457) each error carries, and bearer auth on the protected operations while auth is on.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from order.budget import EXEMPT

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
DESCRIPTIONS = {
    400: "Bad request", 401: "A valid bearer token is required", 403: "Not allowed",
    404: "Not found", 409: "A business rule refused the request (conflict)",
    412: "The ETag does not match (If-Match)", 422: "Invalid request",
    503: "A dependency is unavailable or the service is at its limit; retry after Retry-After",
    504: "The request did not finish within its budget",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
BEARER = "HTTPBearer"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def problem_response(status: int) -> dict[str, Any]:
    """The response object of an error status (for ``responses=`` of a route, too)."""
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 503:
        response["headers"] = RETRY_AFTER
    return response


def document(app: FastAPI, protected_tags: set[str], auth_on: bool) -> dict[str, Any]:
    """The service's OpenAPI document (built once, then cached by FastAPI)."""
    schema = get_openapi(
        title=app.title, version=app.version, routes=app.routes, description=app.description
    )
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for schemas in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(schemas, None)
    if auth_on:
        components.setdefault("securitySchemes", {})[BEARER] = {"type": "http", "scheme": "bearer",
                                                                "bearerFormat": "JWT"}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if auth_on and protected_tags & set(operation.get("tags", ())):
                operation["security"] = [{BEARER: []}]
            statuses = [int(s) for s in responses if s.isdigit() and int(s) >= 400]
            if path not in EXEMPT:
                statuses += [503, 504]
                if operation.get("parameters") or operation.get("requestBody"):
                    statuses.append(422)
                if operation.get("requestBody"):
                    statuses.append(400)  # a body that is not JSON (or not UTF-8) at all
            if operation.get("security"):
                statuses += [401, 403]
            for status in sorted(set(statuses)):
                responses[str(status)] = problem_response(status)
    _exact_integer_bounds(schema)
    return schema


def _exact_integer_bounds(node: Any) -> None:
    """FastAPI's OpenAPI models hold bounds as floats: 2**63 - 1 comes out as 9.2e18, which is
    2**63. Integer bounds are written back as the exact int64 integers they stand for."""
    if isinstance(node, list):
        for item in node:
            _exact_integer_bounds(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum"):
                if isinstance(node.get(key), float):
                    node[key] = max(INT64_MIN, min(INT64_MAX, int(node[key])))
        for value in node.values():
            _exact_integer_bounds(value)


def install(app: FastAPI, protected_tags: set[str], auth_on: bool) -> None:
    """Serve ``document`` as the app's OpenAPI."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, protected_tags, auth_on)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
