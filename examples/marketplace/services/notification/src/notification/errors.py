"""Domain errors: raise ``DomainError(409, "...")`` from domain code to answer with that status.
A dependency that cannot be reached (the database) is answered with 503 and Retry-After.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 1


class DomainError(Exception):
    """A business rule refused the request."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


async def domain_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The JSON answer for a DomainError."""
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def unavailable_response(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: a dependency is down; the client (or the mesh) retries later."""
    log.warning(
        "dependency unavailable",
        extra={"path": request.url.path, "error": f"{exc.__class__.__name__}: {exc}"[:200]},
    )
    return JSONResponse(
        {"detail": "a dependency is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
