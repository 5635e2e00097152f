"""User domain code: registration, login (signed tokens), profiles and roles.

A user is a profile (the generated entity: public display name and bio) plus an account row
(e-mail, Argon2id password hash, role) with the same id. Login returns a token signed with this
service's private key (``auth.py``: ES256, only this service holds the key); every other service
verifies it against the keys published at ``/.well-known/jwks.json``. Roles: buyer, seller
(chosen at registration) and admin (granted by an admin).

Events on ``user-events``: ``user.registered`` and ``user.role_changed`` (plus the generated
``profile.created|updated|deleted``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from user import auth, repository
from user.auth import CurrentPrincipal, Principal
from user.db import Database, Tx
from user.errors import DomainError
from user.events import new_event
from user.models import ProfileCreate, ProfileUpdate
from user.openapi import problem_response
from user.settings import Settings

router = APIRouter(tags=["accounts"])
TOPIC = "user-events"
NO_ACCOUNT: dict[int | str, dict[str, Any]] = {404: problem_response(404)}
EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
Role = Literal["buyer", "seller", "admin"]
# Verifying against this keeps a login for an unknown e-mail as slow as one with a bad password.
_DUMMY_HASH = auth.hash_password("not-a-real-password")


class Registration(BaseModel):
    """A new user: buyers and sellers register themselves; admins are granted by an admin."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=EMAIL, max_length=254)
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field(min_length=1, max_length=100)
    role: Literal["buyer", "seller"] = "buyer"


class Login(BaseModel):
    """E-mail and password."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class Token(BaseModel):
    """A bearer token for the other services."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Account(BaseModel):
    """A user as they see themselves."""

    id: UUID
    email: str
    role: Role
    display_name: str
    bio: str | None = None


class RoleChange(BaseModel):
    """The new role of a user."""

    role: Role


def _db(request: Request) -> Database:
    db: Database = request.app.state.runtime.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def normalize(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return email.strip().lower()


async def _account(conn: asyncpg.Connection, id_: UUID | str) -> Account | None:
    row = await conn.fetchrow(
        "SELECT a.id, a.email, a.role, p.display_name, p.bio FROM accounts a"
        " JOIN profiles p ON p.id = a.id WHERE a.id = $1",
        UUID(str(id_)),
    )
    return Account.model_validate(dict(row)) if row else None


@router.post("/register", status_code=status.HTTP_201_CREATED,
             responses={409: problem_response(409)})
async def register(body: Registration, request: Request) -> Account:
    """Create an account and its profile; ``user.registered`` is published."""
    email = normalize(body.email)
    password_hash = await asyncio.to_thread(auth.hash_password, body.password)
    try:
        async with _db(request).transaction() as tx:
            profile = await repository.create(tx, ProfileCreate(display_name=body.display_name))
            await tx.conn.execute(
                "INSERT INTO accounts (id, email, password_hash, role) VALUES ($1, $2, $3, $4)",
                profile.id, email, password_hash, body.role,
            )
            data = {"id": str(profile.id), "email": email, "role": body.role,
                    "display_name": body.display_name}
            await tx.publish(TOPIC, new_event("user.registered", data, subject=str(profile.id)))
    except asyncpg.UniqueViolationError:
        raise DomainError(status.HTTP_409_CONFLICT, "this e-mail is already registered") from None
    return Account(id=profile.id, email=email, role=body.role, display_name=body.display_name)


@router.post("/login", responses={401: problem_response(401)})
async def login(body: Login, request: Request) -> Token:
    """A token for a known e-mail and its password (401 otherwise)."""
    async with _db(request).acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, email, password_hash, role FROM accounts WHERE lower(email) = $1",
            normalize(body.email),
        )
    stored = row["password_hash"] if row else _DUMMY_HASH
    valid = await asyncio.to_thread(auth.verify_password, stored, body.password)
    if row is None or not valid:
        raise DomainError(status.HTTP_401_UNAUTHORIZED, "unknown e-mail or wrong password")
    try:
        token = auth.authority(request).issue(str(row["id"]), [row["role"]], email=row["email"])
    except auth.AuthUnavailable as exc:
        raise DomainError(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    return Token(access_token=token, expires_in=_settings(request).auth_token_ttl_seconds)


@router.get("/me", responses=NO_ACCOUNT)
async def me(principal: CurrentPrincipal, request: Request) -> Account:
    """The caller's account and profile."""
    async with _db(request).acquire() as conn:
        account = await _account(conn, principal.subject)
    if account is None:
        raise DomainError(status.HTTP_404_NOT_FOUND, "account not found")
    return account


@router.patch("/me", responses=NO_ACCOUNT)
async def update_me(body: ProfileUpdate, principal: CurrentPrincipal, request: Request) -> Account:
    """Change the caller's display name or bio (``profile.updated`` is published)."""
    async with _db(request).transaction() as tx:
        if await repository.update(tx, UUID(principal.subject), body.changes()) is None:
            raise DomainError(status.HTTP_404_NOT_FOUND, "account not found")
        account = await _account(tx.conn, principal.subject)
    assert account is not None
    return account


@router.put("/accounts/{id_}/role", responses=NO_ACCOUNT)
async def change_role(
    id_: UUID,
    body: RoleChange,
    request: Request,
    admin: Annotated[Principal, Depends(auth.require_role("admin"))],
) -> Account:
    """An admin grants a role (``user.role_changed`` is published)."""
    async with _db(request).transaction() as tx:
        updated = await tx.conn.fetchval(
            "UPDATE accounts SET role = $2 WHERE id = $1 RETURNING id", id_, body.role
        )
        if updated is None:
            raise DomainError(status.HTTP_404_NOT_FOUND, "account not found")
        data = {"id": str(id_), "role": body.role, "by": admin.subject}
        await tx.publish(TOPIC, new_event("user.role_changed", data, subject=str(id_)))
        account = await _account(tx.conn, id_)
    assert account is not None
    return account


async def before_create(tx: Tx, data: ProfileCreate) -> ProfileCreate:
    """Profiles created through the admin API have no account (no login) until registered."""
    return data


async def before_update(tx: Tx, id_: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """Display names are trimmed."""
    if isinstance(changes.get("display_name"), str):
        changes["display_name"] = changes["display_name"].strip() or changes["display_name"]
    return changes


async def before_delete(tx: Tx, id_: UUID) -> None:
    """Deleting a profile deletes its account too (ON DELETE CASCADE)."""
