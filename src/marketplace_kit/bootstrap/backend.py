"""``StateBackend``: an S3 bucket for Pulumi state, its KMS key, and the platform stack's
secrets key.

The bucket is versioned (a bad write can be rolled back), encrypted with the state key (SSE-KMS
without a bucket key: S3 asks KMS with each object's ARN, so the key policy keeps the platform's
objects from every service role), closed to the public, owner-enforced (no ACLs) and reachable
over TLS only; old state versions expire after ``noncurrent_days``. The platform key encrypts the
platform stack's secrets only: its key policy names no service role (each service stack's key is
made with its deploy role: ``platform/deploy_access.py``). Both keys have explicit policies
(``platform/key_policy.py``); bucket and keys are protected: ``pulumi destroy`` of the bootstrap
stack refuses to delete the state of every other stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from marketplace_kit.contract import keys
from marketplace_kit.platform.key_policy import key_policy, state_through_s3
from marketplace_kit.platform.principals import key_users

S3_NAME_MAX = 63


def bucket_name(platform: str, account: str, region: str) -> str:
    """A globally unique, stable bucket name: ``<platform>-state-<account>-<region>``."""
    suffix = f"-state-{account}-{region}"
    return f"{platform[: S3_NAME_MAX - len(suffix)].rstrip('-')}{suffix}"


def backend_url(bucket: str, region: str) -> str:
    """The Pulumi backend URL of a state bucket."""
    return f"s3://{bucket}?region={region}"


def tls_only_policy(bucket_arn: str) -> str:
    """A bucket policy that denies every request not made over TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class StateBackendArgs:
    """Inputs of a ``StateBackend``.

    Attributes:
        platform: the platform name (prefixes the bucket and the key alias).
        region: the AWS region of the bucket and the key.
        noncurrent_days: days an overwritten state version is kept (default 90).
        admin_principal_arns: who may use both keys directly (every stack's state, the
            platform's secrets); empty: the identity running bootstrap.
        tags: tags on every AWS resource.
    """

    platform: str
    region: str
    noncurrent_days: int = 90
    admin_principal_arns: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class StateBackend(pulumi.ComponentResource):
    """An S3 state bucket, its key and the platform stack's secrets key (see the module
    docstring)."""

    bucket_name: pulumi.Output[str]
    backend_url: pulumi.Output[str]
    secrets_provider: str
    kms_key_arn: pulumi.Output[str]
    state_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:bootstrap:StateBackend", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, protect=True)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        admins = key_users(args.admin_principal_arns, invoke)
        name_of_bucket = bucket_name(args.platform, account, args.region)
        bucket_arn = f"arn:{partition}:s3:::{name_of_bucket}"
        # The platform stack's secrets key keeps the resource and alias names of the one key
        # earlier kits made, so an existing platform stack keeps its provider.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.platform}: the platform stack's secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(partition, account, admins),
            tags=tags,
            opts=keep,
        )
        alias_name = keys.platform_alias(args.platform)
        alias = aws.kms.Alias(f"{name}-key-alias", name=alias_name, target_key_id=key.key_id,
                              opts=child)
        state_key = aws.kms.Key(
            f"{name}-state-key",
            description=f"{args.platform}: Pulumi state bucket objects",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(partition, account, admins, [state_through_s3(
                partition, account, args.region, bucket_arn, args.platform)]),
            tags=tags,
            opts=keep,
        )
        aws.kms.Alias(f"{name}-state-key-alias", name=keys.state_alias(args.platform),
                      target_key_id=state_key.key_id, opts=child)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=name_of_bucket,
            force_destroy=False,
            tags=tags,
            opts=keep,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[{
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms", "kms_master_key_id": state_key.arn,
                },
                # off: with a bucket key S3 asks KMS with the bucket's ARN, not the object's
                "bucket_key_enabled": False,
            }],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[{
                "id": "expire-old-state-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        self.bucket_name = bucket.bucket
        self.backend_url = bucket.bucket.apply(lambda b: backend_url(b, args.region))
        self.secrets_provider = keys.secrets_provider(alias_name, args.region)
        self.kms_key_arn = key.arn
        self.kms_alias = alias.name
        self.state_key_arn = state_key.arn
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "backend_url": self.backend_url,
                "secrets_provider": self.secrets_provider,
                "kms_key_arn": self.kms_key_arn,
                "state_key_arn": self.state_key_arn,
            }
        )
