"""moto's server (`.ci/parts/moto.sh`) on a free 127.0.0.1 port: the S3 and KMS endpoint that
stands in for AWS where the engine keeps state (``s3://``) and secrets (``awskms://``).

A stand-in because AWS itself cannot be reached from here; moto serves the same wire protocol
(SigV4 requests are accepted without checking the signature). It serves HTTPS with a certificate
of its own test CA, as AWS is reached: a bucket policy denying requests without TLS (the state
bucket's, `bootstrap`) is enforced by moto. ``AWS_CA_BUNDLE`` makes the AWS SDKs (botocore, the
Go SDK v2 in the Pulumi CLI) trust that CA.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx

from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from support.pki import CertificateAuthority
from support.process_group import stop_group
from support.real_parts import real_part

REGION = "us-east-1"


def signed(service: str) -> dict[str, str]:
    """An AWS SigV4 Authorization header (moto reads the credential scope, not the signature)."""
    scope = f"testing/20260101/{REGION}/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                             "Signature=0"}


def kms(http: httpx.Client, action: str, body: dict[str, Any]) -> httpx.Response:
    """One KMS API call (JSON protocol, ``TrentService.<action>``) to the server ``http`` is on."""
    return http.post("/", content=json.dumps(body), headers={
        **signed("kms"), "X-Amz-Target": f"TrentService.{action}",
        "Content-Type": "application/x-amz-json-1.1"})


class MotoServer(LocalServer):
    """One moto server; ``endpoint`` is its URL, ``environment()`` what an AWS client needs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"https://{LOOPBACK}:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="mk-moto-")
        self.log = Path(self._tmp.name) / "moto.log"
        self.ca_file, self._cert, self._key = CertificateAuthority("mk-test-moto-ca").write_server(
            Path(self._tmp.name), (LOOPBACK, "localhost"))
        self._process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """Variables pointing an AWS SDK (and Pulumi's s3/awskms support) at this server."""
        return {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint, "AWS_CA_BUNDLE": str(self.ca_file),
        }

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An httpx client of this server, trusting its CA (the caller closes it)."""
        return httpx.Client(base_url=self.endpoint, timeout=timeout,
                            verify=ssl.create_default_context(cafile=str(self.ca_file)))

    def start(self, timeout: float = 60.0) -> None:
        """Start moto_server and wait until its port answers."""
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(real_part("moto")), "-H", LOOPBACK, "-p", str(self.port),
                 "--ssl-cert", str(self._cert), "--ssl-key", str(self._key)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **self.environment()},
            )
        wait_for_port(self.port, timeout, what="moto_server")

    def close(self) -> None:
        """Stop the server and remove its log."""
        process, self._process = self._process, None
        stop_group(process, 10.0)
        self._tmp.cleanup()
