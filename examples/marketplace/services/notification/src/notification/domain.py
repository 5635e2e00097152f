"""Notification domain code: what a signed-in user was sent, and how they want to be told.

Notices are sent by ``handlers.py`` (events from order, payment and user services) by e-mail, SMS
and push as each user chose (``preferences.py``: ``/notification/me/preferences`` and
``/notification/me/push-subscriptions``); each notice is recorded in ``notifications``. The
generated ``/notifications`` API is the admin view (AUTH_CRUD_ROLES);
``GET /notification/me/notifications`` lists the caller's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel

from notification.auth import CurrentPrincipal
from notification.db import Database, Tx
from notification.models import NotificationCreate
from notification.preferences import router as preferences_router

router = APIRouter(tags=["notifications"])
router.include_router(preferences_router)


class Sent(BaseModel):
    """A notice the caller was sent (by the channels they chose)."""

    id: UUID
    subject: str
    body: str | None
    event_type: str | None
    sent_at: datetime | None


@router.get("/me/notifications")
async def my_notifications(principal: CurrentPrincipal, request: Request) -> list[Sent]:
    """The notices sent to the caller's address, newest first."""
    db: Database = request.app.state.runtime.db
    if not principal.email:
        return []
    rows = await db.fetch(
        "SELECT id, subject, body, event_type, sent_at FROM notifications"
        " WHERE lower(recipient) = lower($1) ORDER BY created_at DESC LIMIT 100",
        principal.email,
    )
    return [Sent.model_validate(dict(r)) for r in rows]


async def before_create(tx: Tx, data: NotificationCreate) -> NotificationCreate:
    """Records made through the admin API are not sent."""
    return data


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """Admins may correct a record."""
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """Records may be deleted (e.g. on a data-erasure request)."""
