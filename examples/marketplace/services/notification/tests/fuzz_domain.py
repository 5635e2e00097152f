"""Domain values for the API fuzzer (the template's tests/fuzz_hooks.py calls ``valid_body`` with
each schema-valid request body): a push subscription's ``p256dh`` must be a point on the P-256
curve, which its schema (a pattern) cannot state, and 65 bytes the fuzzer makes up almost never
are one. Such a key is replaced by a real point derived from it (the same key, the same point);
``auth`` likewise by 16 bytes if it does not decode to them (its pattern already says so)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
AUTH_BYTES = 16


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decoded(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None


def on_curve(p256dh: str) -> str:
    """``p256dh`` if it is an uncompressed P-256 point, else the point of a key derived from it."""
    raw = _decoded(p256dh)
    if raw is not None:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
            return p256dh
        except ValueError:
            pass
    scalar = int.from_bytes(hashlib.sha256(p256dh.encode()).digest()) % (P256_ORDER - 1) + 1
    point = ec.derive_private_key(scalar, ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(point)


def sixteen_bytes(auth: str) -> str:
    """``auth`` if it decodes to 16 bytes, else 16 bytes derived from it."""
    raw = _decoded(auth)
    if raw is not None and len(raw) == AUTH_BYTES:
        return auth
    return _b64url(hashlib.sha256(auth.encode()).digest()[:AUTH_BYTES])


def valid_body(method: str, path: str, body: Any) -> Any:
    """A push subscription's keys as a browser makes them; every other body as it is."""
    if method != "POST" or not path.endswith("/me/push-subscriptions"):
        return body
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, dict):
        return body
    fixed = dict(keys)
    if isinstance(keys.get("p256dh"), str):
        fixed["p256dh"] = on_curve(keys["p256dh"])
    if isinstance(keys.get("auth"), str):
        fixed["auth"] = sixteen_bytes(keys["auth"])
    return {**body, "keys": fixed}
