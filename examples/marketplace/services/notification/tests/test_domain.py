"""Which events send which e-mails; a handled event is sent over SMTP and recorded once."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from fastapi import FastAPI

from notification import handlers
from notification.app import create_app
from notification.events import Event
from notification.messages import notice_for
from notification.settings import Settings
from tests.conftest import bearer, integration


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    assert "/notification/me/notifications" in create_app(settings).openapi()["paths"]


def event(kind: str, **data: object) -> Event:
    return Event(type=f"marketplace.{kind}", source="/tests", data=data)


def test_events_become_the_right_e_mails() -> None:
    order = {"order_id": "0f1e2d3c-0000-4000-8000-000000000000", "buyer_email": "b@x.io",
             "total": "9.90", "currency": "EUR"}
    welcome = notice_for(event("user.user.registered", email="s@x.io", display_name="Sam"))
    assert welcome is not None and welcome.recipient == "s@x.io" and "Sam" in welcome.body
    paid = notice_for(event("order.order.paid", **order))
    assert paid is not None and paid.subject == "Order 0f1e2d3c confirmed: payment received"
    cancelled = notice_for(event("order.order.cancelled", reason="card_declined", **order))
    assert cancelled is not None and "card_declined" in cancelled.body
    assert notice_for(event("order.order.created", **order)) is None
    assert notice_for(event("payment.payment.succeeded", **order)) is None
    assert notice_for(event("order.order.paid", order_id="x")) is None  # nobody to tell


@integration
@pytest.mark.skipif(not os.environ.get("SMTP_PORT"), reason="needs an SMTP server (SMTP_PORT)")
async def test_an_event_is_mailed_and_recorded(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    email = f"b-{uuid.uuid4().hex[:8]}@x.io"
    paid = event("order.order.paid", order_id=str(uuid.uuid4()), buyer_email=email,
                 total="1.00", currency="EUR")
    async with app.state.runtime.db.transaction() as tx:
        await handlers.handle(paid, tx)
    mine = await client.get("/notification/me/notifications",
                            headers=bearer(auth_settings, "u", "buyer", email=email))
    assert [n["event_type"] for n in mine.json()] == ["marketplace.order.order.paid"]
    assert mine.json()[0]["sent_at"] is not None
