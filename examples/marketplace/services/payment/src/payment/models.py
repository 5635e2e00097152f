"""The payment entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator

REQUIRED: frozenset[str] = frozenset(
    {
        "order_id",
        "amount",
        "currency",
    }
)


class PaymentCreate(BaseModel):
    """The fields of a new payment."""

    model_config = ConfigDict(extra="forbid")

    order_id: UUID
    amount: Decimal
    currency: str


class PaymentUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    order_id: UUID | None = None
    amount: Decimal | None = None
    currency: str | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> PaymentUpdate:
        nulls = sorted(n for n in self.model_fields_set & REQUIRED if getattr(self, n) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Payment(PaymentCreate):
    """A stored payment."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    updated_at: datetime
    version: int


class PaymentPage(BaseModel):
    """One page of payments; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Payment]
    next_cursor: str | None = None
