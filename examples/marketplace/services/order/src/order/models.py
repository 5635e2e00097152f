"""The order entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
)

# Bounds from the column types (0001_initial.sql): what the database cannot store exactly is
# refused with 422 here, never a 500 there or a silent change.
TEXT_MAX_LENGTH = 10_000
# NUMERIC keeps the scale a client sent ("50.00" stays "50.00"); these bound what it accepts.
NUMERIC_PRECISION, NUMERIC_SCALE = 20, 6
# A decimal travels as a JSON string in plain notation (no float rounding, no exponent): exactly
# what this pattern matches is accepted, and every stored value is answered in this form.
NUMERIC_PATTERN = r"^-?(0|[1-9][0-9]{0,13})(\.[0-9]{1,6})?$"  # 14 + 6 digits


def _storable_text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text cannot contain NUL (U+0000)")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text cannot contain a lone surrogate (no UTF-8 for it)") from None
    return text


def _json_integer(value: Any) -> Any:
    """An integer as JSON has it: an int or a number without a fraction (``1.0``), never a
    bool or a string (pydantic's lax mode would take ``true`` and ``"5"``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer is required")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("an integer is required")
        return int(value)
    return value


def _not_a_number(value: Any) -> Any:
    """Dates and times travel as strings: a number is not one (lax mode reads it as epoch)."""
    if isinstance(value, int | float):
        raise ValueError("a string is required")
    return value


# TEXT: no NUL or lone surrogate, bounded length; BIGINT: int64; DOUBLE PRECISION: finite (JSON
# has no Infinity); BOOLEAN: true or false only. Each accepts exactly what its schema states.
Text = Annotated[
    str,
    Field(max_length=TEXT_MAX_LENGTH, json_schema_extra={"pattern": "^[^\\x00]*$"}),
    AfterValidator(_storable_text),
]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1), BeforeValidator(_json_integer)]
Float = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Bool = Annotated[bool, Strict()]


def _decimal_text(value: Any) -> Any:
    """A JSON decimal is a string matching NUMERIC_PATTERN (Decimal values pass: code, rows)."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or re.fullmatch(NUMERIC_PATTERN, value) is None:
        raise ValueError(f"a decimal is a string like \"12.50\" matching {NUMERIC_PATTERN}")
    return value


Numeric = Annotated[
    Decimal,
    Field(max_digits=NUMERIC_PRECISION, decimal_places=NUMERIC_SCALE, allow_inf_nan=False),
    BeforeValidator(_decimal_text),
    WithJsonSchema({"type": "string", "pattern": NUMERIC_PATTERN, "examples": ["12.50"]}),
]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("a required field cannot be null")
    return value


def _not_null_schema(schema: dict[str, Any]) -> None:
    """The schema of a required field in PATCH: its type, no null, no default (may be absent)."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if branches:
        schema.update(branches[0])
    schema.pop("default", None)


class OrderCreate(BaseModel):
    """The fields of a new order."""

    model_config = ConfigDict(extra="forbid")

    buyer_id: UUID
    total: Numeric
    currency: Text


class OrderUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed; a required field cannot be
    set to null, an optional one can."""

    model_config = ConfigDict(extra="forbid")

    buyer_id: Annotated[UUID | None, AfterValidator(_not_null)] = Field(
        default=None, json_schema_extra=_not_null_schema
    )
    total: Annotated[Numeric | None, AfterValidator(_not_null)] = Field(
        default=None, json_schema_extra=_not_null_schema
    )
    currency: Annotated[Text | None, AfterValidator(_not_null)] = Field(
        default=None, json_schema_extra=_not_null_schema
    )

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
