"""The SMS channel: Amazon SNS ``Publish`` to a phone number (the query API, SigV4-signed).

https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: a form POST with ``Action=Publish``,
``PhoneNumber`` (E.164) and ``Message``; the SMS type (Transactional) and an optional sender id
travel as message attributes. The role needs ``sns:Publish`` (the platform grants it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from notification.aws_credentials import CredentialSource
from notification.channel import Address, ChannelError, ChannelName, Message
from notification.channel_settings import ChannelSettings
from notification.http_post import post
from notification.sigv4 import signed_headers

API_VERSION = "2010-03-31"
MAX_SMS_CHARS = 140  # one SMS part whatever the encoding; SNS splits longer ones


def sms_text(message: Message) -> str:
    """The text of the SMS: the subject (the body is the e-mail's)."""
    text = message.subject
    return text if len(text) <= MAX_SMS_CHARS else text[: MAX_SMS_CHARS - 1] + "…"


def publish_form(settings: ChannelSettings, phone_number: str, text: str) -> dict[str, str]:
    """The Publish request's parameters."""
    form = {"Action": "Publish", "Version": API_VERSION, "PhoneNumber": phone_number,
            "Message": text}
    attributes: dict[str, str] = {"AWS.SNS.SMS.SMSType": settings.sms_type}
    if settings.sms_sender_id:
        attributes["AWS.SNS.SMS.SenderID"] = settings.sms_sender_id
    for n, (name, value) in enumerate(sorted(attributes.items()), start=1):
        form[f"MessageAttributes.entry.{n}.Name"] = name
        form[f"MessageAttributes.entry.{n}.Value.DataType"] = "String"
        form[f"MessageAttributes.entry.{n}.Value.StringValue"] = value
    return form


class SnsChannel:
    """SMS through Amazon SNS."""

    name: ChannelName = "sms"

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self.credentials = CredentialSource(settings)

    async def send(self, address: Address, message: Message) -> None:
        """Publish the SMS; ChannelError unless SNS answers 200."""
        s = self.settings
        body = urlencode(publish_form(s, address.value, sms_text(message))).encode()
        url = s.sns_endpoint()
        headers = signed_headers(url, body, await self.credentials.get(), s.aws_region, "sns",
                                 datetime.now(UTC))
        try:
            answer = await post(url, body, headers, s.channel_timeout)
        except OSError as exc:
            raise ChannelError(f"SNS unreachable: {exc}") from exc
        if answer.status != 200:
            raise ChannelError(f"SNS Publish answered {answer.status}: "
                               f"{answer.body[:300].decode('utf-8', 'replace')}")
