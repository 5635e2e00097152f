"""Registration, login, profiles and roles against a real PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.conftest import bearer, integration
from user.app import create_app
from user.events import Event
from user.settings import Settings


def test_the_app_builds_with_the_domain_routes() -> None:
    settings = Settings(database_url="postgresql://unused@127.0.0.1:1/unused")
    paths = create_app(settings).openapi()["paths"]
    assert {"/user/register", "/user/login", "/user/me", "/user/accounts/{id_}/role"} <= set(paths)


def unique_email() -> str:
    return f"Someone.{uuid.uuid4().hex[:8]}@Example.com"


@integration
async def test_register_login_and_profile(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    email = unique_email()
    body = {"email": email, "password": "s3cret-pass", "display_name": "Sam", "role": "seller"}
    created = await client.post("/user/register", json=body)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["email"] == email.lower() and account["role"] == "seller"
    again = await client.post("/user/register", json={**body, "email": email.upper()})
    assert again.status_code == 409

    wrong = await client.post("/user/login", json={"email": email, "password": "nope-nope"})
    assert wrong.status_code == 401
    unknown = await client.post("/user/login", json={"email": unique_email(), "password": "x"})
    assert unknown.status_code == 401
    login = await client.post("/user/login", json={"email": email, "password": "s3cret-pass"})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    principal = await app.state.auth.verify(token)
    assert principal.subject == account["id"] and principal.roles == ("seller",)
    assert principal.email == email.lower()

    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/user/me")).status_code == 401
    assert (await client.get("/user/me", headers=headers)).json() == account
    patched = await client.patch("/user/me", json={"bio": "I sell lamps"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["bio"] == "I sell lamps"

    rows = await app.state.runtime.db.fetch(
        "SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY seq", account["id"].encode()
    )
    types = [Event.from_bytes(r["payload"]).type for r in rows]
    assert "marketplace.user.user.registered" in types
    registered = next(
        Event.from_bytes(r["payload"]) for r in rows
        if Event.from_bytes(r["payload"]).type.endswith("user.registered")
    )
    assert registered.data["email"] == email.lower()


@integration
async def test_bad_registrations_are_refused(
    client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    base = {"email": unique_email(), "password": "long-enough", "display_name": "A"}
    assert (await client.post("/user/register", json={**base, "role": "admin"})).status_code == 422
    assert (await client.post("/user/register", json={**base, "email": "x"})).status_code == 422
    short = {**base, "password": "short"}
    assert (await client.post("/user/register", json=short)).status_code == 422


@integration
async def test_only_an_admin_grants_roles(
    client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    body = {"email": unique_email(), "password": "long-enough", "display_name": "B"}
    account = (await client.post("/user/register", json=body)).json()
    path = f"/user/accounts/{account['id']}/role"
    as_buyer = bearer(auth_settings, account["id"], "buyer")
    assert (await client.put(path, json={"role": "admin"}, headers=as_buyer)).status_code == 403
    as_admin = bearer(auth_settings, str(uuid.uuid4()), "admin")
    granted = await client.put(path, json={"role": "seller"}, headers=as_admin)
    assert granted.status_code == 200 and granted.json()["role"] == "seller"
    missing = f"/user/accounts/{uuid.uuid4()}/role"
    assert (await client.put(missing, json={"role": "seller"}, headers=as_admin)).status_code == 404
