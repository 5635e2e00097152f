"""Authentication: bearer tokens only the issuing service can mint, and password hashing.

Trust model: one service of the platform issues tokens (the template option ``issues_tokens``,
the user service in the reference marketplace). It signs them with ES256 private keys only it
holds (``AUTH_SIGNING_KEYS_DIR``: one PEM file per key id, ``<kid>.pem``) and publishes the
public keys (JWKS) at ``<route>/.well-known/jwks.json`` with an OpenID-style discovery
document. Every other service holds no key: it verifies a token against the issuer's JWKS
(``AUTH_JWKS_URL``; PyJWT's ``PyJWKClient``: cached, fetched again on an unknown ``kid`` at
most every ``AUTH_JWKS_COOLDOWN_SECONDS``) and checks the signature (ES256 only: ``alg: none``
and HS256 tokens are refused), ``iss``, ``aud``, ``exp``, ``iat`` and ``sub``.

Rotation without a restart: a key id of the form ``20261128T093000Z`` names when the key starts
signing. The issuer re-reads its key directory when its files change and publishes every key at
once, but signs with the newest key already active (``AUTH_SIGNING_KID`` pins one instead), so
verifiers hold a key before any token carries it; the old key stays published until its tokens
have expired.

Passwords are hashed with Argon2id (argon2-cffi, random salt per hash).

While ``AUTH_JWKS_URL`` is unset, auth is off: the generated entity API is open and endpoints
that need a caller answer 503.
Once it is on, the entity API accepts only tokens carrying one of ``AUTH_CRUD_ROLES`` (default
``["admin"]``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from catalog.settings import Settings
from catalog.token_cache import DEFAULT_SIZE, Verified, VerifiedTokens
from catalog.token_cache import digest as token_digest

ALGORITHM = "ES256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_bearer = HTTPBearer(auto_error=False, description="a token issued by the user service")
_hasher = PasswordHasher()
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class Principal(BaseModel):
    """Who is calling: the token's subject, roles and e-mail (frozen: one cached instance
    serves every request that carries the same token)."""

    model_config = ConfigDict(frozen=True)
    subject: str
    roles: tuple[str, ...] = ()
    email: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Whether the caller has one of ``roles``."""
        return any(role in self.roles for role in roles)


class AuthError(Exception):
    """A token that cannot be trusted (bad signature, unknown key, expired, wrong iss/aud)."""


class AuthUnavailable(Exception):
    """The keys to verify a token cannot be had right now (the JWKS endpoint does not answer)."""


class TokenVerifier:
    """Checks tokens against the issuer's public keys: a JWK Set (the issuer's own) or a
    ``PyJWKClient`` over ``AUTH_JWKS_URL`` (cached; refetched on an unknown kid). A token that
    passed is remembered in ``cache`` (token_cache.py), so its signature is checked once."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        keys: jwt.PyJWKSet | jwt.PyJWKClient,
        cache: VerifiedTokens[Principal] | None = None,
    ) -> None:
        self.issuer, self.audience, self.keys = issuer, audience, keys
        self.cache: VerifiedTokens[Principal] = (
            cache if cache is not None else VerifiedTokens(DEFAULT_SIZE)
        )

    def key_set(self) -> jwt.PyJWKSet | None:
        """The issuer's keys at hand (None while a ``PyJWKClient``'s cache is empty or stale)."""
        keys = self.keys
        if isinstance(keys, jwt.PyJWKClient):
            cached = keys.jwk_set_cache.get() if keys.jwk_set_cache is not None else None
            return cached if isinstance(cached, jwt.PyJWKSet) else None
        return keys

    def _follow(self) -> bool:
        """Points the cache at the key set at hand; False if there is none (then a token is
        verified in full, which fetches the keys)."""
        found = self.key_set()
        if found is None:
            return False
        self.cache.follow(found)
        return True

    async def key(self, kid: str) -> jwt.PyJWK:
        """The public key ``kid``; fetches the JWK Set (in a thread) when it is not cached."""
        found = self.key_set()
        key = next((k for k in found.keys if k.key_id == kid), None) if found else None
        if key is not None:
            return key
        if not isinstance(self.keys, jwt.PyJWKClient):
            raise AuthError(f"invalid token: unknown key id {kid!r}")
        try:
            return await asyncio.to_thread(self.keys.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthUnavailable(f"cannot fetch the issuer's keys: {exc}") from None
        except jwt.PyJWTError:
            raise AuthError(f"invalid token: unknown key id {kid!r}") from None
        finally:
            self._follow()  # a fetched set drops the cached tokens of the keys it lacks

    async def verify(self, token: str) -> Principal:
        """The caller a token names; raises AuthError if it cannot be trusted."""
        digest = token_digest(token)
        if self._follow():
            cached = self.cache.get(digest, self.audience, time.time())
            if cached is not None:
                return cached
        verified = await self._verify(token)
        self.cache.put(digest, verified)  # only if its key is in the set followed
        return verified.value

    async def _verify(self, token: str) -> Verified[Principal]:
        """Every check of the token, its signature included."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        if not isinstance(kid, str):
            raise AuthError("invalid token: no key id (kid)")
        key = await self.key(kid)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthError("invalid token: roles must be a list of strings")
        email = claims.get("email")
        principal = Principal(
            subject=str(claims["sub"]),
            roles=tuple(roles),
            email=email if isinstance(email, str) else None,
        )
        audience = claims["aud"]
        return Verified(
            principal, kid, float(claims["exp"]),
            float(max(claims.get("nbf", 0), claims["iat"])),
            frozenset([audience] if isinstance(audience, str) else audience),
        )


class Authority:
    """What this service can do with tokens: verify them (it cannot issue any).
    ``verifier`` is None while auth is off."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier: TokenVerifier | None = None
        self.tokens: VerifiedTokens[Principal] = VerifiedTokens(settings.auth_token_cache_size)
        if settings.auth_jwks_url is not None:
            client = jwt.PyJWKClient(
                settings.auth_jwks_url,
                lifespan=settings.auth_jwks_cache_seconds,
                cooldown_duration=settings.auth_jwks_cooldown_seconds,
                timeout=settings.auth_jwks_timeout,
            )
            self.verifier = TokenVerifier(
                settings.auth_jwt_issuer, settings.auth_jwt_audience, client, self.tokens
            )

    @property
    def enabled(self) -> bool:
        """Whether tokens are checked (else the entity API is open)."""
        return self.verifier is not None

    async def verify(self, token: str) -> Principal:
        """The caller a token names (AuthError if untrusted, AuthUnavailable without keys)."""
        if self.verifier is None:
            raise AuthUnavailable("authentication is not configured (set AUTH_JWKS_URL)")
        return await self.verifier.verify(token)


def authority(request: Request) -> Authority:
    """The app's Authority (built once in ``create_app``)."""
    found: Authority = request.app.state.auth
    return found


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted, parameters encoded in the hash)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _principal(auth: Authority, token: str | None) -> Principal:
    if not auth.enabled:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not configured")
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return await auth.verify(token)
    except AuthError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    except AuthUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None


def bearer_token(request: Request) -> str | None:
    """The request's bearer token, if its Authorization header carries one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def authenticated(request: Request, credentials: Credentials) -> Principal:
    """Dependency: the verified caller (401 without a valid token)."""
    return await _principal(authority(request), credentials.credentials if credentials else None)


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


def require_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller, who must have one of ``roles`` (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {' or '.join(roles)}")
        return principal

    return check


async def crud_guard(request: Request) -> None:
    """The entity API's gate: open while auth is off, else only AUTH_CRUD_ROLES.

    It reads the bearer token itself, only once auth is on: a sub-dependency would cost every
    request of the open API a dependency resolution (and HTTPBearer a model per request).
    """
    auth = authority(request)
    if not auth.enabled:
        return
    principal = await _principal(auth, bearer_token(request))
    roles = auth.settings.auth_crud_roles
    if not principal.has_role(*roles):
        needed = " or ".join(roles) or "(none configured)"
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {needed}")


class CrudGuardedRoute(APIRoute):
    """A route of the entity API: ``crud_guard`` runs before anything else of the request (its
    401/403 come before the body is read, as a dependency's would). A route class rather than a
    router dependency: FastAPI resolves a dependency per request at several times the guard's
    own cost (the kit's bench/service_instructions.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            await crud_guard(request)
            return await handler(request)

        return guarded
