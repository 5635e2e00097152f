"""The FastAPI application: health, readiness, metrics, the API, and a graceful lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from catalog import __version__, asyncapi, auth, domain, openapi
from catalog.api import router as entity_router
from catalog.budget import RequestBudget
from catalog.errors import (
    DomainError,
    domain_error_response,
    http_error_response,
    validation_error_response,
)
from catalog.faults import UNAVAILABLE, invalid_data_response, unavailable_response
from catalog.metrics import exposition
from catalog.runtime import Runtime
from catalog.settings import Settings
from catalog.telemetry import configure_tracing

NOT_READY: dict[str, Any] = {
    "description": "Not ready: a dependency does not answer, or shutting down (same body)",
    "content": {"application/json": {}},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; resources start in the lifespan and stop on shutdown (SIGTERM)."""
    settings = settings or Settings()  # type: ignore[call-arg]  # values come from the env
    runtime = Runtime(settings)
    tracing = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            if tracing is not None:
                tracing.shutdown()

    prefix = settings.route_prefix
    app = FastAPI(
        title="Catalog",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.auth = auth.Authority(settings)
    app.add_middleware(
        RequestBudget, limit=settings.max_concurrent_requests, timeout=settings.request_timeout
    )
    app.add_exception_handler(DomainError, domain_error_response)
    app.add_exception_handler(HTTPException, http_error_response)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    for unavailable in UNAVAILABLE:  # a dependency down, restarting or too slow: 503, not 500
        app.add_exception_handler(unavailable, unavailable_response)
    app.add_exception_handler(asyncpg.DataError, invalid_data_response)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests (never about dependencies or load)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: NOT_READY})
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: dependencies answer not shutting down."""
        checks = await request.app.state.runtime.ready()
        ready = all(checks.values())
        body: dict[str, Any] = {"ready": ready, "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    @app.get(f"{prefix}/asyncapi.json", tags=["docs"], include_in_schema=False)
    async def asyncapi_document() -> dict[str, Any]:
        """What this service publishes and consumes (AsyncAPI 3.0), next to the OpenAPI."""
        return asyncapi.document(__version__)

    app.include_router(entity_router, prefix=prefix)  # guarded: auth.CrudGuardedRoute
    app.include_router(domain.router, prefix=prefix)
    protected: set[str] = {"categories"}  # the entity API, guarded while auth is on
    openapi.install(app, protected, app.state.auth.enabled)
    tracing = configure_tracing(app, settings)
    return app
