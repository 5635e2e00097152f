"""The e-mail channel: SMTP through ``mailer``."""

from __future__ import annotations

from notification import mailer
from notification.channel import Address, ChannelError, ChannelName, Message


class EmailChannel:
    """E-mail over SMTP (settings: ``mailer.MailSettings``)."""

    name: ChannelName = "email"

    def __init__(self, settings: mailer.MailSettings | None = None) -> None:
        self.settings = settings or mailer.MailSettings()

    async def send(self, address: Address, message: Message) -> None:
        """Send one e-mail; ChannelError when the SMTP server refuses or cannot be reached."""
        mail = mailer.compose(self.settings, address.value, message.subject, message.body,
                              message.event_id)
        try:
            await mailer.send(self.settings, mail)
        except (OSError, mailer.smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP: {exc.__class__.__name__}: {exc}") from exc
