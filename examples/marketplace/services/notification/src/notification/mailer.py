"""Sending e-mail through SMTP (standard library ``smtplib``, run in a worker thread).

Settings (environment): SMTP_HOST, SMTP_PORT, SMTP_FROM, SMTP_STARTTLS, SMTP_USERNAME and
SMTP_PASSWORD (login only when a username is set), SMTP_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    """Where and how to send."""

    model_config = SettingsConfigDict(extra="ignore")

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_from: str = "Marketplace <no-reply@marketplace.example>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 10.0


def compose(settings: MailSettings, to: str, subject: str, body: str, ref: str) -> EmailMessage:
    """A plain-text message; ``ref`` (the event id) goes into a header for tracing."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="marketplace.example")
    message["X-Marketplace-Event"] = ref
    message.set_content(body)
    return message


def _send(settings: MailSettings, message: EmailMessage) -> None:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    with server as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send(settings: MailSettings, message: EmailMessage) -> None:
    """Deliver ``message`` to the SMTP server (raises on failure, so the event is retried)."""
    await asyncio.to_thread(_send, settings, message)
