"""A bounded cache of verified tokens: a token's ES256 signature is checked once, not per request.

Keyed by the SHA-256 of the raw token. Only tokens that passed every check get in (a flood of
invalid tokens cannot evict a valid one); the least recently used entry goes when it is full.
An entry lives no longer than its token's ``exp`` nor than its key in the issuer's JWK Set: when
the verifier sees another key set, the entries of keys no longer in it go. A hit still checks
``exp``, ``nbf`` (and ``iat``) and the audience, as a verification would.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

import jwt

T = TypeVar("T")
DEFAULT_SIZE = 10_000  # entries; each holds a token's caller (~1 KiB)


def digest(token: str) -> bytes:
    """The cache key of a raw token."""
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class Verified(Generic[T]):
    """What a verification established: the caller, and what bounds its trust."""

    value: T
    kid: str
    expires: float  # exp (seconds since the epoch)
    not_before: float  # the later of nbf and iat
    audiences: frozenset[str]

    def holds(self, audience: str, now: float) -> bool:
        """Whether the token still holds for ``audience`` at ``now`` (PyJWT's rules, no leeway)."""
        return self.not_before <= now < self.expires and audience in self.audiences


class VerifiedTokens(Generic[T]):
    """At most ``size`` verified tokens (0: none cached), least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self._entries: OrderedDict[bytes, Verified[T]] = OrderedDict()
        self._key_set: jwt.PyJWKSet | None = None
        self._kids: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self._entries)

    def follow(self, key_set: jwt.PyJWKSet) -> None:
        """The issuer's key set now in use: a new one (a JWK Set fetched again) drops the entries
        of the keys it no longer has. Cheap when the set is the one already followed."""
        if key_set is self._key_set:
            return
        self._key_set = key_set
        self._kids = frozenset(k.key_id for k in key_set.keys if k.key_id is not None)
        for key in [k for k, e in self._entries.items() if e.kid not in self._kids]:
            del self._entries[key]

    def get(self, key: bytes, audience: str, now: float) -> T | None:
        """The cached caller of a token, if it is cached and still holds."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if not entry.holds(audience, now):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.value

    def put(self, key: bytes, entry: Verified[T]) -> None:
        """Remember a verified token (of a key in the followed key set)."""
        if self.size <= 0 or entry.kid not in self._kids:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
