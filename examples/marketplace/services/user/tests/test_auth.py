"""Unit tests of auth.py: tokens (ES256, key ids, iss/aud/exp), roles, password hashing,
the entity API's guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI

from tests.conftest import TEST_JWKS, TEST_KEY, TEST_KID, mint
from user.app import create_app
from user.auth import (
    KID_TIME,
    AuthError,
    Authority,
    CurrentPrincipal,
    Principal,
    SigningKeys,
    TokenVerifier,
    hash_password,
    require_role,
    verify_password,
)
from user.settings import Settings


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


def _key_file(directory: Path, kid: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (directory / f"{kid}.pem").write_bytes(pem)


async def test_the_issuer_publishes_a_new_key_first_and_signs_with_it_once_active(
    tmp_path: Path,
) -> None:
    _key_file(tmp_path, "initial")
    s = settings(auth_signing_keys_dir=tmp_path, auth_signing_keys_reload_seconds=0)
    issuer = Authority(s)
    old_token = issuer.issue("user-1", ["buyer"])
    now = datetime.now(UTC)
    later = (now + timedelta(hours=1)).strftime(KID_TIME)
    _key_file(tmp_path, later)  # rotation: a key that starts signing in an hour
    keys = issuer.signing_keys()
    assert keys is not None and sorted(keys.keys) == sorted(["initial", later])
    assert keys.current(now) == "initial"  # published, not signing yet
    assert keys.current(now + timedelta(hours=2)) == later
    assert jwt.get_unverified_header(issuer.issue("user-1", []))["kid"] == "initial"
    earlier = (now - timedelta(seconds=1)).strftime(KID_TIME)
    _key_file(tmp_path, earlier)  # a key active already: it signs, the old token still verifies
    new_token = issuer.issue("user-1", ["buyer"], ttl_seconds=60)
    assert jwt.get_unverified_header(new_token)["kid"] == earlier
    for token in (old_token, new_token):
        assert (await issuer.verify(token)).subject == "user-1"
    published = issuer.signing_keys().jwks()["keys"]  # type: ignore[union-attr]
    assert [k["kid"] for k in published] == sorted([earlier, later, "initial"])
    assert all("d" not in k and k["alg"] == "ES256" for k in published)
    assert SigningKeys.load(tmp_path, "initial").current() == "initial"  # AUTH_SIGNING_KID
    claims = jwt.decode(new_token, options={"verify_signature": False})
    assert claims["aud"] == s.auth_jwt_audience and claims["exp"] - claims["iat"] == 60
    (tmp_path / "initial.pem").unlink()  # its tokens have expired: the key goes
    with pytest.raises(AuthError):
        await issuer.verify(old_token)


async def test_the_issuer_serves_its_jwks_and_discovery(signing_keys_dir: Path) -> None:
    s = settings(auth_signing_keys_dir=signing_keys_dir,
                 auth_jwt_issuer="http://user.test/user")
    transport = httpx.ASGITransport(app=create_app(s))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        keys = (await http.get("/user/.well-known/jwks.json")).json()
        found = await http.get("/user/.well-known/openid-configuration")
    assert keys == TEST_JWKS
    assert found.json()["issuer"] == s.auth_jwt_issuer
    assert found.json()["jwks_uri"] == f"{s.auth_jwt_issuer}/.well-known/jwks.json"


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
    path = "/user/profiles"
    buyer = {"Authorization": f"Bearer {mint(S, {'sub': 'u', 'roles': ['buyer']})}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=buyer)).status_code == 403
        missing = f"{path}/00000000-0000-4000-8000-000000000000"
        assert (await http.delete(missing, headers=buyer)).status_code == 403
