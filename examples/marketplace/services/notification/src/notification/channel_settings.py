"""Settings of the SMS and push channels (environment; the names are the kit's container contract,
``marketplace_kit.contract.container`` CHANNEL_ENV). Secrets arrive as files (``*_FILE``).

SMS goes through Amazon SNS when ``SMS_PROVIDER=sns``: credentials from IRSA (``AWS_ROLE_ARN`` and
``AWS_WEB_IDENTITY_TOKEN_FILE``, set by EKS) or, for local runs, ``AWS_ACCESS_KEY_ID`` with
``AWS_SECRET_ACCESS_KEY_FILE``. Push is on when ``VAPID_PRIVATE_KEY_FILE`` names the VAPID key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notification.settings import read_secret_file

# The push services of the browsers (host suffixes): a subscription elsewhere is refused, so the
# service cannot be made to POST to arbitrary hosts. Local runs add their push sink's host.
PUSH_SERVICES = (
    "fcm.googleapis.com",  # Chrome, Edge (Chromium), Opera
    "push.services.mozilla.com",  # Firefox
    "notify.windows.com",  # Edge (legacy)
    "push.apple.com",  # Safari
)


class ChannelSettings(BaseSettings):
    """How SMS and push go out."""

    model_config = SettingsConfigDict(extra="ignore")

    sms_provider: Literal["off", "sns"] = Field("off", description="sns: Amazon SNS Publish")
    sms_sender_id: str | None = Field(None, description="SNS AWS.SNS.SMS.SenderID (optional)")
    sms_type: Literal["Transactional", "Promotional"] = "Transactional"
    aws_region: str = Field("", description="region of SNS and STS (EKS sets it)")
    aws_endpoint_url_sns: str | None = Field(None, description="SNS endpoint (local sink)")
    aws_endpoint_url_sts: str | None = Field(None, description="STS endpoint (tests)")
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_secret_access_key_file: Path | None = None
    aws_session_token: SecretStr | None = None
    aws_role_arn: str | None = Field(None, description="IRSA: the role (EKS sets it)")
    aws_web_identity_token_file: Path | None = Field(None, description="IRSA: the token file")
    vapid_private_key_file: Path | None = Field(None, description="PEM P-256 key; unset: no push")
    vapid_subject: str = Field("mailto:ops@marketplace.example", description="VAPID sub claim")
    push_ttl: int = Field(86400, ge=0, le=2419200, description="seconds a push may wait")
    push_endpoint_hosts: list[str] = Field(default_factory=lambda: list(PUSH_SERVICES))
    channel_timeout: float = Field(10.0, gt=0, description="seconds per provider call")

    @model_validator(mode="after")
    def _secret_files(self) -> ChannelSettings:
        if self.aws_secret_access_key_file is not None:
            self.aws_secret_access_key = SecretStr(
                read_secret_file(self.aws_secret_access_key_file))
        return self

    @property
    def sms_on(self) -> bool:
        """Whether SMS can be sent."""
        return self.sms_provider == "sns" and bool(self.aws_region)

    @property
    def push_on(self) -> bool:
        """Whether push can be sent."""
        return self.vapid_private_key_file is not None

    def sns_endpoint(self) -> str:
        """The SNS endpoint URL."""
        return self.aws_endpoint_url_sns or f"https://sns.{self.aws_region}.amazonaws.com/"

    def sts_endpoint(self) -> str:
        """The STS endpoint URL (regional)."""
        return self.aws_endpoint_url_sts or f"https://sts.{self.aws_region}.amazonaws.com/"
