"""CIDR rules: what may reach the cluster's public API endpoint."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network, collapse_addresses

# What AWS would never see as a client address: private, shared (carrier NAT) and local ranges.
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "0.0.0.0/8", "224.0.0.0/3",
))

# The public API endpoint may be opened to office and VPN ranges, not to a share of the
# internet: together the CIDRs may cover at most a /8 (16.7 million addresses).
MAX_PUBLIC_ADDRESSES = 2**24


def check_public_cidrs(cidrs: list[IPv4Network]) -> list[IPv4Network]:
    """``cidrs`` if together they cover at most ``MAX_PUBLIC_ADDRESSES``; else ValueError."""
    covered = sum(net.num_addresses for net in collapse_addresses(cidrs))
    if covered > MAX_PUBLIC_ADDRESSES:
        share = covered / 2**32
        raise ValueError(f"these CIDRs open the API endpoint to {share:.1%} of the IPv4 "
                         "internet (more than a /8); fix: list only your office/VPN CIDRs")
    return cidrs


def not_public(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Whether ``network`` overlaps a range AWS never sees as a client address."""
    return any(network.overlaps(blocked) for blocked in NOT_PUBLIC)
