"""The real parts (`.ci/real-parts`) start and answer: Pulumi, moto."""

from __future__ import annotations

import json
import subprocess
import uuid

import httpx
from support.moto_server import REGION, MotoServer
from support.real_parts import real_part

from marketplace_kit.platform import versions


def _signed(service: str) -> dict[str, str]:
    """An AWS SigV4 Authorization header (moto reads the credential scope, not the signature)."""
    scope = f"testing/20260101/{REGION}/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                             "Signature=0"}


def test_moto_serves_s3_and_kms(moto: MotoServer) -> None:
    bucket = f"parts-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=moto.endpoint, timeout=60.0) as http:
        s3 = _signed("s3")
        assert http.put(f"/{bucket}", headers=s3).status_code == 200
        put = http.put(f"/{bucket}/state.json", content=b'{"v": 3}', headers=s3)
        assert put.status_code == 200
        assert http.get(f"/{bucket}/state.json", headers=s3).content == b'{"v": 3}'

        def kms(action: str, body: dict[str, object]) -> dict[str, object]:
            answer = http.post("/", content=json.dumps(body), headers={
                **_signed("kms"), "X-Amz-Target": f"TrentService.{action}",
                "Content-Type": "application/x-amz-json-1.1",
            })
            assert answer.status_code == 200, answer.text
            result: dict[str, object] = answer.json()
            return result

        key = kms("CreateKey", {"Description": "parts"})["KeyMetadata"]
        assert isinstance(key, dict)
        sealed = kms("Encrypt", {"KeyId": key["KeyId"], "Plaintext": "c2VjcmV0"})
        opened = kms("Decrypt", {"CiphertextBlob": sealed["CiphertextBlob"]})
        assert opened["Plaintext"] == "c2VjcmV0"


def test_pulumi_cli_is_at_least_the_minimum_the_kit_drives() -> None:
    cli = subprocess.run([str(real_part("pulumi")), "version"], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert tuple(map(int, cli.lstrip("v").split("."))) >= tuple(
        map(int, versions.PULUMI_CLI_MINIMUM.split(".")))
    assert real_part("pulumi").parent == real_part("pulumi-bin-dir")


