"""The verified-token cache (token_cache.py) through the verifier: what a hit still checks, what
a key rotation drops, and that invalid tokens never get in."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_encode

from catalog.auth import AuthError, Principal, TokenVerifier
from catalog.settings import Settings
from catalog.token_cache import Verified, VerifiedTokens, digest
from tests.conftest import TEST_JWKS, TEST_KID, mint

S = Settings(
    database_url="postgresql://unused@127.0.0.1:1/unused",
)


def verifier(size: int = 100) -> TokenVerifier:
    return TokenVerifier(S.auth_jwt_issuer, S.auth_jwt_audience,
                         jwt.PyJWKSet.from_dict(TEST_JWKS), VerifiedTokens(size))


async def test_a_verified_token_is_checked_once_then_served_from_the_cache() -> None:
    check = verifier()
    token = mint(S, {"sub": "u", "roles": ["admin"]})
    first = await check.verify(token)
    assert (len(check.cache), check.cache.hits) == (1, 0)
    assert await check.verify(token) is first and check.cache.hits == 1


async def test_an_expired_token_is_refused_even_when_cached() -> None:
    check = verifier()
    expires = int(time.time()) + 2
    token = mint(S, {"sub": "u", "exp": expires})
    await check.verify(token)
    assert len(check.cache) == 1
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(AuthError):
        await check.verify(token)
    assert len(check.cache) == 0


async def test_a_token_for_another_audience_is_refused_although_its_subject_is_cached() -> None:
    check = verifier()
    await check.verify(mint(S, {"sub": "u", "roles": ["admin"]}))
    with pytest.raises(AuthError):
        await check.verify(mint(S, {"sub": "u", "roles": ["admin"], "aud": "another-platform"}))
    assert (len(check.cache), check.cache.hits) == (1, 0)


@pytest.mark.parametrize(("audience", "offset", "holds"), [
    ("svc", 0.0, True),
    ("other", 0.0, False),  # the request's audience is not the token's
    ("svc", 100.0, False),  # past exp
    ("svc", -100.0, False),  # before nbf
])
def test_a_hit_checks_exp_nbf_and_the_audience(audience: str, offset: float, holds: bool) -> None:
    cache: VerifiedTokens[str] = VerifiedTokens(4)
    now = time.time()
    cache.follow(jwt.PyJWKSet.from_dict(TEST_JWKS))
    cache.put(b"k", Verified("caller", TEST_KID, now + 50, now - 50, frozenset(["svc"])))
    assert (cache.get(b"k", audience, now + offset) == "caller") is holds
    assert len(cache) == int(holds)  # an entry that no longer holds goes


class Issuer(ThreadingHTTPServer):
    """A JWK Set served over HTTP on loopback, changed by the test (a rotation)."""

    jwks: dict[str, Any] = TEST_JWKS


class _Serve(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, Issuer)
        body = json.dumps(self.server.jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    server = Issuer(("127.0.0.1", 0), _Serve)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def jwks_url(issuer: Issuer) -> str:
    return f"http://127.0.0.1:{issuer.server_address[1]}/.well-known/jwks.json"


def rotate(issuer: Issuer) -> Any:
    """The issuer publishes a new key, k2, and withdraws TEST_KID; returns k2's private key."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer.jwks = {"keys": [{**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k2",
                             "use": "sig", "alg": "ES256"}]}
    return key


async def test_a_rotated_out_keys_tokens_are_refused_after_the_jwks_refresh(
    issuer: Issuer,
) -> None:
    client = jwt.PyJWKClient(jwks_url(issuer), lifespan=300, cooldown_duration=0)
    check = TokenVerifier(S.auth_jwt_issuer, S.auth_jwt_audience, client, VerifiedTokens(100))
    old = mint(S, {"sub": "u"})
    await check.verify(old)
    await check.verify(old)
    assert (len(check.cache), check.cache.hits) == (1, 1)
    new = mint(S, {"sub": "u"}, key=rotate(issuer), kid="k2")
    assert (await check.verify(new)).subject == "u"  # an unknown kid: the JWK Set is fetched
    assert len(check.cache) == 1  # the new key's token; the old key's entry went
    with pytest.raises(AuthError):
        await check.verify(old)
    assert check.cache.hits == 1


async def test_a_cached_token_is_refused_once_its_key_leaves_the_refreshed_jwks(
    issuer: Issuer,
) -> None:
    client = jwt.PyJWKClient(jwks_url(issuer), lifespan=0.2, cooldown_duration=0)
    check = TokenVerifier(S.auth_jwt_issuer, S.auth_jwt_audience, client, VerifiedTokens(100))
    token = mint(S, {"sub": "u"})
    await check.verify(token)
    rotate(issuer)
    await asyncio.sleep(0.3)  # the JWK Set's cache lifetime: the next request fetches it
    with pytest.raises(AuthError):
        await check.verify(token)
    assert (len(check.cache), check.cache.hits) == (0, 0)


async def test_the_cache_keeps_its_bound_and_the_most_recently_used() -> None:
    check = verifier(size=8)
    kept = mint(S, {"sub": "kept"})
    await check.verify(kept)
    for i in range(20):
        await check.verify(mint(S, {"sub": f"u{i}"}))
        await check.verify(kept)  # used again: the least recently used go instead
    assert len(check.cache) == 8 and check.cache.hits == 20


def _distinct_bad_tokens(valid: str, count: int) -> Iterator[str]:
    """``count`` distinct tokens that must fail, of the kinds a flood would send (one in a
    thousand carries a well-formed signature that does not verify: the costly kind)."""
    head, body, signature = valid.split(".")
    unknown = base64url_encode(json.dumps({"alg": "ES256", "kid": "no-such-key"}).encode())
    no_kid = base64url_encode(json.dumps({"alg": "ES256"}).encode())
    for i in range(count):
        if i % 1000 == 999:  # 64 bytes, as an ES256 signature, but not the issuer's
            forged = base64url_encode(hashlib.sha512(str(i).encode()).digest()).decode()
            yield f"{head}.{body}.{forged}"
        elif i % 4 == 0:
            yield f"garbled.{i}"
        elif i % 4 == 1:
            yield f"{unknown.decode()}.{body}.{signature}{i}"
        elif i % 4 == 2:
            yield f"{head}.{body}.{signature[:8]}{i}"
        else:
            yield f"{no_kid.decode()}.{body}.{signature}{i}"


async def test_a_flood_of_bad_tokens_stays_out_and_a_valid_token_still_hits() -> None:
    check = verifier(size=64)
    valid = mint(S, {"sub": "u", "roles": ["admin"]})
    principal = await check.verify(valid)
    refused = 0
    for bad in _distinct_bad_tokens(valid, 100_000):
        try:
            await check.verify(bad)
        except AuthError:
            refused += 1
    assert refused == 100_000
    assert len(check.cache) == 1 <= check.cache.size
    assert await check.verify(valid) is principal and check.cache.hits == 1
    assert digest(valid) != digest(valid + " ")


def test_principals_are_frozen() -> None:
    with pytest.raises(ValueError):
        Principal(subject="u").subject = "mallory"  # type: ignore[misc]
