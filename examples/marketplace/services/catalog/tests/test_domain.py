"""Products: ownership, attributes, full-text search and their events, against PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from catalog.app import create_app
from catalog.domain import DomainError, parse_attributes
from catalog.events import Event
from catalog.settings import Settings
from tests.conftest import bearer, integration


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    paths = create_app(settings).openapi()["paths"]
    assert {"/catalog/products", "/catalog/products/{id_}", "/catalog/categories"} <= set(paths)


def test_attribute_filters_keep_json_scalars() -> None:
    assert parse_attributes(["color:red", "size:42", "eco:true"]) == {
        "color": "red", "size": 42, "eco": True,
    }
    with pytest.raises(DomainError):
        parse_attributes(["no-colon"])


@integration
async def test_sellers_list_products_and_anyone_searches(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    seller, other = str(uuid.uuid4()), str(uuid.uuid4())
    as_seller = bearer(auth_settings, seller, "seller")
    word = f"lamp{uuid.uuid4().hex[:6]}"
    as_admin = bearer(auth_settings, "a", "admin")
    lighting = {"name": " Lighting "}
    category = await client.post("/catalog/categories", json=lighting, headers=as_admin)
    assert category.status_code == 201 and category.json()["name"] == "Lighting"
    body = {"name": f"Brass {word}", "description": "A warm desk lamp", "price": "49.90",
            "category_id": category.json()["id"], "attributes": {"color": "brass", "watts": 40}}
    assert (await client.post("/catalog/products", json=body)).status_code == 401
    as_buyer = bearer(auth_settings, other, "buyer")
    assert (await client.post("/catalog/products", json=body, headers=as_buyer)).status_code == 403
    created = await client.post("/catalog/products", json=body, headers=as_seller)
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["seller_id"] == seller and product["attributes"]["watts"] == 40
    unknown = {**body, "category_id": str(uuid.uuid4())}
    refused = await client.post("/catalog/products", json=unknown, headers=as_seller)
    assert refused.status_code == 409, refused.text

    found = (await client.get("/catalog/products", params={"q": word})).json()
    assert [p["id"] for p in found["items"]] == [product["id"]] and found["total"] == 1
    by_attr = await client.get("/catalog/products", params={"q": word, "attr": ["watts:40"]})
    assert by_attr.json()["total"] == 1
    none = await client.get("/catalog/products", params={"q": word, "attr": ["color:red"]})
    assert none.json()["total"] == 0

    path = f"/catalog/products/{product['id']}"
    as_other = bearer(auth_settings, other, "seller")
    assert (await client.patch(path, json={"price": "1"}, headers=as_other)).status_code == 403
    changed = await client.patch(path, json={"price": "39.90"}, headers=as_seller)
    assert changed.status_code == 200 and changed.json()["price"] == "39.90"
    assert changed.json()["version"] == 2
    assert (await client.delete(path, headers=as_other)).status_code == 403
    assert (await client.delete(path, headers=as_seller)).status_code == 204
    assert (await client.get(path)).status_code == 404

    rows = await app.state.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY seq", product["id"].encode()
    )
    types = [Event.from_bytes(r["payload"]).type for r in rows]
    assert types == [f"marketplace.catalog.product.{k}" for k in ("created", "updated", "deleted")]
