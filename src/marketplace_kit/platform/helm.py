"""The one Helm release helper every layer uses (cdk-eks-blueprints style).

An add-on is a pinned chart (``versions.Chart``), a namespace and its own default values; the
caller's values are deep-merged over those defaults. The chart's version is the one the
program's ``Pins`` hold (``pins.py``: the kit's pin, or what a stack in the middle of an upgrade
keeps). The release name is fixed (no random suffix) so Services and selectors the kit refers
to have stable names. A release whose chart makes volume claims (``claims.py``) gets the values
that delete them with their StatefulSet and depends on ``storage`` (the EBS CSI driver, the
StorageClass): destroy deletes it first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.core.merge import deep_merge
from marketplace_kit.platform.claims import makes_claims, retention_defaults
from marketplace_kit.platform.pins import held_chart
from marketplace_kit.platform.versions import Chart


def helm_release(
    name: str,
    chart: Chart,
    *,
    namespace: str,
    parent: pulumi.Resource,
    defaults: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    depends_on: list[pulumi.Resource] | None = None,
    skip_crds: bool = False,
    create_namespace: bool = True,
    timeout_seconds: int = 600,
    storage: Sequence[pulumi.Resource] = (),
) -> k8s.helm.v3.Release:
    """A Helm release of a pinned chart (at the version the program's ``Pins`` hold) with
    ``values`` deep-merged over ``defaults``."""
    chart = held_chart(chart)
    merged = deep_merge(dict(defaults or {}), dict(values or {}))
    after = list(depends_on or [])
    if makes_claims(chart.name, merged):
        merged = deep_merge(retention_defaults(chart.name), merged)
        after += [r for r in storage if r not in after]
    oci = chart.repository.startswith("oci://")  # an OCI registry: the chart is its full URL
    return k8s.helm.v3.Release(
        name,
        k8s.helm.v3.ReleaseArgs(
            name=name,
            chart=f"{chart.repository}/{chart.name}" if oci else chart.name,
            version=chart.version,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=namespace,
            create_namespace=create_namespace,
            skip_crds=skip_crds,
            values=merged,
            atomic=True,
            cleanup_on_fail=True,
            timeout=timeout_seconds,
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )


def chart_release(install: bool, name: str, chart: Chart, **options: Any
                  ) -> k8s.helm.v3.Release | None:
    """``helm_release`` when the platform installs its charts (``install``); None when they are
    installed separately (an add-on's ``charts: False``): nothing is downloaded, and the
    add-on's own objects then depend on nothing for them."""
    return helm_release(name, chart, **options) if install else None


def present(resources: Iterable[pulumi.Resource | None]) -> list[pulumi.Resource]:
    """The resources that exist (releases left out are None)."""
    return [r for r in resources if r is not None]
