"""The channels this process can send through, built once from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from notification.channel import Channel, ChannelName
from notification.channel_settings import ChannelSettings
from notification.email_channel import EmailChannel


@dataclass(frozen=True)
class Configured:
    """The channels by name, their settings, and the VAPID public key (None: push off)."""

    channels: dict[ChannelName, Channel]
    settings: ChannelSettings
    push_key: str | None


@lru_cache(maxsize=1)
def configured() -> Configured:
    """E-mail always; SMS with ``SMS_PROVIDER=sns``; push with a VAPID key."""
    settings = ChannelSettings()
    channels: dict[ChannelName, Channel] = {"email": EmailChannel()}
    push_key = None
    if settings.sms_on:
        from notification.sms import SnsChannel

        channels["sms"] = SnsChannel(settings)
    if settings.push_on:
        from notification.webpush import WebPushChannel, application_server_key

        push = WebPushChannel(settings)
        channels["push"] = push
        push_key = application_server_key(push.key)
    return Configured(channels, settings, push_key)
