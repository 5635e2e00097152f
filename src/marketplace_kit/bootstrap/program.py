"""The bootstrap stack: its program, its offline plan and where it lives.

It is a stack of its own (project ``<platform>-bootstrap``, stack ``bootstrap``) so that the
platform's stacks can keep their state in the bucket it creates. Its own state stays where
``--backend`` says (by default the local file backend beside marketplace.yaml: commit nothing,
keep that directory, or move the stack into the bucket afterwards with ``pulumi stack export``).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from marketplace_kit.bootstrap.backend import StateBackend, StateBackendArgs
from marketplace_kit.config import Platform
from marketplace_kit.contract import ci
from marketplace_kit.errors import KitError
from marketplace_kit.plan.graph import ResourceGraph

STACK = "bootstrap"
# What `bootstrap` prints for the repository variables of the generated service workflow
# (the platform key's provider: `deploy-service` opens each service stack with its own key).
OUTPUTS = {
    "backend_url": ci.BACKEND_VARIABLE,
    "secrets_provider": ci.SECRETS_VARIABLE,
}
# ... and for marketplace.yaml's deploy_access (each deploy role's own state objects).
CONFIG_OUTPUTS = {
    "bucket": "deploy_access.state_bucket",
    "state_key_arn": "deploy_access.state_key_arn",
}


def project(platform: Platform) -> str:
    """The bootstrap stack's project name."""
    return f"{platform.config.name}-bootstrap"


def require_aws(platform: Platform) -> None:
    """Bootstrap makes AWS resources: refuse the local target in one line."""
    if platform.config.target != "aws":
        raise KitError(
            f"bootstrap: target {platform.config.target!r} keeps its state on this machine; "
            "fix: bootstrap a platform with target: aws"
        )


def bootstrap_program(platform: Platform) -> Callable[[], None]:
    """The Pulumi program of the bootstrap stack: one ``StateBackend`` and its outputs."""
    config = platform.config

    def program() -> None:
        backend = StateBackend(
            config.name,
            StateBackendArgs(
                platform=config.name,
                region=config.region,
                admin_principal_arns=list(config.cluster.admin_principal_arns),
                tags={"marketplace-kit/platform": config.name, "marketplace-kit/stack": STACK},
            ),
        )
        pulumi.export("backend_url", backend.backend_url)
        pulumi.export("secrets_provider", backend.secrets_provider)
        pulumi.export("bucket", backend.bucket_name)
        pulumi.export("kms_key_arn", backend.kms_key_arn)
        pulumi.export("state_key_arn", backend.state_key_arn)

    return program


def plan_bootstrap(platform: Platform) -> ResourceGraph:
    """Plan the bootstrap stack offline (SDK mocks), like every other program of the kit."""
    from marketplace_kit.plan import plan_program

    require_aws(platform)
    return plan_program(
        bootstrap_program(platform), project=project(platform), stack=STACK,
        region=platform.config.region,
    )
