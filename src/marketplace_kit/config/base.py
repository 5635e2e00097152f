"""Shared by every section: the strict model base and the names' patterns."""


from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).



DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?\Z")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}\Z")
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
# A route open without a token at the gateway: "METHOD /path" under the service's prefix; a path
# ending in "/*" covers everything below it (Istio's prefix match). METHOD "*" is any method.
PUBLIC_ROUTE = re.compile(
    r"^(\*|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/[A-Za-z0-9._~-]+)*(/|/\*)?\Z"
)

PLATFORM_FILE = "marketplace.yaml"


# A service's datastore: PostgreSQL or none. DocumentDB is refused (config, new-service, plan)
# until the template has a MongoDB-protocol driver layer tested like the PostgreSQL one.
DOCUMENTDB_REFUSED = (
    "documentdb is not supported yet (the service template has no tested DocumentDB driver)"
)
DOCUMENTDB_FIX = "use postgres (documents as JSONB columns) or none"


def refuse_documentdb(value: Any) -> Any:
    """The ``datastore`` validator shared by service.yaml and new-service's answers."""
    if value == "documentdb":
        raise ValueError(DOCUMENTDB_REFUSED)
    return value


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``true`` is not 1: YAML booleans are refused where a number belongs."""
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and numbers_only(field.annotation):
                raise ValueError("a number, not true or false")
        return value


def numbers_only(annotation: Any) -> bool:
    """An int or float annotation (optionally Annotated, or X | None) that takes no bool."""
    kinds: set[Any] = set()
    pending = [annotation]
    while pending:
        current = pending.pop()
        args = typing.get_args(current)
        if typing.get_origin(current) is typing.Annotated:
            pending.append(args[0])
        elif args and typing.get_origin(current) in (typing.Union, types.UnionType):
            pending.extend(args)
        else:
            kinds.add(current)
    return bool(kinds & {int, float}) and bool not in kinds


# --- marketplace.yaml ------------------------------------------------------------------
