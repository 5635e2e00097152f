"""CIDR rules: what may reach the cluster's public API endpoint."""

from __future__ import annotations

from ipaddress import IPv4Network, collapse_addresses

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
