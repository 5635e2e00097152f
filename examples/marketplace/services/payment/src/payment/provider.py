"""Payment providers: the interface the service charges through, and the sandbox provider.

The sandbox keeps its charges in memory (per process) and answers like a card processor's test
mode: 4242424242424242 and 5555555555554444 succeed, 4000000000000002 is declined
(``card_declined``), 4000000000009995 too (``insufficient_funds``); any other number is
declined as ``invalid_card_number`` unless it passes the Luhn check (then it succeeds). A charge
is idempotent on its key: retrying returns the first charge.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, Protocol

ChargeStatus = Literal["succeeded", "declined", "refunded"]
SUCCEEDS = frozenset({"4242424242424242", "5555555555554444"})
DECLINES = {"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"}


@dataclass(frozen=True)
class Charge:
    """A charge as the provider records it."""

    id: str
    idempotency_key: str
    amount: Decimal
    currency: str
    status: ChargeStatus
    failure_reason: str | None
    created_at: datetime


class PaymentProvider(Protocol):
    """What the payment service needs from a provider."""

    async def charge(
        self, *, amount: Decimal, currency: str, card_number: str, idempotency_key: str
    ) -> Charge: ...

    async def get_charge(self, charge_id: str) -> Charge | None: ...

    async def list_charges(self, since: datetime) -> list[Charge]: ...


def luhn_valid(number: str) -> bool:
    """The card-number checksum."""
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return len(digits) >= 12 and total % 10 == 0


class SandboxProvider:
    """An in-memory provider for development and tests."""

    def __init__(self) -> None:
        self._charges: dict[str, Charge] = {}
        self._by_key: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def charge(
        self, *, amount: Decimal, currency: str, card_number: str, idempotency_key: str
    ) -> Charge:
        """Charge a test card (idempotent on ``idempotency_key``)."""
        async with self._lock:
            if idempotency_key in self._by_key:
                return self._charges[self._by_key[idempotency_key]]
            reason = DECLINES.get(card_number)
            if reason is None and card_number not in SUCCEEDS and not luhn_valid(card_number):
                reason = "invalid_card_number"
            charge = Charge(
                id=f"ch_{uuid.uuid4().hex[:24]}", idempotency_key=idempotency_key,
                amount=amount, currency=currency,
                status="declined" if reason else "succeeded", failure_reason=reason,
                created_at=datetime.now(UTC),
            )
            self._charges[charge.id] = charge
            self._by_key[idempotency_key] = charge.id
            return charge

    async def get_charge(self, charge_id: str) -> Charge | None:
        """One charge, or None."""
        return self._charges.get(charge_id)

    async def list_charges(self, since: datetime) -> list[Charge]:
        """Charges created at or after ``since``."""
        return sorted((c for c in self._charges.values() if c.created_at >= since),
                      key=lambda c: c.created_at)

    async def refund(self, charge_id: str) -> Charge:
        """Refund a succeeded charge (what a dashboard refund does; a webhook tells the service)."""
        async with self._lock:
            charge = self._charges[charge_id]
            if charge.status != "succeeded":
                raise ValueError(f"cannot refund a {charge.status} charge")
            self._charges[charge_id] = replace(charge, status="refunded")
            return self._charges[charge_id]


_provider: PaymentProvider | None = None


def get_provider() -> PaymentProvider:
    """The process's provider (the sandbox; a real one would be chosen from settings)."""
    global _provider
    if _provider is None:
        _provider = SandboxProvider()
    return _provider
