"""Authentication shared by the marketplace's services: signed tokens and password hashing.

Tokens are JSON Web Tokens signed with HS256 and one secret shared by the services
(``AUTH_JWT_SECRET``): the service that logs users in issues them (``issue_token``), every
service verifies them (``authenticated``, ``require_role``). With one shared secret every service
that can verify could also issue: simple for a demo or a small platform. In production prefer an
asymmetric key (RS256/EdDSA) held only by the issuer, verified through its JWKS.

Passwords are hashed with Argon2id (argon2-cffi, random salt per hash).

While ``AUTH_JWT_SECRET`` is unset, auth is off: the generated entity API is open and endpoints
that need a caller answer 503. Once it is set, the entity API accepts only tokens carrying one of
``AUTH_CRUD_ROLES`` (default ``["admin"]``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from order.settings import Settings

ALGORITHM = "HS256"
_bearer = HTTPBearer(auto_error=False, description="a token issued by the user service")
_hasher = PasswordHasher()
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class Principal(BaseModel):
    """Who is calling: the token's subject, roles and e-mail."""

    subject: str
    roles: tuple[str, ...] = ()
    email: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Whether the caller has one of ``roles``."""
        return any(role in self.roles for role in roles)


class AuthError(Exception):
    """A token that cannot be trusted (bad signature, expired, wrong issuer, malformed)."""


def _secret(settings: Settings) -> str:
    if settings.auth_jwt_secret is None:
        raise AuthError("authentication is not configured (set AUTH_JWT_SECRET)")
    return settings.auth_jwt_secret.get_secret_value()


def issue_token(
    settings: Settings,
    subject: str,
    roles: Iterable[str],
    email: str | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """A signed token for ``subject`` valid for ``ttl_seconds`` (default AUTH_TOKEN_TTL_SECONDS)."""
    now = int(time.time())
    claims = {
        "iss": settings.auth_jwt_issuer,
        "sub": subject,
        "iat": now,
        "exp": now + (ttl_seconds or settings.auth_token_ttl_seconds),
        "roles": sorted(set(roles)),
    }
    if email is not None:
        claims["email"] = email
    return jwt.encode(claims, _secret(settings), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> Principal:
    """The caller a token names; raises AuthError if it cannot be trusted."""
    try:
        claims = jwt.decode(
            token,
            _secret(settings),
            algorithms=[ALGORITHM],
            issuer=settings.auth_jwt_issuer,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthError("invalid token: roles must be a list of strings")
    email = claims.get("email")
    return Principal(
        subject=str(claims["sub"]),
        roles=tuple(roles),
        email=email if isinstance(email, str) else None,
    )


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted, parameters encoded in the hash)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    settings: Settings = request.app.state.settings
    if settings.auth_jwt_secret is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not configured")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verify_token(settings, credentials.credentials)
    except AuthError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None


async def authenticated(request: Request, credentials: Credentials) -> Principal:
    """Dependency: the verified caller (401 without a valid token)."""
    return _principal(request, credentials)


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


def require_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller, who must have one of ``roles`` (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {' or '.join(roles)}")
        return principal

    return check


async def crud_guard(request: Request) -> None:
    """Dependency of the entity API: open while auth is off, else only AUTH_CRUD_ROLES.

    It reads the bearer token itself, only once auth is on: a sub-dependency would cost every
    request of the open API a dependency resolution.
    """
    settings: Settings = request.app.state.settings
    if settings.auth_jwt_secret is None:
        return
    principal = _principal(request, await _bearer(request))
    if not principal.has_role(*settings.auth_crud_roles):
        needed = " or ".join(settings.auth_crud_roles) or "(none configured)"
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {needed}")
