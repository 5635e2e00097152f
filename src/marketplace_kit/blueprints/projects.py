"""Pulumi names of the platform stack and of each service stack: one definition for both."""

from __future__ import annotations

from marketplace_kit.config import Platform, ServiceSpec


def platform_stack_name(platform: Platform) -> str:
    """The platform stack as a StackReference names it in a DIY (file, S3) backend."""
    return f"organization/{platform.config.name}/{platform.config.blueprint}"


def service_project(platform: Platform, spec: ServiceSpec) -> str:
    """A service stack's project: ``<platform>-<service>`` (its stack: the platform's)."""
    return f"{platform.config.name}-{spec.name}"
