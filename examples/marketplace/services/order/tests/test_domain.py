"""Cart, checkout and the order lifecycle against PostgreSQL (events fed to the handlers)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from order import handlers
from order.app import create_app
from order.events import Event
from order.settings import Settings
from tests.conftest import bearer, integration


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    paths = create_app(settings).openapi()["paths"]
    assert {"/order/me/cart", "/order/me/checkout", "/order/orders/{id_}/ship"} <= set(paths)


async def feed(app: FastAPI, kind: str, data: dict[str, Any]) -> None:
    """Hand an event to the handlers as the consumer would."""
    event = Event(type=f"marketplace.{kind}", source="/tests", data=data)
    async with app.state.runtime.db.transaction() as tx:
        await handlers.handle(event, tx)


async def outbox_types(app: FastAPI, order_id: str) -> list[str]:
    rows = await app.state.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY seq", order_id.encode()
    )
    return [Event.from_bytes(r["payload"]).type.removeprefix("marketplace.order.") for r in rows]


async def place_order(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, seller: str
) -> tuple[dict[str, Any], dict[str, str]]:
    product = {"id": str(uuid.uuid4()), "seller_id": seller, "name": "Lamp", "price": "20.00",
               "currency": "EUR", "version": 1}
    buyer = bearer(settings, str(uuid.uuid4()), "buyer", email="buyer@example.com")
    item = f"/order/me/cart/items/{product['id']}"
    assert (await client.put(item, json={"quantity": 1}, headers=buyer)).status_code == 404
    await feed(app, "catalog.product.created", product)
    await feed(app, "catalog.product.updated", {**product, "price": "25.00", "version": 2})
    await feed(app, "catalog.product.updated", {**product, "price": "99.00", "version": 1})
    cart = await client.put(item, json={"quantity": 2}, headers=buyer)
    assert cart.status_code == 200, cart.text
    assert cart.json()["total"] == "50.00" and cart.json()["currency"] == "EUR"
    placed = await client.post("/order/me/checkout", json={"card_number": "4242424242424242"},
                               headers=buyer)
    assert placed.status_code == 201, placed.text
    assert (await client.get("/order/me/cart", headers=buyer)).json()["items"] == []
    return placed.json(), buyer


@integration
async def test_checkout_then_payment_then_shipping(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    seller = str(uuid.uuid4())
    order, buyer = await place_order(app, client, auth_settings, seller)
    assert order["status"] == "PENDING" and order["total"] == "50.00"
    assert [line["quantity"] for line in order["lines"]] == [2]
    again = await client.post("/order/me/checkout", json={"card_number": "4242424242424242"},
                              headers=buyer)
    assert again.status_code == 409  # the cart is empty now

    ship = f"/order/orders/{order['id']}/ship"
    as_seller = bearer(auth_settings, seller, "seller")
    assert (await client.post(ship, headers=as_seller)).status_code == 409  # not paid yet
    await feed(app, "payment.payment.succeeded", {"order_id": order["id"]})
    await feed(app, "payment.payment.failed", {"order_id": order["id"]})  # too late: ignored
    mine = await client.get(f"/order/me/orders/{order['id']}", headers=buyer)
    assert mine.json()["status"] == "PAID"
    other_seller = bearer(auth_settings, str(uuid.uuid4()), "seller")
    assert (await client.post(ship, headers=other_seller)).status_code == 403
    shipped = await client.post(ship, headers=as_seller)
    assert shipped.status_code == 200 and shipped.json()["status"] == "SHIPPED"
    assert await outbox_types(app, order["id"]) == ["order.placed", "order.paid", "order.shipped"]
    stranger = bearer(auth_settings, str(uuid.uuid4()), "buyer")
    theirs = await client.get(f"/order/me/orders/{order['id']}", headers=stranger)
    assert theirs.status_code == 404


@integration
async def test_a_declined_payment_cancels_the_order(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    order, buyer = await place_order(app, client, auth_settings, str(uuid.uuid4()))
    await feed(app, "payment.payment.failed",
               {"order_id": order["id"], "failure_reason": "card_declined"})
    mine = (await client.get(f"/order/me/orders/{order['id']}", headers=buyer)).json()
    assert (mine["status"], mine["status_reason"]) == ("CANCELLED", "card_declined")
    assert (await outbox_types(app, order["id"]))[-1] == "order.cancelled"
