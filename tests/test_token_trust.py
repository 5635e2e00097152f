"""Tokens only the issuer can mint, against real processes.

The reference user service (the issuer: its signing key in a key directory, as the platform
mounts it) and a freshly generated service (a verifier: only the issuer's JWKS URL) run as
uvicorn processes with the AUTH_* environment the platform renders for them
(``platform.tokens.token_env``; the mount path replaced by a local directory). A token from the
user service's login is accepted by both; forged tokens (another key, expired, wrong aud or iss,
unknown kid, ``alg: none``, HS256 keyed with the issuer's public key) are refused with 401.
Rotation, without a restart: a new key is published first and signs from its activation time,
tokens of the old key keep verifying while it is published, and stop once it is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.contract import container as c
from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.platform.tokens import TokenAccess, token_env
from marketplace_kit.signing import generate_private_pem, new_kid, write_key_dir

pytestmark = pytest.mark.slow
USER = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services" / "user"
AUDIENCE = "trust-test"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """The user service process and its key directory."""

    def __init__(self, process: ServiceProcess, keys: Path) -> None:
        self.process, self.keys = process, keys

    @property
    def url(self) -> str:
        return f"{self.process.base_url}/user"

    def key(self, kid: str) -> Any:
        pem = (self.keys / f"{kid}.pem").read_bytes()
        return serialization.load_pem_private_key(pem, password=None)

    def login(self) -> str:
        body = {"email": f"t-{uuid.uuid4().hex[:8]}@example.com", "password": "long enough pw",
                "display_name": "T", "role": "buyer"}
        assert httpx.post(f"{self.url}/register", json=body, timeout=10).status_code == 201
        login = httpx.post(f"{self.url}/login", json=body, timeout=10)
        assert login.status_code == 200, login.text
        token: str = login.json()["access_token"]
        return token

    def mint(self, kid: str, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        full = {"iss": self.url, "aud": AUDIENCE, "sub": "mallory", "roles": ["admin"],
                "iat": now, "exp": now + 300, **claims}
        return jwt.encode(full, key or self.key(kid), algorithm="ES256", headers={"kid": kid})


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres,
           broker: Broker) -> Iterator[Issuer]:
    work = tmp_path_factory.mktemp("issuer")
    source = work / "user"
    shutil.copytree(USER, source, ignore=shutil.ignore_patterns("__pycache__", "*.log"))
    keys = write_key_dir(work / "keys", {"k1": generate_private_pem()})
    process = ServiceProcess(source, {})
    url = f"{process.base_url}/user"
    rendered = rendered_env(TokenAccess(url, AUDIENCE, keys_secret="user-signing-keys"))
    assert rendered[c.AUTH_SIGNING_KEYS_DIR] == c.SIGNING_KEYS_MOUNT
    process.env.update({
        **rendered,
        c.AUTH_SIGNING_KEYS_DIR: str(keys),  # where the Secret would be mounted
        "AUTH_SIGNING_KEYS_RELOAD_SECONDS": "0.2",
        "DATABASE_URL": postgres.create_database(f"trust_user_{uuid.uuid4().hex[:6]}"),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
    })
    process.start()
    try:
        yield Issuer(process, keys)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres,
             issuer: Issuer) -> Iterator[ServiceProcess]:
    source = generate(tmp_path_factory.mktemp("verifier"), "reviews", fields=["text:str"])
    rendered = rendered_env(TokenAccess(issuer.url, AUDIENCE,
                                        jwks_url=issuer.url + c.JWKS_PATH))
    process = ServiceProcess(source, {
        **rendered,
        "DATABASE_URL": postgres.create_database(f"trust_reviews_{uuid.uuid4().hex[:6]}"),
        "AUTH_JWKS_CACHE_SECONDS": "2", "AUTH_JWKS_COOLDOWN_SECONDS": "0",
    })
    process.start()
    try:
        yield process
    finally:
        process.stop()


def rendered_env(access: TokenAccess) -> dict[str, str]:
    """The AUTH_* variables the platform renders into a Deployment for ``access``."""
    return {e["name"]: str(e["value"]) for e in token_env(access)}


def status(process: ServiceProcess, token: str) -> int:
    """The entity API's answer to ``token``: 401 refused, 403 trusted but not an admin."""
    response = httpx.get(f"{process.base_url}/reviews/items",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return response.status_code


def me(issuer: Issuer, token: str) -> int:
    response = httpx.get(f"{issuer.url}/me", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    return response.status_code


def forged(issuer: Issuer) -> dict[str, str]:
    """Tokens no one may accept, each made the way an attacker could."""
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": AUDIENCE, "sub": "mallory", "roles": ["admin"],
              "iat": now, "exp": now + 300}
    jwks = httpx.get(issuer.url + c.JWKS_PATH, timeout=10).json()
    published = ECAlgorithm.from_jwk(json.dumps(jwks["keys"][0]))
    public_pem = published.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = _b64(hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    other_key = serialization.load_pem_private_key(generate_private_pem(), password=None)
    return {
        "signed by another key": issuer.mint("k1", key=other_key),
        "expired": issuer.mint("k1", iat=now - 600, exp=now - 300),
        "wrong audience": issuer.mint("k1", aud="another-platform"),
        "wrong issuer": issuer.mint("k1", iss="http://evil.example/user"),
        "unknown kid": jwt.encode(claims, issuer.key("k1"), algorithm="ES256",
                                  headers={"kid": "no-such-key"}),
        "alg none": jwt.encode(claims, "", algorithm="none", headers={"kid": "k1"}),
        "HS256 keyed with the public key": f"{head}.{body}.{mac}",
    }


def test_the_issuer_publishes_public_keys_and_discovery(issuer: Issuer) -> None:
    jwks = httpx.get(issuer.url + c.JWKS_PATH, timeout=10).json()
    assert [k["kid"] for k in jwks["keys"]] == ["k1"]
    assert all("d" not in k for k in jwks["keys"])  # no private part
    found = httpx.get(issuer.url + c.DISCOVERY_PATH, timeout=10).json()
    assert found["issuer"] == issuer.url
    assert found["jwks_uri"] == issuer.url + c.JWKS_PATH


def test_a_login_token_is_accepted_and_forged_ones_are_refused(
    issuer: Issuer, verifier: ServiceProcess
) -> None:
    token = issuer.login()
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "k1", "typ": "JWT"}
    assert me(issuer, token) == 200
    assert status(verifier, token) == 403  # trusted; a buyer is no admin
    assert status(verifier, issuer.mint("k1")) == 200  # the issuer's key: an admin token
    refused = {name: (status(verifier, t), me(issuer, t)) for name, t in forged(issuer).items()}
    assert refused == {name: (401, 401) for name in refused}


def test_rotation_publishes_first_and_keeps_old_tokens_until_their_key_is_dropped(
    issuer: Issuer, verifier: ServiceProcess
) -> None:
    old = issuer.login()
    assert status(verifier, old) == 403
    start = datetime.now(UTC) + timedelta(seconds=4)
    kid = new_kid(start)  # what rotate-signing-key makes, 4 s ahead instead of 15 minutes
    write_key_dir(issuer.keys, {kid: generate_private_pem()})

    def published() -> bool:
        keys = httpx.get(issuer.url + c.JWKS_PATH, timeout=10).json()["keys"]
        return kid in [k["kid"] for k in keys]

    wait_until(published, 10, "the issuer to publish the new key (no restart)")
    if datetime.now(UTC) < start - timedelta(seconds=1):
        assert jwt.get_unverified_header(issuer.login())["kid"] == "k1"  # not signing yet
    time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 1)
    new = issuer.login()
    assert jwt.get_unverified_header(new)["kid"] == kid
    # The verifier has never seen the new kid: it fetches the JWK Set again and accepts both.
    assert (status(verifier, new), status(verifier, old)) == (403, 403)
    assert (me(issuer, new), me(issuer, old)) == (200, 200)

    (issuer.keys / "k1.pem").unlink()  # k1's tokens have expired: the key goes
    wait_until(lambda: me(issuer, old) == 401, 10, "the issuer to drop k1")
    assert me(issuer, new) == 200
    # Once its cached JWK Set (2 s here) is stale, the verifier refuses k1's tokens too.
    wait_until(lambda: status(verifier, old) == 401, 15, "the verifier to drop k1")
    assert status(verifier, new) == 403
