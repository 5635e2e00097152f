"""A local stand-in for Amazon SNS that records each SMS ``Publish`` as a JSON file.

It accepts what the SNS query API accepts for an SMS (https://docs.aws.amazon.com/sns/latest/api/
API_Publish.html): a form POST with ``Action=Publish``, ``Version=2010-03-31``, an E.164
``PhoneNumber`` and a ``Message``, signed with Signature Version 4 by the access key it hands
out (the signature is checked here: a wrong one is refused with 403 as SNS would). Nothing leaves
the machine. ``fail_next`` makes the next calls answer 500 (retry tests).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from marketplace_kit.devenv.ports import LOOPBACK
from marketplace_kit.devrun.http_sink import Reply, Request
from marketplace_kit.devrun.records import Recorder

REGION = "us-east-1"
API_VERSION = "2010-03-31"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/sns/"
    r"aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<sig>[0-9a-f]{64})\Z")
NS = "http://sns.amazonaws.com/doc/2010-03-31/"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(request: Request, secret_key: str, region: str, signed: str) -> str:
    """The SigV4 signature of ``request`` over the headers it says it signed."""
    parts = urlsplit(request.path)
    names = signed.split(";")
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    canonical = "\n".join([
        request.method, parts.path or "/", query,
        "".join(f"{n}:{' '.join(request.headers.get(n, '').split())}\n" for n in names),
        signed, hashlib.sha256(request.body).hexdigest(),
    ])
    amz_date = request.headers.get("x-amz-date", "")
    day = amz_date[:8]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{day}/{region}/sns/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "sns"),
                "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> Reply:
    body = (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>")
    return Reply(status, body.encode(), {"content-type": "text/xml"})


class SmsSink:
    """SNS stand-in on 127.0.0.1; ``messages()`` reads back what was published."""

    def __init__(self, directory: Path, region: str = REGION) -> None:
        self.recorder = Recorder(directory)
        self.region = region
        self.access_key = "AKIALOCAL" + secrets.token_hex(6).upper()
        self.secret_key = secrets.token_urlsafe(30)
        self.port = 0
        self.fail_next = 0

    @property
    def url(self) -> str:
        """The endpoint (``AWS_ENDPOINT_URL_SNS``)."""
        return f"http://{LOOPBACK}:{self.port}/"

    def messages(self) -> list[dict[str, Any]]:
        """Every accepted SMS, in arrival order."""
        return self.recorder.records()

    def answer(self, request: Request) -> Reply:
        """Check and record one Publish."""
        if request.method != "POST":
            return _error(405, "InvalidAction", "POST a Publish form")
        auth = AUTHORIZATION.match(request.headers.get("authorization", ""))
        if auth is None or auth["key"] != self.access_key or auth["region"] != self.region:
            return _error(403, "InvalidClientTokenId", "unknown or malformed credentials")
        signed = auth["signed"]
        if not {"host", "x-amz-date"} <= set(signed.split(";")) or not hmac.compare_digest(
                auth["sig"], expected_signature(request, self.secret_key, self.region, signed)):
            return _error(403, "SignatureDoesNotMatch", "the request signature does not match")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("Action") != "Publish" or form.get("Version") != API_VERSION:
            return _error(400, "InvalidAction", "only Action=Publish, Version=2010-03-31")
        phone, text = form.get("PhoneNumber", ""), form.get("Message", "")
        if not E164.match(phone) or not text:
            return _error(400, "InvalidParameter", "PhoneNumber (E.164) and Message required")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(500, "InternalError", "failing on purpose (fail_next)")
        attributes = {form[k]: form.get(k.replace(".Name", ".Value.StringValue"), "")
                      for k in form if k.startswith("MessageAttributes.entry.")
                      and k.endswith(".Name")}
        message_id = str(uuid.uuid4())
        self.recorder.store({"message_id": message_id, "phone_number": phone, "message": text,
                             "attributes": attributes, "access_key": auth["key"],
                             "received_at": datetime.now(UTC).isoformat()})
        body = (f'<PublishResponse xmlns="{NS}"><PublishResult><MessageId>{message_id}'
                f"</MessageId></PublishResult><ResponseMetadata><RequestId>{uuid.uuid4()}"
                "</RequestId></ResponseMetadata></PublishResponse>")
        return Reply(200, body.encode(), {"content-type": "text/xml"})
