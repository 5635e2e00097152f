"""Before ``deploy-service``, ``destroy`` and ``refresh`` touch the cluster: can this machine
call its API? (``up`` checks between its stages: ``operations._check_cluster_api``.)

``deploy-service`` (a service's deploy job, or a person) reads the cluster as EKS describes it:
a deploy role may describe its cluster but not read the platform's state. ``destroy`` and
``refresh`` of the platform read the cluster from its state; with ``cluster.endpoint_access:
deployer`` they first admit this machine's current address (a targeted update of the cluster
alone, recorded like ``up`` records it). Each then calls ``/readyz`` as the kubeconfig will,
and stops with one line and the fix before anything changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from marketplace_kit.blueprints.base import cluster_name
from marketplace_kit.config import Platform
from marketplace_kit.provision.api_check import (
    ClusterApi,
    described_cluster,
    require_aws_cli,
    wait_for_api,
    wait_seconds_from_env,
)
from marketplace_kit.provision.deployer import deployer_cidr, needs_deployer_address


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """Whether this runs in CI (GitHub Actions and most CI systems set ``CI=true``)."""
    return (environ if environ is not None else dict(os.environ)).get("CI") == "true"


def check_service_deploy(platform: Platform, stack: str,
                         describe: Callable[[str, str], ClusterApi] = described_cluster) -> None:
    """``deploy-service``: the platform's cluster answers this identity (aws target only)."""
    config = platform.config
    if config.target != "aws":
        return
    require_aws_cli()
    api = describe(cluster_name(config, stack), config.region)
    reach = config.deploy_access.api_reach if in_ci() and config.deploys_from_ci else ""
    wait_for_api(api, config.cluster.endpoint_access, api_reach=reach,
                 kept="the service's stack was not touched",
                 wait_seconds=wait_seconds_from_env())


def address_to_admit(platform: Platform, api: ClusterApi) -> str | None:
    """With ``endpoint_access: deployer``: this machine's address when the public endpoint does
    not admit it yet (None: nothing to change)."""
    if not needs_deployer_address(platform) or not api.public:
        return None
    cidr = deployer_cidr()
    return None if cidr in api.public_cidrs else cidr


def check_platform_api(platform: Platform, api: ClusterApi, command: str) -> None:
    """``destroy``/``refresh`` of the platform: its cluster answers this identity."""
    require_aws_cli()
    wait_for_api(api, platform.config.cluster.endpoint_access,
                 kept=f"{command} changed nothing in the cluster",
                 wait_seconds=wait_seconds_from_env())
