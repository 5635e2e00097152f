"""marketplace.yaml ``network``: the VPC layout."""


from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class NetworkConfig(ConfigModel):
    """VPC layout."""

    cidr: IPv4Network = IPv4Network("10.0.0.0/16")
    azs: int = Field(2, ge=2, le=3, description="availability zones (2 or 3)")
    nat: Literal["single", "per_az"] = "single"

    @field_validator("cidr")
    @classmethod
    def _room_for_subnets(cls, cidr: IPv4Network) -> IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError("the VPC CIDR needs a prefix between /16 and /20, e.g. 10.0.0.0/16")
        return cidr
