"""AWS credentials for the SNS channel: IRSA's web identity (on EKS) or a static key (local runs).

IRSA: EKS sets ``AWS_ROLE_ARN`` and ``AWS_WEB_IDENTITY_TOKEN_FILE``; the token is exchanged at
STS (``AssumeRoleWithWebIdentity``, an unsigned call) for temporary credentials, kept until five
minutes before they expire. https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
"""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import urlencode

from notification.channel import ChannelError
from notification.channel_settings import ChannelSettings
from notification.http_post import post
from notification.settings import read_secret_file
from notification.sigv4 import FORM, Credentials

REFRESH_MARGIN = 300.0
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


class CredentialSource:
    """Hands out valid credentials; refreshes temporary ones before they expire."""

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._cached: tuple[Credentials, float] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Credentials:
        """Current credentials (ChannelError when none are configured or STS refuses)."""
        s = self.settings
        if s.aws_role_arn and s.aws_web_identity_token_file:
            async with self._lock:
                if self._cached is None or time.time() > self._cached[1] - REFRESH_MARGIN:
                    self._cached = await self._assume_role()
                return self._cached[0]
        if s.aws_access_key_id and s.aws_secret_access_key:
            token = s.aws_session_token.get_secret_value() if s.aws_session_token else None
            return Credentials(s.aws_access_key_id, s.aws_secret_access_key.get_secret_value(),
                               token)
        raise ChannelError("no AWS credentials: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE "
                           "(IRSA) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY_FILE")

    async def _assume_role(self) -> tuple[Credentials, float]:
        s = self.settings
        assert s.aws_role_arn and s.aws_web_identity_token_file
        form = urlencode({
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": s.aws_role_arn, "RoleSessionName": "notification",
            "WebIdentityToken": read_secret_file(s.aws_web_identity_token_file),
        }).encode()
        answer = await post(s.sts_endpoint(), form, {"content-type": FORM}, s.channel_timeout)
        if answer.status != 200:
            raise ChannelError(f"STS AssumeRoleWithWebIdentity answered {answer.status}: "
                               f"{answer.body[:300].decode('utf-8', 'replace')}")
        found = ET.fromstring(answer.body).find(f".//{STS_NS}Credentials")
        if found is None:
            raise ChannelError("STS answered without Credentials")

        def text(name: str) -> str:
            return found.findtext(f"{STS_NS}{name}") or ""

        expires = datetime.fromisoformat(text("Expiration").replace("Z", "+00:00")).timestamp()
        return Credentials(text("AccessKeyId"), text("SecretAccessKey"),
                           text("SessionToken")), expires
