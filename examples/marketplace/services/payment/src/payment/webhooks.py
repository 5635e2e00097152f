"""Webhook signatures: ``X-Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``.

The MAC covers ``"<t>.<raw body>"`` with the shared webhook secret (WEBHOOK_SECRET), is
compared in constant time, and a timestamp older than the tolerance is refused (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300


class WebhookSettings(BaseSettings):
    """The payment service's own settings (environment)."""

    model_config = SettingsConfigDict(extra="ignore")

    webhook_secret: SecretStr | None = None


class BadSignature(ValueError):
    """The webhook cannot be trusted."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` (what the provider sends)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> None:
    """Raise BadSignature unless ``header`` signs ``body`` recently with ``secret``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature("malformed signature header") from None
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        raise BadSignature("signature timestamp outside the tolerance")
    expected = sign(secret, body, t).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature mismatch")
