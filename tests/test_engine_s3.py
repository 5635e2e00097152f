"""State on S3 with the awskms secrets provider, through the real Pulumi engine, from two checkouts.

The bucket and the key are made in moto (S3 and KMS, `.ci/parts/moto.sh`) with `bootstrap`'s
own definitions (bootstrap/backend.py and contract/keys.py: the bucket's name from the caller's
account and the region, the state key's and the platform key's aliases, the backend and
secrets-provider URLs; the bucket versioned, SSE-KMS with the state key and no bucket key,
public access blocked; not its TLS-only policy, which moto cannot evaluate, nor the keys'
policies, evaluated by test_stack_keys*.py), reached over TLS (moto's own test CA,
AWS_CA_BUNDLE). The bootstrap program itself needs pulumi-aws, which cannot be built here: its
resources are made with botocore instead.
The Pulumi CLI (gocloud.dev's s3blob and awskms over the AWS SDK for Go v2) takes the endpoints
from AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_KMS, so the URLs are exactly the ones `bootstrap`
prints. No passphrase is set anywhere: only the KMS key decrypts the stack's secrets.

A second, fresh checkout (no Pulumi.<stack>.yaml, no passphrase) reads the state's secrets
manager and decrypts the first one's secret output; its `up` while the first checkout's runs is
refused by the engine's lock (an object under .pulumi/locks in the bucket), in one line naming
the holder. The resources are stand-ins for cloud resources (support/engine_programs.py).
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from support.engine_programs import SECRET, chain
from support.moto_server import MotoServer
from support.real_engine import Engine, deadline, engine, refused_while_held

from marketplace_kit.bootstrap.backend import backend_url, bucket_name
from marketplace_kit.contract import keys
from marketplace_kit.provision import operations

__all__ = ["engine"]


def _client(moto: MotoServer, service: str, region: str) -> Any:
    return botocore.session.get_session().create_client(
        service, region_name=region, endpoint_url=moto.endpoint, verify=str(moto.ca_file),
        aws_access_key_id="testing", aws_secret_access_key="testing")


def bootstrap_in_moto(moto: MotoServer, platform: str, region: str) -> tuple[str, str, str]:
    """The state bucket and key as `bootstrap` makes them; (bucket, backend URL, secrets
    provider URL) as `bootstrap` prints them."""
    account = _client(moto, "sts", region).get_caller_identity()["Account"]
    kms = _client(moto, "kms", region)
    made = {}
    for alias, about in ((keys.platform_alias(platform), "the platform stack's secrets"),
                         (keys.state_alias(platform), "Pulumi state bucket objects")):
        key = kms.create_key(Description=f"{platform}: {about}")["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        made[alias] = key["Arn"]
    bucket = bucket_name(platform, account, region)
    s3 = _client(moto, "s3", region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    # Not the TLS-only policy (tls_only_policy): moto evaluates its condition without the
    # request's aws:SecureTransport and so denies every request, over TLS too.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": made[keys.state_alias(platform)]},
        "BucketKeyEnabled": False}]})
    return (bucket, backend_url(bucket, region),
            keys.secrets_provider(keys.platform_alias(platform), region))


def _keys(moto: MotoServer, bucket: str, region: str, prefix: str) -> list[str]:
    listed = _client(moto, "s3", region).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [str(o["Key"]) for o in listed.get("Contents", [])]


def _assert_locked(locks: list[str]) -> None:
    assert locks, "no lock object in the bucket while an up runs"


def test_state_on_s3_with_kms_secrets_from_a_second_checkout(
    engine: Engine, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    region = engine.platform.config.region
    bucket, backend, kms = bootstrap_in_moto(moto, engine.platform.config.name, region)
    for name, value in moto.environment().items():
        if name != "AWS_ENDPOINT_URL":  # the per-service endpoints below, nothing general
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", moto.endpoint)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN",
                 "PULUMI_CONFIG_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PULUMI_BACKEND_URL", backend)
    program = chain(2, 0)
    with deadline(300, "up, outputs and a refused up on S3"):
        first = operations.up(engine.session("up", program, secrets_provider=kms, plugins={}))
        assert first.result == "succeeded" and first.settings.backend_url == backend
        state = json.loads(_client(moto, "s3", region).get_object(
            Bucket=bucket, Key=".pulumi/stacks/shop/local.json")["Body"].read())
        manager = state["checkpoint"]["latest"]["secrets_providers"]
        assert manager["type"] == "cloud" and manager["state"]["url"] == kms, manager
        assert not (engine.platform.source.parent / ".marketplace-kit" / "passphrase").exists()
        second = engine.checkout("second")
        assert second.platform.source is not None
        out = operations.outputs(second.session("outputs", program, plugins={}))
        assert out.outputs["token"] == (SECRET, True)  # decrypted with the KMS key
        refused = refused_while_held(engine, second, engine.tmp / "gate", kms, lambda: (
            _assert_locked(_keys(moto, bucket, region, ".pulumi/locks/"))))
    line = str(refused)
    assert "\n" not in line and "is locked by another update (held by " in line, line
    assert ", pid " in line and f"`PULUMI_BACKEND_URL={backend} pulumi cancel" in line, line
    assert refused.exit_code == 4
    assert not _keys(moto, bucket, region, ".pulumi/locks/")  # the first run's lock is gone
