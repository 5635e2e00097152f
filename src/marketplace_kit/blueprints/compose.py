"""Compose the platform layers for a blueprint: foundation (network + cluster), then in-cluster."""

from __future__ import annotations

from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.config import Platform


def build_platform(platform: Platform, inputs: DeployInputs | None = None) -> None:
    """Register every resource of a platform (inside a Pulumi program)."""
    from marketplace_kit.blueprints.base import build_foundation
    from marketplace_kit.blueprints.in_cluster import build_in_cluster

    foundation = build_foundation(platform, inputs)
    build_in_cluster(platform, foundation, inputs)
