"""Unit tests of auth.py: tokens (ES256, key ids, iss/aud/exp), roles, password hashing,
the entity API's guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI

from payment.app import create_app
from payment.auth import (
    AuthError,
    Authority,
    CurrentPrincipal,
    Principal,
    TokenVerifier,
    hash_password,
    require_role,
    verify_password,
)
from payment.settings import Settings
from tests.conftest import TEST_JWKS, TEST_KEY, TEST_KID, mint


def settings(**values: object) -> Settings:
    return Settings(
        database_url="postgresql://unused@127.0.0.1:1/unused",
        **values,  # type: ignore[arg-type]
    )


S = settings()
VERIFIER = TokenVerifier(S.auth_jwt_issuer, S.auth_jwt_audience, jwt.PyJWKSet.from_dict(TEST_JWKS))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(claims: dict[str, object]) -> str:
    """The key-confusion attack: an HS256 token whose HMAC key is the issuer's public key."""
    public = TEST_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": TEST_KID}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


async def test_a_token_round_trips() -> None:
    token = mint(S, {"sub": "user-1", "roles": ["buyer"], "email": "b@example.com"})
    assert await VERIFIER.verify(token) == Principal(
        subject="user-1", roles=("buyer",), email="b@example.com"
    )


def _forged() -> dict[str, str]:
    claims = {"sub": "mallory", "roles": ["admin"]}
    now = int(time.time())
    full = {"iss": S.auth_jwt_issuer, "aud": S.auth_jwt_audience, "iat": now, "exp": now + 60,
            **claims}
    return {
        "another key": mint(S, claims, key=ec.generate_private_key(ec.SECP256R1())),
        "expired": mint(S, {**claims, "iat": now - 120, "exp": now - 60}),
        "wrong audience": mint(S, {**claims, "aud": "another-platform"}),
        "wrong issuer": mint(S, {**claims, "iss": "someone-else"}),
        "unknown kid": mint(S, claims, kid="not-a-key"),
        "no subject": mint(S, {"roles": ["admin"]}),
        "alg none": jwt.encode(full, "", algorithm="none", headers={"kid": TEST_KID}),
        "HS256 with the public key": hs256_with_public_key(full),
        "garbled": "not.a.token",
    }


@pytest.mark.parametrize("case", list(_forged()))
async def test_an_untrusted_token_is_refused(case: str) -> None:
    with pytest.raises(AuthError):
        await VERIFIER.verify(_forged()[case])


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")


async def test_dependencies_answer_401_403_and_503() -> None:
    app = FastAPI()
    app.state.settings = S
    app.state.auth = Authority(S)
    app.state.auth.verifier = VERIFIER

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    @app.get("/admin", dependencies=[Depends(require_role("admin"))])
    async def admin() -> dict[str, bool]:
        return {"ok": True}

    def bearer(*roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(S, {'sub': 'u', 'roles': list(roles)})}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/me")).status_code == 401
        assert (await http.get("/me", headers={"Authorization": "Bearer x"})).status_code == 401
        assert (await http.get("/me", headers=bearer("buyer"))).json() == {"subject": "u"}
        assert (await http.get("/admin", headers=bearer("buyer"))).status_code == 403
        assert (await http.get("/admin", headers=bearer("admin"))).status_code == 200
        app.state.auth = Authority(S)  # auth off
        assert (await http.get("/me", headers={"Authorization": "Bearer x"})).status_code == 503


async def test_the_entity_api_needs_a_crud_role_once_auth_is_on() -> None:
    app = create_app(settings(auth_crud_roles=["admin"]))
    app.state.auth.verifier = VERIFIER
    path = "/payment/payments"
    buyer = {"Authorization": f"Bearer {mint(S, {'sub': 'u', 'roles': ['buyer']})}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=buyer)).status_code == 403
        missing = f"{path}/00000000-0000-4000-8000-000000000000"
        assert (await http.delete(missing, headers=buyer)).status_code == 403
