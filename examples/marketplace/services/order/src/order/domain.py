"""Order domain code: carts, checkout and the order lifecycle.

Buyers fill a cart with products the catalog announced (``products`` projection, fed by
``product-events``) and check out: the order is written PENDING with its lines and an
``order.placed`` event (OrderPlaced) goes to ``order-events`` in the same transaction. The payment
service charges it; its ``payment.succeeded|failed`` events move the order to PAID or CANCELLED
(``handlers.py``). A seller ships a paid order (SHIPPED). The generated ``/orders`` API is the
admin view (AUTH_CRUD_ROLES).

Orders are event-sourced: every change is an event appended to the order's stream
(``eventstore.py``), published with the same id, and folded into the read model
(``projection.py``); ``GET /me/orders/{id}/events`` is an order's history and
``python -m order replay`` rebuilds the read model from the store.

The sandbox card number travels in ``order.placed`` to the payment service; a real provider
would get a token from the buyer's browser instead (card data never reaches these services).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from order import auth, eventstore, lifecycle, projection, replay
from order.auth import Principal
from order.db import Database, Tx
from order.errors import DomainError
from order.events import new_event
from order.models import OrderCreate
from order.openapi import problem_response
from order.projection import OrderState
from order.settings import Settings

router = APIRouter(tags=["checkout"])
Buyer = Annotated[Principal, Depends(auth.require_role("buyer", "admin"))]
Seller = Annotated[Principal, Depends(auth.require_role("seller", "admin"))]
MISSING: dict[int | str, dict[str, Any]] = {404: problem_response(404)}
CONFLICT: dict[int | str, dict[str, Any]] = {409: problem_response(409)}
# ``python -m order replay``: the read model rebuilt from the event store.
COMMANDS: dict[str, Callable[[Settings], Coroutine[Any, Any, None]]] = {"replay": replay.run}


class CartItemIn(BaseModel):
    """How many of a product the cart holds (0 removes it)."""

    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=0, le=1000, strict=True)  # an integer, not true or "2"


class Line(BaseModel):
    """A product in a cart or an order."""

    product_id: UUID
    name: str
    unit_price: Decimal
    quantity: int
    seller_id: UUID


class Cart(BaseModel):
    """The caller's cart."""

    items: list[Line]
    total: Decimal
    currency: str | None


class Checkout(BaseModel):
    """Pay with a card (sandbox test numbers: 4242424242424242 succeeds,
    4000000000000002 is declined)."""

    model_config = ConfigDict(extra="forbid")

    card_number: str = Field(pattern=r"^\d{12,19}$")


class OrderView(BaseModel):
    """An order as its buyer sees it."""

    id: UUID
    status: lifecycle.Status
    status_reason: str | None
    total: Decimal
    currency: str
    lines: list[Line]
    version: int


class OrderEvent(BaseModel):
    """One event of an order's history (as the order service recorded it)."""

    id: UUID
    type: str
    version: int
    time: datetime
    data: dict[str, Any]


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


async def _cart(conn: asyncpg.Connection, buyer: str) -> Cart:
    rows = await conn.fetch(
        "SELECT p.id AS product_id, p.name, p.price AS unit_price, c.quantity, p.seller_id,"
        " p.currency FROM cart_items c JOIN products p ON p.id = c.product_id"
        " WHERE c.buyer_id = $1 AND p.active ORDER BY c.added_at, p.id",
        UUID(buyer),
    )
    items = [Line.model_validate(dict(r)) for r in rows]
    currencies = {r["currency"] for r in rows}
    if len(currencies) > 1:
        raise DomainError(status.HTTP_409_CONFLICT, "the cart mixes currencies")
    return Cart(items=items, total=sum((i.unit_price * i.quantity for i in items), Decimal(0)),
                currency=currencies.pop() if currencies else None)


def _view(state: OrderState) -> OrderView:
    lines = sorted(state.lines, key=lambda line: (line.name, str(line.product_id)))
    return OrderView(id=state.id, status=cast(lifecycle.Status, state.status),
                     status_reason=state.status_reason, total=state.total,
                     currency=state.currency, version=state.version,
                     lines=[Line.model_validate(asdict(line)) for line in lines])


async def _mine(conn: asyncpg.Connection, id_: UUID, buyer: Principal) -> OrderState:
    state = await projection.load(conn, id_)
    if state is None or state.buyer_id != UUID(buyer.subject):
        raise DomainError(status.HTTP_404_NOT_FOUND, "order not found")
    return state


@router.get("/me/cart")
async def get_cart(request: Request, buyer: Buyer) -> Cart:
    """The caller's cart."""
    async with _db(request).acquire() as conn:
        return await _cart(conn, buyer.subject)


@router.put("/me/cart/items/{product_id}", responses=MISSING)
async def set_cart_item(
    product_id: UUID, body: CartItemIn, request: Request, buyer: Buyer
) -> Cart:
    """Put ``quantity`` of a product in the cart (404 until the catalog's event arrived)."""
    async with _db(request).transaction() as tx:
        if body.quantity == 0:
            await tx.conn.execute(
                "DELETE FROM cart_items WHERE buyer_id = $1 AND product_id = $2",
                UUID(buyer.subject), product_id,
            )
        else:
            known = await tx.conn.fetchval(
                "SELECT true FROM products WHERE id = $1 AND active", product_id
            )
            if not known:
                raise DomainError(status.HTTP_404_NOT_FOUND, "product not found")
            await tx.conn.execute(
                "INSERT INTO cart_items (buyer_id, product_id, quantity) VALUES ($1, $2, $3)"
                " ON CONFLICT (buyer_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity",
                UUID(buyer.subject), product_id, body.quantity,
            )
        return await _cart(tx.conn, buyer.subject)


@router.post("/me/checkout", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
async def checkout(body: Checkout, request: Request, buyer: Buyer) -> OrderView:
    """Turn the cart into a PENDING order and announce it (OrderPlaced, the first event of the
    order's stream); payment follows."""
    async with _db(request).transaction() as tx:
        cart = await _cart(tx.conn, buyer.subject)
        if not cart.items or cart.currency is None:
            raise DomainError(status.HTTP_409_CONFLICT, "the cart is empty")
        order_id = uuid4()
        data = {
            "order_id": str(order_id), "buyer_id": buyer.subject, "buyer_email": buyer.email,
            "total": str(cart.total), "currency": cart.currency, "status": "PENDING",
            "reason": None, "version": 1,
            "lines": [line.model_dump(mode="json") for line in cart.items],
            "payment_method": {"type": "card", "number": body.card_number},
        }
        event = new_event("order.placed", data, subject=str(order_id))
        state = await lifecycle.record(tx, order_id, None, event)
        await tx.conn.execute("DELETE FROM cart_items WHERE buyer_id = $1", UUID(buyer.subject))
        return _view(state)


@router.get("/me/orders")
async def my_orders(request: Request, buyer: Buyer) -> list[OrderView]:
    """The caller's orders, newest first."""
    async with _db(request).acquire() as conn:
        ids = await conn.fetch(
            "SELECT id FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC LIMIT 100",
            UUID(buyer.subject),
        )
        states = [await projection.load(conn, r["id"]) for r in ids]
        return [_view(s) for s in states if s is not None]


@router.get("/me/orders/{id_}", responses=MISSING)
async def my_order(id_: UUID, request: Request, buyer: Buyer) -> OrderView:
    """One of the caller's orders."""
    async with _db(request).acquire() as conn:
        return _view(await _mine(conn, id_, buyer))


@router.get("/me/orders/{id_}/events", responses=MISSING)
async def my_order_events(id_: UUID, request: Request, buyer: Buyer) -> list[OrderEvent]:
    """The history of one of the caller's orders: its events, oldest first (the card number
    of ``order.placed`` is never stored)."""
    async with _db(request).acquire() as conn:
        await _mine(conn, id_, buyer)
        return [OrderEvent(id=e.event_id, type=e.type, version=e.version, time=e.time,
                           data=e.data) for e in await eventstore.read_stream(conn, id_)]


@router.post("/orders/{id_}/ship", responses={**MISSING, **CONFLICT})
async def ship(id_: UUID, request: Request, seller: Seller) -> OrderView:
    """The seller of every line (or an admin) ships a PAID order (``order.shipped``)."""
    async with _db(request).transaction() as tx:
        sellers = {r["seller_id"] for r in await tx.conn.fetch(
            "SELECT seller_id FROM order_lines WHERE order_id = $1", id_)}
        if not sellers:  # an order made through the admin API has no lines: nothing to ship
            if await tx.conn.fetchval("SELECT true FROM orders WHERE id = $1", id_):
                raise DomainError(status.HTTP_409_CONFLICT, "an order without lines is not shipped")
            raise DomainError(status.HTTP_404_NOT_FOUND, "order not found")
        if sellers != {UUID(seller.subject)} and not seller.has_role("admin"):
            raise DomainError(status.HTTP_403_FORBIDDEN, "only the seller ships this order")
        state = await lifecycle.move(tx, id_, "SHIPPED")
        if state is None:
            raise DomainError(status.HTTP_409_CONFLICT, "only a PAID order can be shipped")
        return _view(state)


async def before_create(tx: Tx, data: OrderCreate) -> OrderCreate:
    """Orders made through the admin API start PENDING without lines."""
    return data


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """The status is not a field of the admin API: it moves only through the lifecycle."""
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """Only orders that never got paid may be deleted."""
    status_now = await tx.conn.fetchval("SELECT status FROM orders WHERE id = $1", id_)
    if status_now in ("PAID", "SHIPPED"):
        raise DomainError(status.HTTP_409_CONFLICT, f"a {status_now} order cannot be deleted")
