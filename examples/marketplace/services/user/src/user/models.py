"""The profile entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator

REQUIRED: frozenset[str] = frozenset(
    {
        "display_name",
    }
)


class ProfileCreate(BaseModel):
    """The fields of a new profile."""

    model_config = ConfigDict(extra="forbid")

    display_name: str
    bio: str | None = None


class ProfileUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    bio: str | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> ProfileUpdate:
        nulls = sorted(n for n in self.model_fields_set & REQUIRED if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Profile(ProfileCreate):
    """A stored profile."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    updated_at: datetime
    version: int


class ProfilePage(BaseModel):
    """One page of profiles; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Profile]
    next_cursor: str | None = None
