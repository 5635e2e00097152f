"""The event envelope (CloudEvents 1.0 attributes, JSON structured mode)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from opentelemetry import propagate
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SOURCE = "/services/notification"
TYPE_PREFIX = "marketplace.notification"
# Topics this service consumes; failures are parked on "<topic>.dlq".
CONSUMES: tuple[str, ...] = (
    "order-events",
    "payment-events",
    "user-events",
)


class Event(BaseModel):
    """A CloudEvents-style envelope; ``id`` is what consumers deduplicate on."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid4()))
    type: str
    source: str = SOURCE
    subject: str | None = None
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The JSON wire form."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Event:
        """Parse the wire form (raises pydantic.ValidationError on a malformed event)."""
        return cls.model_validate_json(raw)


def new_event(kind: str, data: dict[str, Any], subject: str | None = None) -> Event:
    """An event of type ``marketplace.notification.<kind>`` carrying the current trace context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return Event(
        type=f"{TYPE_PREFIX}.{kind}",
        subject=subject,
        data=data,
        traceparent=carrier.get("traceparent"),
    )
