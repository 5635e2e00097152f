"""Unit tests of auth.py: tokens, roles, password hashing, the entity API's guard."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from catalog.app import create_app
from catalog.auth import (
    AuthError,
    CurrentPrincipal,
    Principal,
    hash_password,
    issue_token,
    require_role,
    verify_password,
    verify_token,
)
from catalog.settings import Settings

SECRET = "test-secret-of-at-least-32-bytes-for-hs256"


def settings(**values: object) -> Settings:
    return Settings(
        database_url="postgresql://unused@127.0.0.1:1/unused",
        **values,  # type: ignore[arg-type]
    )


def test_a_token_round_trips() -> None:
    s = settings(auth_jwt_secret=SECRET)
    token = issue_token(s, "user-1", ["buyer"], email="b@example.com")
    assert verify_token(s, token) == Principal(
        subject="user-1", roles=("buyer",), email="b@example.com"
    )


@pytest.mark.parametrize(
    "other",
    [
        {"auth_jwt_secret": "another-secret-of-at-least-32-bytes-long"},
        {"auth_jwt_secret": SECRET, "auth_jwt_issuer": "someone-else"},
    ],
)
def test_a_foreign_token_is_refused(other: dict[str, object]) -> None:
    token = issue_token(settings(**other), "user-1", ["admin"])
    with pytest.raises(AuthError):
        verify_token(settings(auth_jwt_secret=SECRET), token)


def test_an_expired_or_garbled_token_is_refused() -> None:
    s = settings(auth_jwt_secret=SECRET)
    token = issue_token(s, "user-1", ["buyer"], ttl_seconds=-10)
    with pytest.raises(AuthError, match="expired"):
        verify_token(s, token)
    with pytest.raises(AuthError):
        verify_token(s, "not.a.token")
    with pytest.raises(AuthError, match="not configured"):
        verify_token(settings(), token)


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")


async def test_dependencies_answer_401_403_and_503() -> None:
    app = FastAPI()
    app.state.settings = settings(auth_jwt_secret=SECRET)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    @app.get("/admin", dependencies=[Depends(require_role("admin"))])
    async def admin() -> dict[str, bool]:
        return {"ok": True}

    def bearer(*roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(app.state.settings, 'u', roles)}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/me")).status_code == 401
        assert (await http.get("/me", headers={"Authorization": "Bearer x"})).status_code == 401
        assert (await http.get("/me", headers=bearer("buyer"))).json() == {"subject": "u"}
        assert (await http.get("/admin", headers=bearer("buyer"))).status_code == 403
        assert (await http.get("/admin", headers=bearer("admin"))).status_code == 200
        app.state.settings = settings()
        assert (await http.get("/me", headers={"Authorization": "Bearer x"})).status_code == 503


async def test_the_entity_api_needs_a_crud_role_once_auth_is_on() -> None:
    s = settings(auth_jwt_secret=SECRET, auth_crud_roles=["admin"])
    app = create_app(s)
    path = "/catalog/categories"
    buyer = {"Authorization": f"Bearer {issue_token(s, 'u', ['buyer'])}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=buyer)).status_code == 403
        missing = f"{path}/00000000-0000-4000-8000-000000000000"
        assert (await http.delete(missing, headers=buyer)).status_code == 403
