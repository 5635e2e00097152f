"""A service's image repository (ECR) and what its CI may do with it: push there, nowhere else.

The repository scans each image on push, keeps its tags immutable (an image is deployed by
digest, and a tag once pushed always names the same image) and expires old images by a
lifecycle policy. The push policy grants the image job the ECR upload actions on this one
repository, and ``ecr:GetAuthorizationToken`` (an account-wide call: AWS has no resource for
it; the token alone reaches no repository).
"""

from __future__ import annotations

import json
from typing import Any

# The upload actions `docker push` makes (ECR's "pushing an image" IAM example), and the reads
# it does on the same repository to skip layers it already has.
PUSH_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage",
    "ecr:UploadLayerPart",
)
UNTAGGED_DAYS = 7  # untagged images (failed or superseded pushes) are removed after this
KEEP_IMAGES = 100  # the newest images kept (deployed digests roll back within these)


def repository_name(platform: str, service: str) -> str:
    """A service's ECR repository: ``<platform>/<service>`` (two platforms share an account)."""
    return f"{platform}/{service}"


def lifecycle_policy() -> str:
    """Expire untagged images after ``UNTAGGED_DAYS``, keep the newest ``KEEP_IMAGES``."""
    return json.dumps({"rules": [
        {"rulePriority": 1, "description": f"untagged images after {UNTAGGED_DAYS} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": UNTAGGED_DAYS},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"keep the newest {KEEP_IMAGES} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                       "countNumber": KEEP_IMAGES},
         "action": {"type": "expire"}},
    ]}, sort_keys=True)


def push_policy(repository_arn: str) -> str:
    """Push to ``repository_arn`` only."""
    statements: list[dict[str, Any]] = [
        {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
         "Resource": "*"},
        {"Sid": "PushOwnRepository", "Effect": "Allow", "Action": list(PUSH_ACTIONS),
         "Resource": repository_arn},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
