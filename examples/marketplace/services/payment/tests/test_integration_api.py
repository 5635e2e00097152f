"""Integration: the HTTP API against a real PostgreSQL and Kafka broker."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi import FastAPI

from payment import repository
from payment.models import PaymentCreate
from tests.conftest import integration

pytestmark = integration
BASE = "/payment/payments"
SAMPLE = {
    "order_id": "00000000-0000-4000-8000-000000000001",
    "amount": "19.99",
    "currency": "currency-1",
}
OTHER = {
    "order_id": "00000000-0000-4000-8000-000000000002",
    "amount": "29.99",
    "currency": "currency-2",
}


def as_json(data: dict[str, object]) -> dict[str, object]:
    return PaymentCreate.model_validate(data).model_dump(mode="json")


async def test_create_read_update_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(BASE, json=SAMPLE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in SAMPLE} == as_json(SAMPLE)
    assert body["version"] == 1
    location = created.headers["location"]
    assert location == f"{BASE}/{body['id']}"
    assert created.headers["etag"] == '"1"'  # strong and quoted (RFC 9110)

    fetched = await client.get(location)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'
    unchanged = await client.get(location, headers={"If-None-Match": '"1"'})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == '"1"'

    changed = await client.patch(location, json=OTHER, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in OTHER} == as_json(OTHER)
    assert changed.json()["version"] == 2 and changed.headers["etag"] == '"2"'

    for stale_tag in ('"1"', 'W/"2"', "3000000000", '"x", "1"'):
        stale = await client.patch(location, json=SAMPLE, headers={"If-Match": stale_tag})
        assert stale.status_code == 412, stale_tag
        assert stale.headers["content-type"] == "application/problem+json"
    assert (await client.delete(location, headers={"If-Match": '"1"'})).status_code == 412

    assert (await client.delete(location, headers={"If-Match": '"2"'})).status_code == 204
    assert (await client.get(location)).status_code == 404
    assert (await client.delete(location)).status_code == 404


async def test_a_patch_that_changes_nothing_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    location = (await client.post(BASE, json=SAMPLE)).headers["location"]
    for body in ({}, SAMPLE):
        same = await client.patch(location, json=body, headers={"If-Match": "*"})
        assert same.status_code == 200, same.text
        assert same.json()["version"] == 1 and same.headers["etag"] == '"1"'
    rows = await app.state.runtime.db.fetch(
        "SELECT count(*) AS n FROM outbox WHERE convert_from(payload, 'UTF8')::jsonb->>'subject'"
        " = $1", location.rsplit("/", 1)[1]
    )
    assert rows[0]["n"] == 1  # the created event only: nothing published for the no-ops


async def test_list_pages_with_a_cursor(client: httpx.AsyncClient) -> None:
    ids = [(await client.post(BASE, json=SAMPLE)).json()["id"] for _ in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(BASE, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # In creation order, once each (a consumer of the shared topics may add rows meanwhile).
    assert [i for i in seen if i in ids] == ids
    assert (await client.get(BASE, params={"cursor": "bogus"})).status_code == 422
    assert (await client.get(BASE, params={"limit": 0})).status_code == 422


async def test_bad_input_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post(BASE, json={**SAMPLE, "unknown": 1})).status_code == 422
    assert (await client.get(f"{BASE}/not-a-uuid")).status_code == 422
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.get(f"{BASE}/{missing}")).status_code == 404
    assert (await client.patch(f"{BASE}/{missing}", json=OTHER)).status_code == 404


async def test_a_retried_create_with_the_same_idempotency_key_creates_once(
    client: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    first = await client.post(BASE, json=SAMPLE, headers=key)
    assert first.status_code == 201, first.text
    again = await client.post(BASE, json=SAMPLE, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(BASE, json=OTHER, headers=key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    fresh = await client.post(BASE, json=SAMPLE, headers={"Idempotency-Key": f"{uuid.uuid4()}"})
    assert fresh.json()["id"] != first.json()["id"]


async def test_an_idempotency_key_outside_its_bounds_is_refused(
    client: httpx.AsyncClient,
) -> None:
    for key, kind in (("", "string_too_short"), ("k" * 256, "string_too_long")):
        refused = await client.post(BASE, json=SAMPLE, headers={"Idempotency-Key": key})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        error = refused.json()["errors"][0]
        assert (error["loc"], error["type"]) == (["header", "idempotency-key"], kind), error
    longest = await client.post(BASE, json=SAMPLE, headers={"Idempotency-Key": "k" * 255})
    assert longest.status_code == 201, longest.text


async def test_errors_are_problem_details(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{BASE}/00000000-0000-4000-8000-000000000000")
    invalid = await client.post(BASE, json={**SAMPLE, "unknown": 1})
    for response, status in ((missing, 404), (invalid, 422)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status and body["title"] and body["detail"], body


async def test_values_the_columns_cannot_hold_are_refused(client: httpx.AsyncClient) -> None:
    bad: list[tuple[str, object]] = [
        ("amount", "1e131072"),
        ("amount", "1e-20000"),
        ("amount", "NaN"),
        ("amount", 12.5),  # a JSON number: a decimal travels as a string
        ("amount", "12.5000001"),
        ("currency", "a\x00b"),
        ("currency", "x" * 10_001),
    ]
    location = (await client.post(BASE, json=SAMPLE)).headers["location"]
    for name, value in bad:
        created = await client.post(BASE, json={**SAMPLE, name: value})
        assert created.status_code == 422, (name, value, created.text)
        assert created.headers["content-type"] == "application/problem+json"
        patched = await client.patch(location, json={name: value})
        assert patched.status_code == 422, (name, value, patched.text)
    assert (await client.patch(location, json={"order_id": None})).status_code == 422
    assert (await client.patch(location, json={"amount": None})).status_code == 422
    assert (await client.patch(location, json={"currency": None})).status_code == 422
    lone_surrogate = json.dumps({**SAMPLE, "currency": "\ud800"})  # no UTF-8 for the database
    refused = await client.post(BASE, content=lone_surrogate,
                                headers={"content-type": "application/json"})
    assert refused.status_code == 422, refused.text


async def test_readiness_reports_every_dependency(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {
        "accepting": True,
        "database": True,
        "broker": True,
        "consumer": True,
    }


async def test_a_failed_transaction_leaves_nothing(app: FastAPI) -> None:
    db = app.state.runtime.db
    created: list[uuid.UUID] = []
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            entity = await repository.create(tx, PaymentCreate.model_validate(SAMPLE))
            created.append(entity.id)
            raise RuntimeError("the business rule failed after the insert")
    # Nothing of it remains (compared by id: a consumer of the shared topics may add rows).
    assert await db.fetch('SELECT id FROM "payments" WHERE id = $1', created[0]) == []
    assert await db.fetch("SELECT id FROM outbox WHERE key = $1", str(created[0]).encode()) == []
