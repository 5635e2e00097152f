"""``Idempotency-Key`` on POST (draft-ietf-httpapi-idempotency-key-header): a client that did
not see the answer (timeout, dropped connection, 503) retries with the same key and body and gets
the first response again instead of a second order and a second event.

The key is claimed by inserting it in the create's own transaction, and the response is stored
in that same transaction: the key, the order and its event commit together or not at all.
A concurrent request with the same key waits on the row lock, then replays. The same key with a
different body is refused (422). Keys are kept ``idempotency_key_hours``; an expired key is
claimed anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from order.db import Tx

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# The header as the OpenAPI document states it (``openapi_extra`` of the POST route): read by
# ``key_of`` rather than declared as a FastAPI Header parameter, whose per-request validation
# costs more than the rest of the route's FastAPI work together (the kit's bench).
PARAMETER: dict[str, Any] = {
    "name": HEADER.lower(),
    "in": "header",
    "required": False,
    "description": "Retrying with the same key and body answers the first response again",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "title": HEADER},
}


class KeyReused(ValueError):
    """The key was used with a different request body."""


@dataclass(frozen=True)
class Stored:
    """The first response to a key."""

    status: int
    headers: dict[str, str]
    body: Any


def key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (the first one), None without; an empty or too long
    key is a 422, like any request that does not match the document."""
    key = request.headers.get(HEADER)
    if key is None or 0 < len(key) <= MAX_KEY_LENGTH:
        return key
    if key:
        kind, msg = "string_too_long", f"String should have at most {MAX_KEY_LENGTH} characters"
    else:
        kind, msg = "string_too_short", "String should have at least 1 character"
    error = {"type": kind, "loc": ("header", PARAMETER["name"]), "msg": msg, "input": key}
    raise RequestValidationError([error])


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request: method, path and the validated body in canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def claim(tx: Tx, key: str, print_: str, hours: int) -> Stored | None:
    """Claim ``key`` in this transaction: None if it is new (go on and ``save``), the first
    response if it was already answered; KeyReused if the body differs."""
    claimed = await tx.conn.fetchval(
        "INSERT INTO idempotency_keys (key, fingerprint) VALUES ($1, $2)"
        " ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = NULL,"
        " headers = NULL, body = NULL, created_at = now()"
        " WHERE idempotency_keys.created_at < now() - make_interval(hours => $3)"
        " RETURNING true",
        key,
        print_,
        hours,
    )
    if claimed:
        return None
    row = await tx.conn.fetchrow(
        "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE key = $1", key
    )
    if row is None or row["status"] is None:  # purged meanwhile, or never answered: new again
        return None
    if row["fingerprint"] != print_:
        raise KeyReused(f"{HEADER} was already used with a different request body")
    return Stored(row["status"], dict(row["headers"]), row["body"])


async def save(tx: Tx, key: str, stored: Stored) -> None:
    """Record the response to ``key`` (in the same transaction as the change)."""
    await tx.conn.execute(
        "UPDATE idempotency_keys SET status = $2, headers = $3, body = $4 WHERE key = $1",
        key,
        stored.status,
        stored.headers,
        stored.body,
    )


async def purge(tx: Tx, hours: int) -> None:
    """Forget keys older than the window."""
    await tx.conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        hours,
    )
