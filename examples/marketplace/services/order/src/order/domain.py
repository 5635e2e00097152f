"""Order domain code: THIS FILE IS YOURS.

marketplace-kit created it once and never overwrites it (regeneration and update-service keep
it). Add business rules to the hooks, and your own endpoints to ``router`` (served under
``/order``). Raise ``DomainError(status, detail)`` to refuse a request.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from order.db import Tx
from order.models import OrderCreate

router = APIRouter(tags=["domain"])


async def before_create(tx: Tx, data: OrderCreate) -> OrderCreate:
    """Validate or enrich a new order inside its transaction; return what to store."""
    return data


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """Check or adjust a change inside its transaction; return the changes to apply."""
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """Refuse a deletion by raising DomainError."""
