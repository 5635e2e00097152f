"""The category entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator

REQUIRED: frozenset[str] = frozenset(
    {
        "name",
    }
)


class CategoryCreate(BaseModel):
    """The fields of a new category."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None


class CategoryUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> CategoryUpdate:
        nulls = sorted(n for n in self.model_fields_set & REQUIRED if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Category(CategoryCreate):
    """A stored category."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    updated_at: datetime
    version: int


class CategoryPage(BaseModel):
    """One page of categories; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Category]
    next_cursor: str | None = None
