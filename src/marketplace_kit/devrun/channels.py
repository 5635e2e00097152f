"""The environment ``dev`` gives a service that ``sends`` SMS or push: its local sinks.

SMS: the SNS sink's endpoint, region and access key (its secret in a 0600 file, as the container
contract passes secrets). Push: a VAPID key made for this run (0600 file) and the sink's host as
the one push service subscriptions may point at. The names are the contract's (CHANNEL_ENV).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketplace_kit.contract import container as contract
from marketplace_kit.devenv.ports import LOOPBACK
from marketplace_kit.devrun.private_file import write_private
from marketplace_kit.devrun.push_sink import PushSink
from marketplace_kit.devrun.sms_sink import SmsSink


class ChannelFiles:
    """The run's secret files for the channels (written once, in the run's directory)."""

    def __init__(self, state: Path, sms: SmsSink, push: PushSink) -> None:
        self.sms, self.push = sms, push
        self.aws_secret = state / "aws-secret-access-key"
        self.vapid_key = state / "vapid.pem"
        write_private(self.aws_secret, sms.secret_key)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        write_private(self.vapid_key, pem.decode())

    def env(self, sends: Sequence[str]) -> dict[str, str]:
        """The variables for a service with these ``sends``."""
        values: dict[str, str] = {}
        if "sms" in sends:
            values |= {
                contract.SMS_PROVIDER.name: "sns",
                contract.AWS_REGION.name: self.sms.region,
                contract.AWS_ENDPOINT_URL_SNS.name: self.sms.url,
                contract.AWS_ACCESS_KEY_ID.name: self.sms.access_key,
                contract.AWS_SECRET_ACCESS_KEY_FILE.name: str(self.aws_secret),
            }
        if "push" in sends:
            values |= {
                contract.VAPID_PRIVATE_KEY_FILE.name: str(self.vapid_key),
                contract.PUSH_ENDPOINT_HOSTS.name: json.dumps([LOOPBACK]),
            }
        return values
