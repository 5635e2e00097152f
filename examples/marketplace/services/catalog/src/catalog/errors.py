"""Domain errors: raise ``DomainError(409, "...")`` from domain code to answer with that status."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


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
