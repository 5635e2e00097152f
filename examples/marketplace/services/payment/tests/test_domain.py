"""Tests of your domain code: THIS FILE IS YOURS (created once, never overwritten)."""

from __future__ import annotations

from payment.app import create_app
from payment.settings import Settings


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    spec = create_app(settings).openapi()
    assert spec["info"]["title"] == "Payment"
