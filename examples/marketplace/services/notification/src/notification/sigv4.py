"""AWS Signature Version 4 for a form POST (the SNS query API), standard library only.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Credentials:
    """An access key (and a session token for temporary credentials)."""

    access_key: str
    secret_key: str
    token: str | None = None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_headers(
    url: str, body: bytes, credentials: Credentials, region: str, service: str, now: datetime
) -> dict[str, str]:
    """The headers of a signed POST of ``body`` (a form) to ``url``: Host, Content-Type,
    X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization."""
    parts = urlsplit(url)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": FORM, "host": parts.netloc, "x-amz-date": amz_date}
    if credentials.token:
        headers["x-amz-security-token"] = credentials.token
    names = sorted(headers)
    canonical = "\n".join([
        "POST", parts.path or "/", parts.query,
        "".join(f"{n}:{headers[n].strip()}\n" for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{credentials.secret_key}".encode(), day), region),
                      service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers
