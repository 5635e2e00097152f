"""The EKS add-on builds per Kubernetes minor: from AWS when credentials exist, else recorded.

With AWS credentials (botocore's default chain: environment, profiles, SSO, instance role)
EKS's ``DescribeAddonVersions`` is asked for each add-on and minor, and the newest build AWS
lists as compatible with that minor is taken (marked where AWS says it is the minor's default).
Without credentials, without botocore, offline (``--offline``) or on any AWS error, the kit's
recorded table (``versions.EKS_ADDONS_BY_KUBERNETES``) is used, and the source line says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marketplace_kit.platform import versions

RECORDED_SOURCE = ("the kit's recorded builds per Kubernetes minor (platform/versions.py "
                   "EKS_ADDONS_BY_KUBERNETES), offline")
AWS_SOURCE = "AWS's DescribeAddonVersions (region {region}): the newest build compatible with " \
             "each minor"
_BUILD = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-eksbuild\.(\d+))?")


@dataclass(frozen=True)
class AddonCatalog:
    """Add-on builds per Kubernetes minor, and where they come from."""

    builds: dict[str, dict[str, str]]  # minor -> add-on -> build
    source: str  # one line: where the builds come from (and why, when recorded)
    defaults: dict[str, frozenset[str]] = field(default_factory=dict)  # minor -> AWS defaults
    # minor -> add-on -> every build AWS lists for that minor (empty: recorded, nothing checked)
    compatible: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)

    @property
    def from_aws(self) -> bool:
        """The builds are AWS's answer."""
        return bool(self.compatible)


def recorded_catalog(reason: str = "") -> AddonCatalog:
    """The kit's recorded table; ``reason``: why AWS was not asked (or failed)."""
    return AddonCatalog(
        builds={minor: dict(b) for minor, b in versions.EKS_ADDONS_BY_KUBERNETES.items()},
        source=RECORDED_SOURCE + (f" ({reason})" if reason else ""))


def build_key(build: str) -> tuple[int, ...]:
    """``v1.21.1-eksbuild.3`` -> (1, 21, 1, 3): builds ordered by upstream version, then EKS's
    build number."""
    found = _BUILD.match(build)
    return tuple(int(p or 0) for p in found.groups()) if found else (-1,)


def _versions_for(client: Any, addon: str, minor: str) -> list[Mapping[str, Any]]:
    pages = client.get_paginator("describe_addon_versions").paginate(
        addonName=addon, kubernetesVersion=minor)
    return [v for page in pages for a in page.get("addons", []) if a.get("addonName") == addon
            for v in a.get("addonVersions", [])]


def aws_catalog(client: Any, region: str, addons: Iterable[str],
                minors: Iterable[str]) -> AddonCatalog:
    """The newest build of each add-on AWS lists as compatible with each minor (an EKS client;
    botocore's errors propagate)."""
    builds: dict[str, dict[str, str]] = {}
    defaults: dict[str, frozenset[str]] = {}
    compatible: dict[str, dict[str, frozenset[str]]] = {}
    for minor in minors:
        marked: set[str] = set()
        for addon in addons:
            fits = {}
            for version in _versions_for(client, addon, minor):
                for compat in version.get("compatibilities", []):
                    if compat.get("clusterVersion") == minor:
                        fits[str(version["addonVersion"])] = bool(compat.get("defaultVersion"))
            if not fits:
                continue
            newest = max(fits, key=build_key)
            builds.setdefault(minor, {})[addon] = newest
            compatible.setdefault(minor, {})[addon] = frozenset(fits)
            if fits[newest]:
                marked.add(addon)
        defaults[minor] = frozenset(marked)
    return AddonCatalog(builds, AWS_SOURCE.format(region=region), defaults, compatible)


def _eks_client(region: str) -> Any:
    """An EKS client on botocore's default credential chain; LookupError (one line) when it
    finds no credentials."""
    import botocore.session

    session = botocore.session.get_session()
    if session.get_credentials() is None:
        raise LookupError("no AWS credentials (botocore's default chain found none)")
    return session.create_client("eks", region_name=region)


def addon_catalog(region: str, addons: Iterable[str], minors: Iterable[str], *,
                  offline: bool = False,
                  client_for: Callable[[str], Any] | None = None) -> AddonCatalog:
    """AWS's builds when it can be asked, else the recorded table with the reason in one line
    (``client_for``: region -> EKS client, default botocore's on its credential chain)."""
    if offline:
        return recorded_catalog("--offline")
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return recorded_catalog("botocore is not installed: pip install "
                                "'marketplace-kit[aws]' to ask AWS")
    try:
        client = (client_for or _eks_client)(region)
        return aws_catalog(client, region, list(addons), list(minors))
    except LookupError as exc:
        return recorded_catalog(str(exc))
    except (BotoCoreError, ClientError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return recorded_catalog(f"AWS failed: {detail}")
