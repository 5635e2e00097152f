"""The public address `up` runs from, for ``cluster.endpoint_access: deployer``.

The EKS API endpoint is public but admits only this address (and ``public_access_cidrs``), so
the laptop or CI runner that runs ``up`` reaches the cluster without it being open to the world.
``MARKETPLACE_KIT_DEPLOYER_CIDR`` overrides the lookup (a runner behind a known NAT, a proxy).
"""

from __future__ import annotations

import ipaddress
import os
import urllib.request
from collections.abc import Mapping

from marketplace_kit.config import Platform
from marketplace_kit.errors import KitError
from marketplace_kit.validation.network import not_public

CHECK_IP_URL = "https://checkip.amazonaws.com"  # AWS's own "what is my address" service
OVERRIDE_VAR = "MARKETPLACE_KIT_DEPLOYER_CIDR"
CHECK_IP_VAR = "MARKETPLACE_KIT_CHECK_IP_URL"  # tests and air-gapped mirrors


def needs_deployer_address(platform: Platform) -> bool:
    """Whether this platform's API endpoint admits the deployer's address."""
    return platform.config.target == "aws" and platform.config.cluster.endpoint_access == (
        "deployer"
    )


def _as_cidr(text: str, source: str) -> str:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise KitError(
            f"{source} gave {text.strip()[:60]!r}, not an IPv4 address; fix: export "
            f"{OVERRIDE_VAR}=YOUR.PUBLIC.IP/32"
        ) from None
    if network.version != 4 or network.prefixlen == 0 or not_public(network):
        raise KitError(
            f"{source} gave {network}, not a public IPv4 address or CIDR; fix: export "
            f"{OVERRIDE_VAR} with the public IPv4 address this machine reaches AWS from"
        )
    if network.num_addresses == 1:
        return f"{network.network_address}/32"
    return str(network)


def deployer_cidr(environ: Mapping[str, str] = os.environ, timeout: float = 10.0) -> str:
    """This machine's public IPv4 address as a /32 (or the override), or a one-line error."""
    override = environ.get(OVERRIDE_VAR, "").strip()
    if override:
        return _as_cidr(override, OVERRIDE_VAR)
    url = environ.get(CHECK_IP_VAR) or CHECK_IP_URL
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read(64).decode("ascii", "replace")
    except OSError as exc:
        raise KitError(
            f"cannot find this machine's public address ({url}: {exc}); fix: export "
            f"{OVERRIDE_VAR}=YOUR.PUBLIC.IP/32, or set cluster.endpoint_access to cidrs (with "
            "public_access_cidrs) or private in marketplace.yaml"
        ) from None
    return _as_cidr(text, url)
