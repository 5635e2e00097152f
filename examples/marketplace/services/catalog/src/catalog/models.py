"""The category entity: what clients send (create, update) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Bounds from the column types (0001_initial.sql): what the database cannot store exactly is
# refused with 422 here, never a 500 there or a silent change.
TEXT_MAX_LENGTH = 10_000


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text cannot contain NUL (U+0000)")
    return text


# TEXT: no NUL, bounded length; BIGINT: int64; DOUBLE PRECISION: finite (JSON has no Infinity)
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH), AfterValidator(_no_nul)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Float = Annotated[float, Field(allow_inf_nan=False)]


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


class CategoryCreate(BaseModel):
    """The fields of a new category."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    description: Text | None = None


class CategoryUpdate(BaseModel):
    """A partial update (PATCH): only the fields sent are changed; a required field cannot be
    set to null, an optional one can."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text | None, AfterValidator(_not_null)] = Field(
        default=None, json_schema_extra=_not_null_schema
    )
    description: Text | None = None

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
