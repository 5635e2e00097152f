"""The CI contract: what a service repository's generated workflow and the platform's roles
for it agree on (GitHub environments, repository variables), defined once.

The service template renders the workflow from these names; the platform's deploy access
(``platform/deploy_access.py``) trusts the OIDC subjects they give; the docs name them.
"""

from __future__ import annotations

# GitHub environments: a job's OIDC subject is ``repo:<owner>/<repo>:environment:<name>``
# when it names an environment, and only the role trusting that subject can be assumed.
IMAGE_ENVIRONMENT = "image"  # the image job: builds and pushes to its ECR repository
DEPLOY_ENVIRONMENT = "production"  # the deploy job: `marketplace-kit deploy-service`

# Repository variables (Settings > Secrets and variables > Actions > Variables).
PUSH_ROLE_VARIABLE = "AWS_PUSH_ROLE_ARN"  # the contract's push_roles[<service>]
DEPLOY_ROLE_VARIABLE = "AWS_DEPLOY_ROLE_ARN"  # the contract's deploy_roles[<service>]
REPOSITORY_VARIABLE = "ECR_REPOSITORY"  # the contract's image_repositories[<service>]
REGION_VARIABLE = "AWS_REGION"
BACKEND_VARIABLE = "PULUMI_BACKEND_URL"  # printed by `marketplace-kit bootstrap`
SECRETS_VARIABLE = "PULUMI_SECRETS_PROVIDER"  # printed by `marketplace-kit bootstrap`
KIT_SOURCE_VARIABLE = "MARKETPLACE_KIT_SOURCE"
CONFIG_VARIABLE = "MARKETPLACE_CONFIG"

# What the deploy job must have before it runs (checked by its first step).
DEPLOY_REQUIRED = (BACKEND_VARIABLE, SECRETS_VARIABLE, KIT_SOURCE_VARIABLE)


def subject(repository: str, environment: str) -> str:
    """The OIDC subject of a job of ``repository`` (``owner/name``) in ``environment``."""
    return f"repo:{repository}:environment:{environment}"
