"""Pulumi names of the platform stack and of each service stack: one definition for both."""

from __future__ import annotations

from marketplace_kit.config import Platform, ServiceSpec


def platform_stack_name(platform: Platform) -> str:
    """The platform stack as a StackReference names it in a DIY (file, S3) backend."""
    return f"organization/{platform.config.name}/{platform.config.blueprint}"


def service_project(platform: Platform, spec: ServiceSpec) -> str:
    """A service stack's project: ``<platform>-<service>`` (its stack: the platform's)."""
    return f"{platform.config.name}-{spec.name}"


def contract_parameter(platform: Platform, stack: str, spec: ServiceSpec) -> str | None:
    """The SSM parameter a service stack reads its contract from (aws with service stacks:
    ``compose.publish_contract`` writes it); None: it reads the platform stack (local)."""
    from marketplace_kit.contract.platform_outputs import parameter_name

    config = platform.config
    if config.target != "aws" or not config.service_stacks:
        return None
    return parameter_name(config.name, stack, spec.name)
