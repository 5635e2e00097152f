"""Kubernetes objects and Helm releases extracted from a plan: the one extraction every consumer
(``render``, schema validation, ``check``) uses.

A plan resource is a Kubernetes object when it is a managed (custom) resource whose type starts
with ``kubernetes:`` and whose inputs carry ``apiVersion`` and ``kind``: built-in kinds and custom
resources alike. Providers (``pulumi:providers:kubernetes``), Helm releases (no ``kind``) and
``...Patch`` resources (partial objects) are not objects; neither are the objects inside remote
components such as ``kubernetes:yaml/v2:ConfigFile`` (the plan records the component, not what
it expands to). The manifest is the resource's inputs:

- keys sorted at every level, then ``apiVersion``, ``kind``, ``metadata`` first, so two renders
  of one plan are byte-identical;
- ``metadata.name`` is the logical resource name when the program left it to Pulumi's
  auto-naming (which appends a random suffix at deploy time);
- a top-level field whose whole value is secret (``Secret.stringData``...) is dropped and named
  in the ``marketplace-kit.io/redacted`` annotation: secrets never reach a rendered file. Secret
  values nested deeper stay as the plan's mask (``[secret]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from marketplace_kit.plan.graph import PlannedResource
from marketplace_kit.plan.values import masked_secret

HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
REDACTED_ANNOTATION = "marketplace-kit.io/redacted"
_LEADING = ("apiVersion", "kind", "metadata")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def safe_file_part(text: str) -> str:
    """``text`` usable as (part of) a file name."""
    return _UNSAFE.sub("_", text) or "_"


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object of the plan."""

    urn: str
    object: dict[str, Any]

    @property
    def api_version(self) -> str:
        return str(self.object["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.object["kind"])

    @property
    def group(self) -> str:
        """The API group ('' for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return str(self.object["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        """The namespace, or None for cluster-scoped objects (and namespaced ones left unset)."""
        namespace = self.object["metadata"].get("namespace")
        return str(namespace) if namespace else None


@dataclass(frozen=True)
class HelmRelease:
    """One Helm release of the plan: a pinned chart and the values it is installed with."""

    urn: str
    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    values: dict[str, Any]
    values_redacted: bool = False  # the whole values mapping is secret: not rendered

    def to_dict(self) -> dict[str, Any]:
        """The release as rendered (field order fixed, values with sorted keys)."""
        rendered = {
            "release": self.name,
            "namespace": self.namespace,
            "chart": self.chart,
            "repository": self.repository,
            "version": self.version,
            "values": _sorted(self.values),
        }
        if self.values_redacted:
            rendered["redacted"] = ["values"]
        return rendered


def is_kubernetes_object(resource: PlannedResource) -> bool:
    """Whether a plan resource is a whole Kubernetes object (see the module docstring)."""
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and not resource.type.endswith("Patch")
        and "apiVersion" in resource.inputs
        and "kind" in resource.inputs
    )


def manifest_of(resource: PlannedResource) -> Manifest:
    """The Kubernetes object a plan resource will create."""
    body = _sorted(resource.inputs)
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("name", resource.name)
    redacted = sorted(
        key for key, value in body.items() if key not in _LEADING and masked_secret(value)
    )
    if redacted:
        annotations = dict(metadata.get("annotations") or {})
        annotations[REDACTED_ANNOTATION] = ",".join(redacted)
        metadata["annotations"] = _sorted(annotations)
    obj = {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": _sorted(metadata)}
    obj.update({k: v for k, v in body.items() if k not in _LEADING and k not in redacted})
    return Manifest(urn=resource.urn, object=obj)


def manifests(resources: Iterable[PlannedResource]) -> list[Manifest]:
    """Every Kubernetes object among ``resources`` (a ResourceGraph or any iterable), in order."""
    return [manifest_of(r) for r in resources if is_kubernetes_object(r)]


def helm_release_of(resource: PlannedResource) -> HelmRelease:
    """The chart, repository, version, namespace and values of a Helm release resource."""
    inputs = resource.inputs
    options = inputs.get("repositoryOpts") or {}
    values = inputs.get("values") or {}
    chart = str(inputs.get("chart", ""))
    repository = str(options.get("repo", "")) if isinstance(options, dict) else ""
    if not repository and chart.startswith("oci://"):  # an OCI chart is its registry's full URL
        repository = chart.rpartition("/")[0]
    return HelmRelease(
        urn=resource.urn,
        name=str(inputs.get("name") or resource.name),
        namespace=str(inputs.get("namespace") or "default"),
        chart=chart,
        repository=repository,
        version=str(inputs.get("version", "")),
        values=dict(values) if isinstance(values, dict) else {},
        values_redacted=masked_secret(values),
    )


def helm_releases(resources: Iterable[PlannedResource]) -> list[HelmRelease]:
    """Every Helm release among ``resources``, in order."""
    return [helm_release_of(r) for r in resources if r.type == HELM_RELEASE_TYPE]
