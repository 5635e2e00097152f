"""HTTP API for orders: create, read, list (keyset pagination), update, delete."""

from __future__ import annotations

import time
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from order import auth, domain, etags, idempotency, repository
from order.db import Database, Tx
from order.models import Order, OrderCreate, OrderPage, OrderUpdate
from order.openapi import problem_response

# Every route here passes the entity API's gate first (open while auth is off).
router = APIRouter(
    prefix="/orders", tags=["orders"], route_class=auth.CrudGuardedRoute
)
NOT_FOUND = "order not found"
PURGE_EVERY_SECONDS = 300.0
_MISSING = object()
_last_purge = 0.0
# 409: the domain hooks (``before_update``/``before_delete``) may refuse with a DomainError.
WRITE_REFUSALS: dict[int | str, dict[str, Any]] = {
    status_: problem_response(status_) for status_ in (404, 409, 412)
}


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Order,
             responses={409: problem_response(409), 422: problem_response(422)},
             openapi_extra={"parameters": [idempotency.PARAMETER]})
async def create_order(
    body: OrderCreate, request: Request
) -> Order | Response:
    """Create a order (its ``order.created`` event is published via the outbox).

    With ``Idempotency-Key``, a retry with the same key and body gets the first response again
    (``Idempotent-Replayed: true``) and creates nothing; the same key with another body is 422.
    """
    idempotency_key = idempotency.key_of(request)
    settings = request.app.state.settings
    path = request.scope["path"]
    async with _db(request).transaction() as tx:
        if idempotency_key is not None:
            print_ = idempotency.fingerprint("POST", path, body.model_dump(mode="json"))
            try:
                first = await idempotency.claim(
                    tx, idempotency_key, print_, settings.idempotency_key_hours
                )
            except idempotency.KeyReused as exc:
                raise HTTPException(422, str(exc)) from None
            if first is not None:
                headers = {**first.headers, "Idempotent-Replayed": "true"}
                return JSONResponse(first.body, status_code=first.status, headers=headers)
        body = await domain.before_create(tx, body)
        entity = await repository.create(tx, body)
        location = f"{path}/{entity.id}"
        headers = {"Location": location, "ETag": etags.etag(entity.version)}
        if idempotency_key is not None:
            stored = idempotency.Stored(201, headers, entity.model_dump(mode="json"))
            await idempotency.save(tx, idempotency_key, stored)
            await _purge_now_and_then(tx, settings.idempotency_key_hours)
    # Serialized once, here: returning the model would have FastAPI validate it again first.
    return Response(entity.model_dump_json(), 201, headers, media_type="application/json")


async def _purge_now_and_then(tx: Tx, hours: int) -> None:
    global _last_purge
    if time.monotonic() - _last_purge > PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        await idempotency.purge(tx, hours)


@router.get("", responses={400: problem_response(400)})
async def list_orders(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=repository.CURSOR_PATTERN)] = None,
) -> OrderPage:
    """A page of orders in creation order; follow ``next_cursor`` for more."""
    async with _db(request).acquire() as conn:
        try:
            return await repository.list_page(conn, limit, cursor)
        except repository.InvalidCursor:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor") from None


@router.get(
    "/{id_}",
    response_model=Order,
    responses={304: {"description": "Not modified (If-None-Match)"}, 404: problem_response(404)},
)
async def get_order(
    id_: UUID,
    request: Request,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Order | Response:
    """One order; ``If-None-Match: <its ETag>`` answers 304 without a body."""
    async with _db(request).acquire() as conn:
        entity = await repository.get(conn, id_)
    if entity is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    if etags.if_none_match(if_none_match, entity.version):
        return Response(status_code=304, headers={"ETag": etags.etag(entity.version)})
    response.headers["ETag"] = etags.etag(entity.version)
    return entity


@router.patch("/{id_}", responses=WRITE_REFUSALS)
async def update_order(
    id_: UUID,
    body: OrderUpdate,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Order:
    """Change the fields sent; ``If-Match: <ETag>`` refuses a lost update (412). A PATCH that
    changes nothing changes nothing: same version, no event."""
    async with _db(request).transaction() as tx:
        current = await repository.get(tx, id_, lock=True)
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        if not etags.if_match(if_match, current.version):
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "the ETag does not match")
        changes = await domain.before_update(tx, id_, body.changes())
        changed = {k: v for k, v in changes.items() if getattr(current, k, _MISSING) != v}
        entity = current
        if changed:
            updated = await repository.update(tx, id_, changed, current.version)
            if updated is None:  # cannot happen under the row lock; refuse rather than guess
                raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "version changed")
            entity = updated
    response.headers["ETag"] = etags.etag(entity.version)
    return entity


@router.delete(
    "/{id_}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_REFUSALS,
)
async def delete_order(
    id_: UUID,
    request: Request,
    if_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> None:
    """Delete a order; ``If-Match: <ETag>`` refuses deleting a changed one (412)."""
    async with _db(request).transaction() as tx:
        current = await repository.get(tx, id_, lock=True)
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        if not etags.if_match(if_match, current.version):
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "the ETag does not match")
        await domain.before_delete(tx, id_)
        if await repository.delete(tx, id_) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
