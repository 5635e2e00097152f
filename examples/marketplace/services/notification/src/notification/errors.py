"""Every error answer is an RFC 9457 problem (``application/problem+json``).

Raise ``DomainError(409, "...")`` from domain code to answer with that status. A dependency that
is unavailable (see ``faults.py``) is answered with 503 and ``Retry-After``; a request that
cannot finish within its budget with 504. Neither is ever a 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 1
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A business rule refused the request."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem response (``type`` is ``about:blank``: the status says it all)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, **extra}
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def unavailable(detail: str = "a dependency is unavailable; retry later") -> JSONResponse:
    """503 with Retry-After: the client (or the mesh) retries later."""
    return problem(503, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def domain_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer for a DomainError."""
    assert isinstance(exc, DomainError)
    return problem(exc.status_code, exc.detail)


async def http_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer for an HTTPException (404, 412, ...), its headers kept."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(exc.status_code, str(exc.detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path serves: Starlette's 405 names only the first route's
    (one route per method), RFC 9110 wants them all in ``Allow``."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def validation_error_response(request: Request, exc: Exception) -> JSONResponse:
    """422: the request does not match the schema; ``errors`` says where."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return problem(422, "the request is invalid", errors=errors)

