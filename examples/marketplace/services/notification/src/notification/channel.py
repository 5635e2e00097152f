"""One interface for every way a notice goes out: e-mail, SMS, push.

A channel sends one ``Message`` to one ``Address`` (an e-mail address, a phone number, a browser's
push subscription) and raises ``ChannelError`` when it did not go out; ``Gone`` when the address
no longer exists (a push subscription the push service dropped), so it is not retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

ChannelName = Literal["email", "sms", "push"]
CHANNELS: tuple[ChannelName, ...] = ("email", "sms", "push")


@dataclass(frozen=True)
class Message:
    """What to say; ``event_id`` travels with it (e-mail header, push payload) for tracing."""

    event_id: str
    event_type: str
    subject: str
    body: str


@dataclass(frozen=True)
class Address:
    """Where to: ``value`` is the e-mail address, phone number or push endpoint; ``keys`` hold a
    push subscription's ``p256dh`` and ``auth``."""

    value: str
    keys: dict[str, str] = field(default_factory=dict)


class ChannelError(Exception):
    """The provider did not take the message (the event is retried, then dead-lettered)."""


class Gone(ChannelError):
    """The address no longer exists at the provider: never retried."""


class Channel(Protocol):
    """A way to send: ``name`` is what preferences and delivery records call it."""

    name: ChannelName

    async def send(self, address: Address, message: Message) -> None:
        """Deliver ``message`` to ``address``; raise ``ChannelError`` if it did not go out."""
        ...
