"""Istio revisions: how an istiod is named and how a namespace asks for a revision's sidecars.

One definition, read by the mesh (its istiod releases, namespace labels, gateway), the services
(the pod-template annotation that restarts them when the injection moves), the upgrade plan
(what runs and where it goes) and the plan's readers (which namespaces get sidecars). Pure data.

An istiod is installed by revision: Helm release ``istiod-<revision>`` with the chart's
``revision`` value, namespaces labelled ``istio.io/rev=<revision>``. An earlier kit installed it
in place (release ``istiod``, no revision, namespaces ``istio-injection=enabled``): that is the
revision ``IN_PLACE``, kept only until an upgrade's canary has moved every namespace off it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

INJECTION_LABEL = "istio-injection"  # an in-place istiod's injection (``enabled``)
REVISION_LABEL = "istio.io/rev"  # a revision's injection
IN_PLACE = "default"  # Istio's name for the revision of an istiod installed without one
ISTIOD_RELEASE = "istiod"  # the in-place release; a revision's is ``istiod-<revision>``
# On the pod template of every Deployment with a sidecar: the revision injecting it. A move of
# the injection to another revision changes it, so the engine rolls the pods (no kubectl).
SIDECAR_REVISION_ANNOTATION = "marketplace-kit.io/sidecar-revision"
_REVISION = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def istio_revision(version: str) -> str:
    """The revision name of an Istio version (``1.31.1`` -> ``1-31-1``)."""
    return version.replace(".", "-")


def revision_version(revision: str) -> str | None:
    """The Istio version a revision name stands for (``1-31-1`` -> ``1.31.1``); None for
    ``IN_PLACE`` or a name ``istio_revision`` does not make."""
    found = _REVISION.match(revision)
    return None if found is None else ".".join(found.groups())


def istiod_version(revision: str, in_place_version: str) -> str | None:
    """The Istio version a revision's istiod runs: ``in_place_version`` for ``IN_PLACE``, else
    the one its name stands for (None: a name that stands for none)."""
    return in_place_version if revision == IN_PLACE else revision_version(revision)


def istiod_release(revision: str) -> str:
    """The Helm release of a revision's istiod."""
    return ISTIOD_RELEASE if revision == IN_PLACE else f"{ISTIOD_RELEASE}-{revision}"


def release_revision(values: Mapping[str, Any]) -> str:
    """The revision an istiod release's values install (``IN_PLACE`` without one)."""
    return str(values.get("revision") or IN_PLACE)


def chart_revision(revision: str) -> dict[str, str]:
    """The istiod and gateway charts' values for a revision (none in place)."""
    return {} if revision == IN_PLACE else {"revision": revision}


def injection_labels(revision: str) -> dict[str, str]:
    """The labels of a namespace whose pods get ``revision``'s sidecars."""
    return {INJECTION_LABEL: "enabled"} if revision == IN_PLACE else {REVISION_LABEL: revision}


def injected_revision(labels: Mapping[str, Any] | None) -> str | None:
    """The revision a namespace's labels inject (None: no sidecar injection)."""
    labels = labels or {}
    if labels.get(REVISION_LABEL):
        return str(labels[REVISION_LABEL])
    return IN_PLACE if labels.get(INJECTION_LABEL) == "enabled" else None


def sidecar_annotations(revision: str | None) -> dict[str, str]:
    """The pod-template annotations of a workload whose sidecar ``revision`` injects: none in
    place (as an earlier kit's pods) or without a mesh (None or "")."""
    if not revision or revision == IN_PLACE:
        return {}
    return {SIDECAR_REVISION_ANNOTATION: revision}
