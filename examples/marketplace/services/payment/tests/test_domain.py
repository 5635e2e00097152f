"""Charging placed orders, the signed webhook and reconciliation, against PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from payment import handlers
from payment.app import create_app
from payment.events import Event
from payment.provider import SandboxProvider, get_provider, luhn_valid
from payment.settings import Settings
from payment.webhooks import HEADER, BadSignature, sign, verify
from tests.conftest import bearer, integration

SECRET = "whsec_test"


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    paths = create_app(settings).openapi()["paths"]
    assert {"/payment/webhooks/sandbox", "/payment/reconcile"} <= set(paths)


def test_signatures_verify_and_refuse_tampering_and_replays() -> None:
    body = b'{"id": "evt_1"}'
    header = sign(SECRET, body, timestamp=1_000_000)
    verify(SECRET, body, header, now=1_000_010)
    for bad_body, bad_header, now in [
        (b'{"id": "evt_2"}', header, 1_000_010),
        (body, sign("other", body, 1_000_000), 1_000_010),
        (body, header, 1_000_000 + 301),
        (body, "garbage", 1_000_010),
    ]:
        with pytest.raises(BadSignature):
            verify(SECRET, bad_body, bad_header, now=now)


async def test_sandbox_cards_and_idempotency() -> None:
    sandbox = SandboxProvider()
    ok = await sandbox.charge(amount=1, currency="USD", card_number="4242424242424242",
                              idempotency_key="k1")
    again = await sandbox.charge(amount=1, currency="USD", card_number="4000000000000002",
                                 idempotency_key="k1")
    declined = await sandbox.charge(amount=1, currency="USD", card_number="4000000000000002",
                                    idempotency_key="k2")
    assert (ok.status, again.id) == ("succeeded", ok.id)
    assert (declined.status, declined.failure_reason) == ("declined", "card_declined")
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")


async def place(app: FastAPI, card: str) -> str:
    order_id = str(uuid.uuid4())
    data = {"order_id": order_id, "total": "50.00", "currency": "EUR",
            "buyer_email": "b@example.com", "payment_method": {"type": "card", "number": card}}
    event = Event(type=handlers.PLACED, source="/tests", data=data)
    for _ in range(2):  # a redelivery must not charge again (the consumer dedups; so does the key)
        async with app.state.runtime.db.transaction() as tx:
            await handlers.handle(event, tx)
    return order_id


async def payments_of(app: FastAPI, order_id: str) -> list[dict[str, Any]]:
    rows = await app.state.runtime.db.fetch(
        "SELECT * FROM payments WHERE order_id = $1", uuid.UUID(order_id)
    )
    return [dict(r) for r in rows]


async def events_of(app: FastAPI, order_id: str) -> list[str]:
    rows = await app.state.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY seq", order_id.encode()
    )
    return [Event.from_bytes(r["payload"]).type.removeprefix("marketplace.payment.")
            for r in rows]


@integration
async def test_orders_are_charged_refunds_arrive_by_webhook_or_reconciliation(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    paid, declined = await place(app, "4242424242424242"), await place(app, "4000000000000002")
    [payment] = await payments_of(app, paid)
    assert payment["status"] == "SUCCEEDED" and payment["buyer_email"] == "b@example.com"
    assert (await payments_of(app, declined))[0]["failure_reason"] == "card_declined"
    assert "payment.failed" in await events_of(app, declined)

    sandbox = get_provider()
    assert isinstance(sandbox, SandboxProvider)
    await sandbox.refund(payment["provider_charge_id"])
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "charge.refunded",
                       "data": {"charge_id": payment["provider_charge_id"]}}).encode()
    hook = "/payment/webhooks/sandbox"
    forged = await client.post(hook, content=body, headers={HEADER: sign("wrong", body)})
    assert forged.status_code == 401
    signed = {HEADER: sign(SECRET, body)}
    assert (await client.post(hook, content=body, headers=signed)).json()["outcome"] == "processed"
    assert (await client.post(hook, content=body, headers=signed)).json()["outcome"] == "duplicate"
    assert (await payments_of(app, paid))[0]["status"] == "REFUNDED"
    expected = ["payment.succeeded", "payment.refunded"]  # keyed by order
    assert await events_of(app, paid) == expected

    # A refund whose webhook got lost is found by reconciliation.
    lost = await place(app, "5555555555554444")
    [other] = await payments_of(app, lost)
    await sandbox.refund(other["provider_charge_id"])
    as_buyer = bearer(auth_settings, "b", "buyer")
    assert (await client.post("/payment/reconcile", headers=as_buyer)).status_code == 403
    report = await client.post("/payment/reconcile", headers=bearer(auth_settings, "a", "admin"))
    assert report.status_code == 200, report.text
    assert report.json()["fixed"] == [str(other["id"])]
    assert (await payments_of(app, lost))[0]["status"] == "REFUNDED"
