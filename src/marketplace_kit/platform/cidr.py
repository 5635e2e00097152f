"""Subnet CIDR math for the Network layer: pure, no Pulumi.

The default layout splits the VPC in four quarters: one large private subnet per AZ (pods take
VPC addresses with the VPC CNI) in the first three quarters, and the public subnets (load
balancers, NAT) carved from the last quarter. A /16 gives three private /18s and public /20s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from itertools import combinations

from marketplace_kit.errors import ConfigError

MIN_VPC_PREFIX = 16  # AWS: the largest VPC CIDR block is a /16
MAX_VPC_PREFIX = 24  # so that four AZs' worth of public subnets stay at /28 or larger
MAX_SUBNET_PREFIX = 28  # AWS: the smallest subnet is a /28
MAX_AZS = 3


@dataclass(frozen=True)
class SubnetLayout:
    """One public and one private subnet per availability zone, in AZ order."""

    vpc: IPv4Network
    public: tuple[IPv4Network, ...]
    private: tuple[IPv4Network, ...]


def _fail(problem: str, fix: str, scope: str = "network") -> ConfigError:
    return ConfigError(f"{scope}: {problem}; fix: {fix}")


def parse_cidr(value: str | IPv4Network, what: str, scope: str = "network") -> IPv4Network:
    """An IPv4 network from ``value`` (host bits must be zero), or a one-line error."""
    try:
        network = ip_network(str(value), strict=True)
    except ValueError:
        raise _fail(
            f"{what} {value!r} is not an IPv4 CIDR block", "write it like 10.0.0.0/16", scope
        ) from None
    if not isinstance(network, IPv4Network):
        raise _fail(f"{what} {value} is IPv6", "give an IPv4 CIDR block", scope)
    return network


def _check_vpc(vpc: IPv4Network, azs: int) -> None:
    if not 2 <= azs <= MAX_AZS:
        raise _fail(f"{azs} availability zones requested", "use 2 or 3")
    if not MIN_VPC_PREFIX <= vpc.prefixlen <= MAX_VPC_PREFIX:
        raise _fail(
            f"the VPC CIDR {vpc} leaves no room for {azs} public and {azs} private subnets",
            f"use a prefix between /{MIN_VPC_PREFIX} and /{MAX_VPC_PREFIX}, e.g. 10.0.0.0/16",
        )


def carve_subnets(vpc_cidr: str | IPv4Network, azs: int) -> SubnetLayout:
    """The default layout: private subnets in the first quarters, public ones in the last."""
    vpc = parse_cidr(vpc_cidr, "VPC CIDR")
    _check_vpc(vpc, azs)
    quarters = list(vpc.subnets(prefixlen_diff=2))
    public = tuple(quarters[3].subnets(prefixlen_diff=2))[:azs]
    return SubnetLayout(vpc=vpc, public=public, private=tuple(quarters[:azs]))


def check_layout(
    vpc_cidr: str | IPv4Network,
    public: Sequence[str | IPv4Network],
    private: Sequence[str | IPv4Network],
    azs: int,
) -> SubnetLayout:
    """Validate explicit subnets: one of each per AZ, inside the VPC, sized for AWS, disjoint."""
    vpc = parse_cidr(vpc_cidr, "VPC CIDR")
    _check_vpc(vpc, azs)
    layout = SubnetLayout(
        vpc=vpc,
        public=tuple(parse_cidr(c, "public subnet") for c in public),
        private=tuple(parse_cidr(c, "private subnet") for c in private),
    )
    for kind, subnets in (("public", layout.public), ("private", layout.private)):
        if len(subnets) != azs:
            raise _fail(
                f"{len(subnets)} {kind} subnets for {azs} availability zones",
                f"give exactly one {kind} subnet per AZ",
            )
        for subnet in subnets:
            if not subnet.subnet_of(vpc):
                raise _fail(
                    f"{kind} subnet {subnet} is outside the VPC {vpc}",
                    "pick subnets inside the VPC CIDR",
                )
            if subnet.prefixlen > MAX_SUBNET_PREFIX:
                raise _fail(
                    f"{kind} subnet {subnet} is smaller than AWS allows",
                    f"use /{MAX_SUBNET_PREFIX} or larger",
                )
    for a, b in combinations(layout.public + layout.private, 2):
        if a.overlaps(b):
            raise _fail(f"subnets {a} and {b} overlap", "give every subnet its own range")
    return layout
