"""What a team needs before its first CI deploy (like ``cdk bootstrap``): a durable state backend.

``StateBackend`` is an S3 bucket for Pulumi state and a KMS key for stack secrets; the
``bootstrap`` program deploys it as a small stack of its own.
"""

from marketplace_kit.bootstrap.backend import StateBackend, StateBackendArgs

__all__ = ["StateBackend", "StateBackendArgs"]
