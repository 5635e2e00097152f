"""The profile entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

# Bounds from the column types (0001_initial.sql): what the database cannot store exactly is
# refused with 422 here, never a 500 there or a silent change.
TEXT_MAX_LENGTH = 10_000


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


class ProfileCreate(BaseModel):
    """The fields of a new profile."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text
    bio: Text | None = None


class ProfileUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed; a required field cannot be
    set to null, an optional one can."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[Text | None, AfterValidator(_not_null)] = Field(
        default=None, json_schema_extra=_not_null_schema
    )
    bio: Text | None = None

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
