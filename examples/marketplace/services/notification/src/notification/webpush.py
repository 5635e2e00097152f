"""The push channel: Web Push (RFC 8030) with VAPID (RFC 8292), payload encrypted (RFC 8291).

A browser subscribes with the service's VAPID public key and hands over its PushSubscription
(endpoint at its push service, ``p256dh`` key, ``auth`` secret). Each message is encrypted for
that browser (``aes128gcm``, RFC 8188) and POSTed to the endpoint with a VAPID JWT (ES256) that
proves which application server sends it. 201 is success; 404/410 mean the subscription is gone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import time
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from notification.channel import Address, ChannelError, ChannelName, Gone, Message
from notification.channel_settings import ChannelSettings
from notification.http_post import post

RECORD_SIZE = 4096
MAX_PAYLOAD = RECORD_SIZE - 16 - 1 - 86  # one record: tag, delimiter, header
VAPID_LIFETIME = 12 * 3600


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, info: bytes, length: int, ikm: bytes) -> bytes:
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def encrypt(plaintext: bytes, p256dh: str, auth: str) -> bytes:
    """The ``aes128gcm`` body of one push message for the subscription's keys (RFC 8291 §3)."""
    if len(plaintext) > MAX_PAYLOAD:
        raise ChannelError(f"push payload of {len(plaintext)} bytes exceeds {MAX_PAYLOAD}")
    ua_public = unb64url(p256dh)
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    as_private = ec.generate_private_key(ec.SECP256R1())
    as_public = as_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    secret = as_private.exchange(ec.ECDH(), ua_key)
    ikm = _hkdf(unb64url(auth), b"WebPush: info\x00" + ua_public + as_public, 32, secret)
    salt = os.urandom(16)
    cek = _hkdf(salt, b"Content-Encoding: aes128gcm\x00", 16, ikm)
    nonce = _hkdf(salt, b"Content-Encoding: nonce\x00", 12, ikm)
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)  # last record
    return salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public + ciphertext


def load_vapid_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """The VAPID private key (PEM, P-256)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be an EC P-256 private key (PEM)")
    return key


def application_server_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key browsers subscribe with (``applicationServerKey``), base64url."""
    return b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def vapid_authorization(key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str,
                        now: float | None = None) -> str:
    """``vapid t=<JWT>, k=<public key>`` for the endpoint's origin (RFC 8292 §3)."""
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}",
              "exp": int((now or time.time()) + VAPID_LIFETIME), "sub": subject}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"typ": "JWT"})
    return f"vapid t={token}, k={application_server_key(key)}"


def push_payload(message: Message) -> bytes:
    """What the service worker receives (JSON)."""
    return json.dumps({"title": message.subject, "body": message.body,
                       "event_id": message.event_id, "event_type": message.event_type},
                      separators=(",", ":")).encode()


def topic_of(message: Message) -> str:
    """RFC 8030 Topic: a push service replaces an undelivered message with the same topic."""
    return b64url(hashlib.sha256(message.event_id.encode()).digest())[:32]


class WebPushChannel:
    """Push to browsers through their push services."""

    name: ChannelName = "push"

    def __init__(self, settings: ChannelSettings) -> None:
        assert settings.vapid_private_key_file is not None
        self.settings = settings
        self.key = load_vapid_key(settings.vapid_private_key_file.read_bytes())

    async def send(self, address: Address, message: Message) -> None:
        """Encrypt and POST; Gone on 404/410, ChannelError unless the push service answers 2xx."""
        s = self.settings
        body = encrypt(push_payload(message), address.keys["p256dh"], address.keys["auth"])
        headers = {
            "authorization": vapid_authorization(self.key, address.value, s.vapid_subject),
            "content-encoding": "aes128gcm", "content-type": "application/octet-stream",
            "ttl": str(s.push_ttl), "urgency": "normal", "topic": topic_of(message),
        }
        try:
            answer = await post(address.value, body, headers, s.channel_timeout)
        except OSError as exc:
            raise ChannelError(f"push service unreachable: {exc}") from exc
        if answer.status in (404, 410):
            raise Gone(f"push subscription gone ({answer.status})")
        if not 200 <= answer.status < 300:
            raise ChannelError(f"push service answered {answer.status}: "
                               f"{answer.body[:300].decode('utf-8', 'replace')}")
