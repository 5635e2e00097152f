"""Fixtures.

Integration tests need DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS; without them they are skipped."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm

from notification.app import create_app
from notification.auth import ALGORITHM, Authority, TokenVerifier
from notification.kafka import ensure_topics
from notification.settings import Settings

REQUIRED = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", )
MISSING = [name for name in REQUIRED if not os.environ.get(name)]
integration = pytest.mark.skipif(
    bool(MISSING), reason=f"integration test: set {', '.join(MISSING) or 'nothing'}"
)
RUN_ID = uuid.uuid4().hex[:8]
# A signing key of this test session only: tokens the tests mint are signed with it.
TEST_KID = "test-key"
TEST_KEY = ec.generate_private_key(ec.SECP256R1())
TEST_JWKS = {"keys": [{**ECAlgorithm.to_jwk(TEST_KEY.public_key(), as_dict=True),
                       "kid": TEST_KID, "use": "sig", "alg": ALGORITHM}]}
TOPICS: tuple[str, ...] = (
    "order-events",
    "payment-events",
    "user-events",
    "order-events.dlq",
    "payment-events.dlq",
    "user-events.dlq",
)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database for this test session, dropped afterwards."""
    base = os.environ["DATABASE_URL"]
    name = f"notification_test_{RUN_ID}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings for the integration tests (fast polling, a group id of their own)."""
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        kafka_group_id=f"notification-test-{RUN_ID}",
        consumer_retry_backoff=0.05,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running (pool, broker clients)."""
    await ensure_topics(settings, TOPICS)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def auth_settings(app: FastAPI) -> Iterator[Settings]:
    """Auth on for one test: the app verifies tokens signed with TEST_KEY (its JWK Set is
    given directly instead of fetched from the issuer)."""
    off, off_auth = app.state.settings, app.state.auth
    on = off.model_copy(update={"auth_jwks_url": "http://issuer.invalid/.well-known/jwks.json"})
    auth = Authority(on)
    auth.verifier = TokenVerifier(
        on.auth_jwt_issuer, on.auth_jwt_audience, jwt.PyJWKSet.from_dict(TEST_JWKS)
    )
    app.state.settings, app.state.auth = on, auth
    try:
        yield on
    finally:
        app.state.settings, app.state.auth = off, off_auth


def mint(settings: Settings, claims: Mapping[str, object], key: Any = None,
         kid: str = TEST_KID) -> str:
    """A token with ``claims`` over the standard ones, signed with ``key`` (TEST_KEY)."""
    now = int(time.time())
    standard = {"iss": settings.auth_jwt_issuer, "aud": settings.auth_jwt_audience,
                "iat": now, "exp": now + 600}
    return jwt.encode({**standard, **claims}, key or TEST_KEY, algorithm=ALGORITHM,
                      headers={"kid": kid})


def bearer(
    settings: Settings, subject: str, *roles: str, email: str | None = None
) -> dict[str, str]:
    """An Authorization header with a token for ``subject`` and ``roles``."""
    claims: dict[str, object] = {"sub": subject, "roles": list(roles)}
    if email is not None:
        claims["email"] = email
    return {"Authorization": f"Bearer {mint(settings, claims)}"}
