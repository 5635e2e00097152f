"""What each user wants: channels per event type, a phone number for SMS, push subscriptions.

Users are named by their e-mail address (lower case): the events name their recipient that way
and the caller's token carries it. Without a choice for an event type, the ``"*"`` entry applies,
and without that, e-mail only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from notification.auth import CurrentPrincipal, Principal
from notification.channel import Address, ChannelName
from notification.channel_settings import PUSH_SERVICES, ChannelSettings
from notification.channels import configured
from notification.db import Database
from notification.messages import EventType
from notification.webpush import unb64url

DEFAULT_CHANNELS: tuple[ChannelName, ...] = ("email",)
EventKey = Literal["*"] | EventType  # "*": every type without a choice of its own
E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+14155550100"])]
EVENT_KEYS = sorted((*get_args(EventType), "*"))
# base64url without padding: an uncompressed P-256 point is 65 bytes starting 0x04 (87 chars, the
# last carrying 4 bits), an auth secret 16 bytes (22 chars, the last carrying 2 bits).
P256DH_PATTERN = r"^B[A-Za-z0-9_-]{85}[AEIMQUYcgkosw048]$"
AUTH_PATTERN = r"^[A-Za-z0-9_-]{21}[AQgw]$"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Stated in the schema as the validators check it: SMS chosen for some event type needs a number.
SMS_NEEDS_PHONE: dict[str, JsonValue] = {"anyOf": [
    {"properties": {"phone_number": {"type": "string"}}, "required": ["phone_number"]},
    {"properties": {"channels": {"additionalProperties": {"not": {"contains": {"const": "sms"}}}}}},
]}

router = APIRouter(tags=["preferences"])


class Preferences(BaseModel):
    """The caller's choices: channels per event type (``"*"``: every other type)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=SMS_NEEDS_PHONE)

    phone_number: E164 | None = Field(None, description="where SMS go (E.164)")
    channels: dict[EventKey, Annotated[list[ChannelName], Field(max_length=3)]] = Field(
        default_factory=dict, description="event type -> channels; default: e-mail only",
        json_schema_extra={"propertyNames": {"enum": EVENT_KEYS}})

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: dict[str, list[ChannelName]]) -> dict[str, list[ChannelName]]:
        return {k: sorted(set(v), key=v.index) for k, v in value.items()}


class PushKeys(BaseModel):
    """A subscription's keys (base64url): the browser's P-256 public key and auth secret."""

    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(pattern=P256DH_PATTERN, description="65-byte uncompressed P-256 point")
    auth: str = Field(pattern=AUTH_PATTERN, description="16-byte auth secret")

    @field_validator("p256dh")
    @classmethod
    def _point(cls, value: str) -> str:
        from cryptography.hazmat.primitives.asymmetric import ec

        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(value))
        except ValueError:
            raise ValueError("p256dh is not an uncompressed P-256 point (base64url)") from None
        return value

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: str) -> str:
        try:
            ok = len(unb64url(value)) == 16
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("auth is not 16 bytes (base64url)")
        return value


def endpoint_pattern(hosts: list[str]) -> str:
    """The endpoints ``allowed_endpoint`` accepts, as a regular expression."""
    names = [re.escape(h) for h in hosts if ":" not in h]
    loopback = [re.escape(f"[{h}]" if ":" in h else h) for h in hosts if h in LOOPBACK_HOSTS]
    schemes = [rf"https://([a-z0-9-]+\.)*({'|'.join(names)})"] if names else []
    schemes += [rf"http://({'|'.join(loopback)})"] if loopback else []
    start = "|".join(schemes) or r"[^\s\S]"  # no host: nothing matches
    return rf"^({start})(:[0-9]{{1,5}})?(/[A-Za-z0-9._~/%:=-]*)?$"


def _endpoint_schema(schema: dict[str, Any]) -> None:
    """The pattern of the browsers' push services (the default hosts, never this process's
    settings: the document is the same wherever it is built, e.g. at plan time for the gateway;
    a deployment that adds hosts, such as ``dev``'s local sink, accepts more than it states)."""
    schema["pattern"] = endpoint_pattern(list(PUSH_SERVICES))


class PushSubscription(BaseModel):
    """What ``PushSubscription.toJSON()`` gives in the browser."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(max_length=2000, json_schema_extra=_endpoint_schema)
    keys: PushKeys


class PushSetup(BaseModel):
    """What a browser subscribes with, and the caller's subscribed endpoints."""

    application_server_key: str | None = Field(description="VAPID public key; null: push off")
    endpoints: list[str]


def _email(principal: Principal) -> str:
    if not principal.email:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the token carries no e-mail address")
    return principal.email.lower()


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


def allowed_endpoint(endpoint: str, settings: ChannelSettings) -> bool:
    """HTTPS at a known push service (loopback: a local sink, plain HTTP allowed)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    known = any(host == h or host.endswith("." + h) for h in settings.push_endpoint_hosts)
    loopback = host in ("127.0.0.1", "localhost", "::1")
    return known and (parts.scheme == "https" or (loopback and parts.scheme == "http"))


@router.get("/me/preferences")
async def get_preferences(principal: CurrentPrincipal, request: Request) -> Preferences:
    """The caller's channels per event type and phone number."""
    row = await _db(request).fetch(
        "SELECT phone_number, channels FROM notification_preferences WHERE user_email = $1",
        _email(principal))
    return Preferences.model_validate(dict(row[0])) if row else Preferences()


@router.put("/me/preferences")
async def put_preferences(
    body: Preferences, principal: CurrentPrincipal, request: Request
) -> Preferences:
    """Replace the caller's preferences (SMS needs a phone number)."""
    if body.phone_number is None and any("sms" in v for v in body.channels.values()):
        raise HTTPException(422, "sms is chosen but phone_number is missing")
    async with _db(request).transaction() as tx:
        await tx.conn.execute(
            "INSERT INTO notification_preferences (user_email, phone_number, channels)"
            " VALUES ($1, $2, $3) ON CONFLICT (user_email) DO UPDATE SET phone_number ="
            " EXCLUDED.phone_number, channels = EXCLUDED.channels, updated_at = now()",
            _email(principal), body.phone_number, body.channels)
    return body


@router.get("/me/push-subscriptions")
async def push_setup(principal: CurrentPrincipal, request: Request) -> PushSetup:
    """The VAPID public key to subscribe with, and the caller's subscriptions."""
    rows = await _db(request).fetch(
        "SELECT endpoint FROM push_subscriptions WHERE user_email = $1 ORDER BY created_at",
        _email(principal))
    return PushSetup(application_server_key=configured().push_key,
                     endpoints=[r["endpoint"] for r in rows])


@router.post("/me/push-subscriptions", status_code=201)
async def add_push_subscription(
    body: PushSubscription, principal: CurrentPrincipal, request: Request
) -> PushSetup:
    """Register a browser's subscription (an endpoint at a known push service)."""
    if not allowed_endpoint(body.endpoint, configured().settings):
        raise HTTPException(422, "endpoint is not an https URL of a known push service")
    async with _db(request).transaction() as tx:
        await tx.conn.execute(
            "INSERT INTO push_subscriptions (endpoint, user_email, p256dh, auth)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint) DO UPDATE SET user_email ="
            " EXCLUDED.user_email, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth",
            body.endpoint, _email(principal), body.keys.p256dh, body.keys.auth)
    return await push_setup(principal, request)


@router.delete("/me/push-subscriptions", status_code=204)
async def remove_push_subscription(
    endpoint: Annotated[str, Query(max_length=2000)], principal: CurrentPrincipal,
    request: Request,
) -> Response:
    """Forget one of the caller's subscriptions (``?endpoint=``)."""
    async with _db(request).transaction() as tx:
        await tx.conn.execute(
            "DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_email = $2",
            endpoint, _email(principal))
    return Response(status_code=204)


@dataclass(frozen=True)
class Targets:
    """Where one event's notice goes, per channel."""

    by_channel: dict[ChannelName, list[Address]] = field(default_factory=dict)


async def targets_for(conn: asyncpg.Connection, email: str, event_type: str) -> Targets:
    """The recipient's chosen channels for ``event_type`` with their addresses."""
    user = email.lower()
    row = await conn.fetchrow(
        "SELECT phone_number, channels FROM notification_preferences WHERE user_email = $1", user)
    channels: dict[str, Any] = (row["channels"] if row else None) or {}
    if isinstance(channels, str):
        channels = json.loads(channels)
    chosen = channels.get(event_type, channels.get("*", list(DEFAULT_CHANNELS)))
    found: dict[ChannelName, list[Address]] = {}
    if "email" in chosen:
        found["email"] = [Address(email)]
    if "sms" in chosen and row and row["phone_number"]:
        found["sms"] = [Address(row["phone_number"])]
    if "push" in chosen:
        subs = await conn.fetch(
            "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_email = $1", user)
        found["push"] = [Address(s["endpoint"], {"p256dh": s["p256dh"], "auth": s["auth"]})
                         for s in subs]
    return Targets(found)
