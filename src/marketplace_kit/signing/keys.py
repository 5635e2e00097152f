"""ES256 signing keys as the issuing service reads them: ``<kid>.pem`` files (PKCS#8) in one
directory, key ids that sort by creation time, and the public JWK Set of a set of keys."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from marketplace_kit.contract.container import KID_FORMAT

ALGORITHM = "ES256"


def new_kid(when: datetime | None = None) -> str:
    """A key id naming when the key starts signing (UTC), e.g. ``20261128T082200Z``; the issuer
    publishes a key at once but signs with it only from then on."""
    return (when or datetime.now(UTC)).strftime(KID_FORMAT)


def kid_time(kid: str) -> datetime | None:
    """When a key named by ``new_kid`` starts signing (None for other names: from the start)."""
    try:
        return datetime.strptime(kid, KID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def generate_private_pem() -> bytes:
    """A new P-256 private key, PEM (PKCS#8, unencrypted: it lives in a Secret or a 0600 file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_key_dir(directory: Path, keys: Mapping[str, bytes]) -> Path:
    """Write ``<kid>.pem`` files readable by the owner only; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for kid, pem in keys.items():
        path = directory / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    return directory


def public_jwk(kid: str, public_pem: str | bytes) -> dict[str, Any]:
    """The JWK of a public (or private: only its public half is used) key in PEM."""
    key = ECAlgorithm(ECAlgorithm.SHA256).prepare_key(public_pem)
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return {**ECAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig",
            "alg": ALGORITHM}


def public_jwks(keys: Mapping[str, str | bytes]) -> str:
    """The JWK Set (JSON) of ``{kid: PEM}``, sorted by kid: what the gateway verifies with."""
    return json.dumps({"keys": [public_jwk(k, keys[k]) for k in sorted(keys)]}, sort_keys=True)
