"""The order entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator

REQUIRED: frozenset[str] = frozenset(
    {
        "buyer_id",
        "total",
        "currency",
    }
)


class OrderCreate(BaseModel):
    """The fields of a new order."""

    model_config = ConfigDict(extra="forbid")

    buyer_id: UUID
    total: Decimal
    currency: str


class OrderUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    buyer_id: UUID | None = None
    total: Decimal | None = None
    currency: str | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> OrderUpdate:
        nulls = sorted(n for n in self.model_fields_set & REQUIRED if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Order(OrderCreate):
    """A stored order."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    updated_at: datetime
    version: int


class OrderPage(BaseModel):
    """One page of orders; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Order]
    next_cursor: str | None = None
