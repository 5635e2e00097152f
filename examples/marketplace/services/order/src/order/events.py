"""The event envelope: CloudEvents 1.0 in structured mode over the Kafka protocol binding (the
record value is the whole event as JSON; the record carries ``content-type:
application/cloudevents+json``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from opentelemetry import propagate
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SOURCE = "/services/order"
# CloudEvents Kafka binding, structured mode: every record this service sends carries it.
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
CONTENT_TYPE_HEADER = ("content-type", CONTENT_TYPE.encode())
# What a consumer accepts in ``content-type`` (absent: read as structured JSON too).
ACCEPTED_CONTENT_TYPES = ("application/cloudevents+json", "application/json")
TYPE_PREFIX = "marketplace.order"
# Topics this service publishes (the platform creates them from service.yaml).
PUBLISHES: tuple[str, ...] = (
    "order-events",
)
# Topics this service consumes; failures are parked on "<topic>.dlq".
CONSUMES: tuple[str, ...] = (
    "payment-events",
    "product-events",
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
    def from_record(cls, value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Event:
        """Parse a Kafka record in structured mode; ValueError for another content type (the
        binary mode's ``ce_*`` headers included) or a malformed event."""
        for name, raw in headers:
            if name.lower() == "content-type":
                kind = raw.decode("utf-8", "replace").split(";")[0].strip().lower()
                if kind not in ACCEPTED_CONTENT_TYPES:
                    raise ValueError(f"content-type {kind!r} is not a structured CloudEvent")
        return cls.from_bytes(value or b"")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Event:
        """Parse the wire form (raises pydantic.ValidationError on a malformed event)."""
        return cls.model_validate_json(raw)


def new_event(kind: str, data: dict[str, Any], subject: str | None = None) -> Event:
    """An event of type ``marketplace.order.<kind>`` carrying the current trace context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return Event(
        type=f"{TYPE_PREFIX}.{kind}",
        subject=subject,
        data=data,
        traceparent=carrier.get("traceparent"),
    )
