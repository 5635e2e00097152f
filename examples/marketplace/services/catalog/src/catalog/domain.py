"""Catalog domain code: products owned by sellers, categories, attributes and search.

Categories are the generated entity (managed through the admin API). Products live in their own
table: sellers create and change their own products, anyone reads and searches them
(PostgreSQL full-text search over name and description, filters on category, seller, price and
attributes). Every product change writes ``product.created|updated|deleted`` to
``product-events`` in the same transaction (ProductCreated/Updated/Deleted).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from catalog import auth
from catalog.auth import Principal
from catalog.db import Database, Tx
from catalog.errors import DomainError
from catalog.events import new_event
from catalog.models import CategoryCreate
from catalog.openapi import problem_response

router = APIRouter(tags=["products"])
TOPIC = "product-events"
Scalar = str | int | float | bool
PRICE_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"  # the decimal string the service answers with


def _not_a_number(value: object) -> object:
    """A JSON number (or bool) is refused: money travels as a decimal string."""
    if isinstance(value, int | float):
        raise ValueError("a price is a decimal string, e.g. \"49.90\"")
    return value


Price = Annotated[
    Decimal, BeforeValidator(_not_a_number), Field(ge=0, max_digits=12, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": PRICE_PATTERN}),
]
# key:value; PostgreSQL text holds no NUL character.
AttrFilter = Annotated[str, StringConstraints(pattern=r"^[^:\x00]+:[^\x00]*$")]
SearchText = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
Nullable = SkipJsonSchema[None]  # null is refused (422), so not in the schema
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Seller = Annotated[Principal, Depends(auth.require_role("seller", "admin"))]
NOT_FOUND = "product not found"
MISSING: dict[int | str, dict[str, Any]] = {404: problem_response(404)}
# category_id names no category (any more)
NO_CATEGORY: dict[int | str, dict[str, Any]] = {409: problem_response(409)}


class ProductIn(BaseModel):
    """A new product."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    price: Price
    currency: Currency = "USD"
    category_id: UUID | None = None
    attributes: dict[str, Scalar] = Field(default_factory=dict, max_length=50)


class ProductPatch(BaseModel):
    """Changes to a product; ``attributes`` replaces the whole set."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)] | Nullable = None
    description: Annotated[str, Field(max_length=5000)] | Nullable = None
    price: Price | Nullable = None
    currency: Currency | Nullable = None
    category_id: UUID | None = None
    attributes: Annotated[dict[str, Scalar], Field(max_length=50)] | Nullable = None


class Product(ProductIn):
    """A stored product."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    seller_id: UUID
    version: int


class ProductPage(BaseModel):
    """Search results, best match first when searching by text."""

    items: list[Product]
    total: int


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


def _product(row: asyncpg.Record) -> Product:
    return Product.model_validate(dict(row))


async def _announce(tx: Tx, kind: str, product: Product) -> None:
    data = product.model_dump(mode="json")
    await tx.publish(TOPIC, new_event(f"product.{kind}", data, subject=str(product.id)))


async def _owned(tx: Tx, id_: UUID, caller: Principal) -> asyncpg.Record:
    row = await tx.conn.fetchrow("SELECT * FROM products WHERE id = $1 FOR UPDATE", id_)
    if row is None:
        raise DomainError(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    if str(row["seller_id"]) != caller.subject and not caller.has_role("admin"):
        raise DomainError(status.HTTP_403_FORBIDDEN, "this product belongs to another seller")
    return row


def _bad_category(exc: asyncpg.ForeignKeyViolationError) -> DomainError:
    return DomainError(status.HTTP_409_CONFLICT, "unknown category_id")  # a state, not a shape


@router.post("/products", status_code=status.HTTP_201_CREATED, responses=NO_CATEGORY)
async def create_product(body: ProductIn, request: Request, seller: Seller) -> Product:
    """A seller lists a product (ProductCreated)."""
    try:
        async with _db(request).transaction() as tx:
            row = await tx.conn.fetchrow(
                "INSERT INTO products (id, seller_id, category_id, name, description, price,"
                " currency, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                uuid4(), UUID(seller.subject), body.category_id, body.name, body.description,
                body.price, body.currency, body.attributes,
            )
            product = _product(row)
            await _announce(tx, "created", product)
    except asyncpg.ForeignKeyViolationError as exc:
        raise _bad_category(exc) from None
    return product


@router.patch("/products/{id_}", responses={**MISSING, **NO_CATEGORY})
async def update_product(
    id_: UUID, body: ProductPatch, request: Request, seller: Seller
) -> Product:
    """The owner (or an admin) changes a product (ProductUpdated)."""
    changes = {k: getattr(body, k) for k in sorted(body.model_fields_set)}
    required = {"name", "price", "currency", "attributes", "description"}
    if any(changes[k] is None for k in required & changes.keys()):
        raise DomainError(status.HTTP_422_UNPROCESSABLE_CONTENT, "only category_id can be null")
    try:
        async with _db(request).transaction() as tx:
            await _owned(tx, id_, seller)
            sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
            sets = f"{sets}, " if sets else ""
            row = await tx.conn.fetchrow(
                f"UPDATE products SET {sets}updated_at = now(), version = version + 1"
                " WHERE id = $1 RETURNING *",
                id_, *changes.values(),
            )
            product = _product(row)
            await _announce(tx, "updated", product)
    except asyncpg.ForeignKeyViolationError as exc:
        raise _bad_category(exc) from None
    return product


@router.delete("/products/{id_}", status_code=status.HTTP_204_NO_CONTENT, responses=MISSING)
async def delete_product(id_: UUID, request: Request, seller: Seller) -> None:
    """The owner (or an admin) removes a product (ProductDeleted)."""
    async with _db(request).transaction() as tx:
        row = await _owned(tx, id_, seller)
        await tx.conn.execute("DELETE FROM products WHERE id = $1", id_)
        await _announce(tx, "deleted", _product(row))


@router.get("/products/{id_}", responses=MISSING)
async def get_product(id_: UUID, request: Request) -> Product:
    """One product (public)."""
    rows = await _db(request).fetch("SELECT * FROM products WHERE id = $1", id_)
    if not rows:
        raise DomainError(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return _product(rows[0])


def parse_attributes(filters: list[str]) -> dict[str, Any]:
    """``color:red`` and ``size:42`` -> {"color": "red", "size": 42} (JSON scalars kept)."""
    wanted: dict[str, Any] = {}
    for item in filters:
        key, sep, raw = item.partition(":")
        if not sep or not key:
            raise DomainError(422, f"attr {item!r}: use key:value")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        scalar = isinstance(value, str | int | bool) or (
            isinstance(value, float) and math.isfinite(value)  # 1e999: JSON has no Infinity
        )
        wanted[key] = value if scalar else raw
    return wanted


@router.get("/products")
async def search_products(
    request: Request,
    q: Annotated[SearchText | None, Query(description="full-text query")] = None,
    category_id: UUID | None = None,
    seller_id: UUID | None = None,
    max_price: Price | None = None,
    attr: Annotated[
        list[AttrFilter], Query(description="attribute filter key:value, repeatable")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> ProductPage:
    """Search products (public): websearch syntax in ``q``, filters combine with AND."""
    where, args = ["true"], []
    def param(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"
    order = "created_at, id"  # (a constant in ORDER BY would be a column position)
    if q:
        query = f"websearch_to_tsquery('english', {param(q)})"
        where.append(f"search @@ {query}")
        order = f"ts_rank_cd(search, {query}) DESC, {order}"
    if category_id:
        where.append(f"category_id = {param(category_id)}")
    if seller_id:
        where.append(f"seller_id = {param(seller_id)}")
    if max_price is not None:
        where.append(f"price <= {param(max_price)}")
    if attr:
        where.append(f"attributes @> {param(parse_attributes(attr))}::jsonb")
    condition = " AND ".join(where)
    db = _db(request)
    total = (await db.fetch(f"SELECT count(*) AS n FROM products WHERE {condition}", *args))[0]
    rows = await db.fetch(
        f"SELECT * FROM products WHERE {condition}"
        f" ORDER BY {order} LIMIT {param(limit)} OFFSET {param(offset)}",
        *args,
    )
    return ProductPage(items=[_product(r) for r in rows], total=total["n"])


async def before_create(tx: Tx, data: CategoryCreate) -> CategoryCreate:
    """Category names are trimmed."""
    return data.model_copy(update={"name": data.name.strip() or data.name})


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """Categories change freely (admins only, through the entity API)."""
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """Deleting a category leaves its products uncategorized (ON DELETE SET NULL)."""
