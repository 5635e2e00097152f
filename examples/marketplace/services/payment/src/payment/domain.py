"""Payment domain code: the provider's webhook and reconciliation.

Charges happen in ``handlers.py`` (on ``order.placed``). Afterwards the provider can change a
charge (a refund from its dashboard): it calls ``POST /payment/webhooks/sandbox``, signed with
HMAC-SHA256 (``webhooks.py``); the service re-reads the charge from the provider rather than
trusting the body, and each webhook id is processed once. ``POST /payment/reconcile`` (admin)
compares the provider's recent charges with the payments table and fixes what drifted (a lost
webhook), reporting charges it has no payment for. The generated ``/payments`` API is the admin
view (AUTH_CRUD_ROLES).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from payment import auth, settlement
from payment.auth import Principal
from payment.db import Database, Tx
from payment.errors import DomainError
from payment.models import PaymentCreate
from payment.openapi import problem_response
from payment.provider import get_provider
from payment.webhooks import HEADER, BadSignature, WebhookSettings, verify

router = APIRouter(tags=["payments"])
Admin = Annotated[Principal, Depends(auth.require_role("admin"))]


class WebhookResult(BaseModel):
    """What the webhook did."""

    outcome: Literal["processed", "duplicate", "ignored"]


class Reconciliation(BaseModel):
    """What reconciliation found."""

    checked: int
    fixed: list[str]  # payment ids whose status was corrected
    missing: list[str]  # provider charge ids without a payment


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


@router.post("/webhooks/sandbox",
             responses={400: problem_response(400), 401: problem_response(401)})
async def sandbox_webhook(request: Request) -> WebhookResult:
    """A signed provider notification: ``{"id", "type", "data": {"charge_id"}}``."""
    secret = WebhookSettings().webhook_secret
    if secret is None:
        raise DomainError(status.HTTP_503_SERVICE_UNAVAILABLE, "webhooks are not configured")
    body = await request.body()
    try:
        verify(secret.get_secret_value(), body, request.headers.get(HEADER, ""))
        payload: dict[str, Any] = json.loads(body)
        webhook_id, charge_id = str(payload["id"]), str(payload["data"]["charge_id"])
    except BadSignature as exc:
        raise DomainError(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    except (ValueError, KeyError, TypeError):
        raise DomainError(status.HTTP_400_BAD_REQUEST, "malformed webhook") from None
    charge = await get_provider().get_charge(charge_id)
    async with _db(request).transaction() as tx:
        first = await tx.conn.fetchval(
            "INSERT INTO processed_events (event_id, topic) VALUES ($1, 'webhook:sandbox')"
            " ON CONFLICT DO NOTHING RETURNING true",
            f"webhook:{webhook_id}",
        )
        if not first:
            return WebhookResult(outcome="duplicate")
        payment = await tx.conn.fetchrow(
            "SELECT * FROM payments WHERE provider_charge_id = $1 FOR UPDATE", charge_id
        )
        if charge is None or payment is None:
            return WebhookResult(outcome="ignored")
        await settlement.settle(tx, payment, charge)
    return WebhookResult(outcome="processed")


@router.post("/reconcile")
async def reconcile(
    request: Request,
    admin: Admin,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> Reconciliation:
    """Compare the provider's charges of the last ``hours`` with the payments and fix drift."""
    charges = await get_provider().list_charges(datetime.now(UTC) - timedelta(hours=hours))
    fixed: list[str] = []
    missing: list[str] = []
    async with _db(request).transaction() as tx:
        for charge in charges:
            payment = await tx.conn.fetchrow(
                "SELECT * FROM payments WHERE provider_charge_id = $1 FOR UPDATE", charge.id
            )
            if payment is None:
                missing.append(charge.id)
            elif await settlement.settle(tx, payment, charge):
                fixed.append(str(payment["id"]))
    return Reconciliation(checked=len(charges), fixed=fixed, missing=missing)


async def before_create(tx: Tx, data: PaymentCreate) -> PaymentCreate:
    """Payments made through the admin API are records only (PENDING, nothing charged)."""
    return data


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """The status is not a field of the admin API: only the provider's answers change it."""
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """A payment that moved money is kept."""
    state = await tx.conn.fetchval("SELECT status FROM payments WHERE id = $1", id_)
    if state in ("SUCCEEDED", "REFUNDED"):
        raise DomainError(status.HTTP_409_CONFLICT, f"a {state} payment cannot be deleted")
