"""Fixtures.

Integration tests need DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS; without them they are skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from notification.app import create_app
from notification.auth import issue_token
from notification.kafka import ensure_topics
from notification.settings import Settings

REQUIRED = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", )
MISSING = [name for name in REQUIRED if not os.environ.get(name)]
integration = pytest.mark.skipif(
    bool(MISSING), reason=f"integration test: set {', '.join(MISSING) or 'nothing'}"
)
RUN_ID = uuid.uuid4().hex[:8]
TEST_SECRET = "test-secret-of-at-least-32-bytes-for-hs256"
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
    """Auth on for one test: the app verifies tokens signed with a test secret."""
    off = app.state.settings
    app.state.settings = off.model_copy(update={"auth_jwt_secret": SecretStr(TEST_SECRET)})
    try:
        yield app.state.settings
    finally:
        app.state.settings = off


def bearer(
    settings: Settings, subject: str, *roles: str, email: str | None = None
) -> dict[str, str]:
    """An Authorization header with a token for ``subject`` and ``roles``."""
    return {"Authorization": f"Bearer {issue_token(settings, subject, roles, email=email)}"}
