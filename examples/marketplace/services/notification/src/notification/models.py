"""The notification entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator

REQUIRED: frozenset[str] = frozenset(
    {
        "recipient",
        "subject",
    }
)


class NotificationCreate(BaseModel):
    """The fields of a new notification."""

    model_config = ConfigDict(extra="forbid")

    recipient: str
    subject: str
    event_type: str | None = None


class NotificationUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    recipient: str | None = None
    subject: str | None = None
    event_type: str | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> NotificationUpdate:
        nulls = sorted(n for n in self.model_fields_set & REQUIRED if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Notification(NotificationCreate):
    """A stored notification."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    updated_at: datetime
    version: int


class NotificationPage(BaseModel):
    """One page of notifications; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Notification]
    next_cursor: str | None = None
