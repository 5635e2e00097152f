"""A local Web Push service that decrypts and records each push message as a JSON file.

``POST /subscriptions`` plays a browser subscribing: the sink makes the subscription's P-256 key
pair and auth secret and answers the ``PushSubscription`` JSON (endpoint ``/push/<id>`` here) to
register with the application server. ``POST /push/<id>`` is the push service: it checks what a
push service checks (RFC 8030 ``TTL``; RFC 8292 VAPID: an ES256 JWT for this origin, unexpired,
with a ``sub``, signed by the key in ``k``), then decrypts the ``aes128gcm`` body with the
subscription's private key (RFC 8291, by ``http_ece``) as the browser would, and stores the
plaintext. Unknown subscriptions answer 410 Gone; ``fail_next`` makes the next pushes answer 503.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketplace_kit.devenv.ports import LOOPBACK
from marketplace_kit.devrun.http_sink import Reply, Request
from marketplace_kit.devrun.records import Recorder

MAX_VAPID_LIFETIME = 24 * 3600  # RFC 8292 §2: exp no more than 24 hours ahead


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _text(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), {"content-type": "text/plain"})


def vapid_claims(authorization: str, audience: str) -> dict[str, Any]:
    """The verified claims of ``vapid t=..., k=...`` (ValueError saying what is wrong)."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError("Authorization is not the vapid scheme (RFC 8292)")
    fields = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
    if "t" not in fields or "k" not in fields:
        raise ValueError("vapid needs t= and k=")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    claims: dict[str, Any] = jwt.decode(fields["t"], public, algorithms=["ES256"],
                                        audience=audience, options={"require": ["exp", "aud"]})
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub must be a mailto: or https: URI")
    if claims["exp"] > time.time() + MAX_VAPID_LIFETIME:
        raise ValueError("exp is more than 24 hours ahead")
    return claims


class PushSink:
    """Push service stand-in on 127.0.0.1; ``messages()`` reads back the decrypted pushes."""

    def __init__(self, directory: Path) -> None:
        self.recorder = Recorder(directory)
        self.port = 0
        self.fail_next = 0
        self._subscriptions: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}

    @property
    def url(self) -> str:
        """The push service's origin."""
        return f"http://{LOOPBACK}:{self.port}"

    def messages(self) -> list[dict[str, Any]]:
        """Every accepted push, decrypted, in arrival order."""
        return self.recorder.records()

    def subscribe(self) -> dict[str, Any]:
        """A new subscription, as ``PushSubscription.toJSON()`` gives it."""
        ident = uuid.uuid4().hex
        key, auth = ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16)
        self._subscriptions[ident] = (key, auth)
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.url}/push/{ident}", "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def answer(self, request: Request) -> Reply:
        """Route: subscribe, or receive a push."""
        if request.method == "POST" and request.path == "/subscriptions":
            return Reply(201, json.dumps(self.subscribe()).encode(),
                         {"content-type": "application/json"})
        if request.method == "POST" and request.path.startswith("/push/"):
            return self.receive(request.path.removeprefix("/push/"), request)
        return _text(404, "POST /subscriptions or /push/<id>")

    def receive(self, ident: str, request: Request) -> Reply:
        """Check, decrypt and record one push message."""
        import http_ece

        subscription = self._subscriptions.get(ident)
        if subscription is None:
            return _text(410, "no such subscription")
        ttl = request.headers.get("ttl", "")
        if not ttl.isdigit():
            return _text(400, "TTL header missing (RFC 8030 §5.2)")
        try:
            claims = vapid_claims(request.headers.get("authorization", ""), self.url)
        except (ValueError, jwt.PyJWTError) as exc:
            return _text(401, f"VAPID: {exc}")
        if request.headers.get("content-encoding") != "aes128gcm":
            return _text(415, "Content-Encoding must be aes128gcm (RFC 8291)")
        key, auth = subscription
        try:
            plaintext = http_ece.decrypt(request.body, private_key=key, auth_secret=auth,
                                         version="aes128gcm")
        except Exception as exc:
            return _text(400, f"cannot decrypt: {exc.__class__.__name__}")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _text(503, "failing on purpose (fail_next)")
        try:
            payload: Any = json.loads(plaintext)
        except ValueError:
            payload = plaintext.decode("utf-8", "replace")
        message_id = uuid.uuid4().hex
        self.recorder.store({
            "message_id": message_id, "subscription": ident, "payload": payload,
            "ttl": int(ttl), "topic": request.headers.get("topic"),
            "urgency": request.headers.get("urgency"), "vapid_sub": claims["sub"],
            "received_at": datetime.now(UTC).isoformat(),
        })
        return Reply(201, b"", {"location": f"{self.url}/messages/{message_id}"})
