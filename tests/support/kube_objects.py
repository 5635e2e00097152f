"""Applying objects to the test Kubernetes API (`support.kube_api`) the way the Pulumi kubernetes
provider does: server-side apply, field manager ``pulumi-kubernetes``, optionally a dry run.

Resource paths come from the server's own discovery (built-in kinds and installed CRDs alike).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from marketplace_kit.plan.values import SECRET_MASK, UNKNOWN_VALUE

FIELD_MANAGER = "pulumi-kubernetes"
_APPLY = {"Content-Type": "application/apply-patch+yaml"}


@dataclass(frozen=True)
class ApiResource:
    """Where one kind lives: its resource name and whether it is namespaced."""

    path: str  # /api/v1 or /apis/GROUP/VERSION
    name: str
    namespaced: bool


class Discovery:
    """kind -> ApiResource, read from the server (refresh after installing CRDs)."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._kinds: dict[tuple[str, str], ApiResource] = {}

    def refresh(self) -> None:
        self._kinds.clear()
        paths = ["/api/v1"]
        for group in self._http.get("/apis").raise_for_status().json()["groups"]:
            paths += [f"/apis/{v['groupVersion']}" for v in group["versions"]]
        for path in paths:
            listing = self._http.get(path).raise_for_status().json()
            api_version = listing["groupVersion"]
            for resource in listing["resources"]:
                if "/" not in resource["name"]:  # subresources (pods/log...) are not kinds
                    self._kinds[(api_version, resource["kind"])] = ApiResource(
                        path, resource["name"], resource["namespaced"])

    def resource(self, api_version: str, kind: str) -> ApiResource | None:
        if (api_version, kind) not in self._kinds:
            self.refresh()
        return self._kinds.get((api_version, kind))


def object_url(resource: ApiResource, obj: dict[str, Any]) -> str:
    """The URL of one object (namespace ``default`` when a namespaced object names none)."""
    name = obj["metadata"]["name"]
    if not resource.namespaced:
        return f"{resource.path}/{resource.name}/{name}"
    namespace = obj["metadata"].get("namespace") or "default"
    return f"{resource.path}/namespaces/{namespace}/{resource.name}/{name}"


def apply(
    http: httpx.Client, discovery: Discovery, obj: dict[str, Any], *, dry_run: bool
) -> httpx.Response:
    """Server-side apply of ``obj``, forced as the provider's upsert (unknown kind: LookupError)."""
    resource = discovery.resource(obj["apiVersion"], obj["kind"])
    if resource is None:
        raise LookupError(f"the API server serves no {obj['apiVersion']} {obj['kind']}")
    params = {"fieldManager": FIELD_MANAGER, "force": "true"}
    if dry_run:
        params["dryRun"] = "All"
    return http.patch(object_url(resource, obj), params=params, headers=_APPLY,
                      content=json.dumps(obj))


# A rendered value the plan cannot know (an output of another resource, or a secret it masks)
# becomes a value of the same shape, so the object is checked as deployed: base64 under a
# Secret's or ConfigMap's ``data`` (any string is valid there for a ConfigMap), else a string.
_BASE64_FIELDS = ("data", "binaryData")


def deployable(obj: dict[str, Any]) -> dict[str, Any]:
    """A planned object as it would be deployed (unknown and masked values filled in)."""

    def fill(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {k: fill(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, key) for v in value]
        if value in (SECRET_MASK, UNKNOWN_VALUE):
            return "cGxhY2Vob2xkZXI=" if key in _BASE64_FIELDS else "placeholder"
        return value

    return {k: fill(v, k) for k, v in obj.items()}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Kubernetes reads it: a plain ``=`` is a string (YAML 1.1's value tag is not)."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def yaml_documents(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Every non-empty YAML document of ``files``, in order."""
    documents: list[dict[str, Any]] = []
    for file in files:
        documents += [d for d in yaml.load_all(file.read_text(), Loader=_Loader) if d]
    return documents


def install_crds(http: httpx.Client, crds: list[dict[str, Any]], timeout: float = 60.0) -> None:
    """Create (or update) CRDs for real and wait until each is Established."""
    discovery = Discovery(http)
    for crd in crds:
        answer = apply(http, discovery, crd, dry_run=False)
        if answer.status_code >= 300:
            raise RuntimeError(f"CRD {crd['metadata']['name']} refused: {answer.text[:2000]}")
    deadline = time.monotonic() + timeout
    for crd in crds:
        url = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
        while True:
            conditions = http.get(url).json().get("status", {}).get("conditions", [])
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {crd['metadata']['name']} not Established: {conditions}")
            time.sleep(0.1)
