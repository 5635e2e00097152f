"""Pinned images (a tag that is not ``latest``, or a digest) and pinned chart versions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.plan.inputs import dig
from marketplace_kit.render.manifests import HELM_RELEASE_TYPE, helm_release_of

_RANGE = re.compile(r"[\^~*><=x ]|\|\|")
_POD_SPEC = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


def image_pinned(image: str) -> bool:
    """``repo/name:1.2.3`` or ``repo/name@sha256:...``; not untagged, not ``:latest``."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def images(ctx: CheckContext) -> Iterator[Finding]:
    """Every container image of every workload is pinned."""
    for r, m in ctx.of_kind(*_POD_SPEC):
        pod: Any = dig(m.object, *_POD_SPEC[m.kind], default={}) or {}
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            image = str(c.get("image", ""))
            if not image_pinned(image):
                yield finding(r, "pinned-images", f"image {image or '(none)'} is not pinned",
                              "use a version tag or a digest (add the pin to versions.py)")


def charts(ctx: CheckContext) -> Iterator[Finding]:
    """Every Helm release names an exact chart version."""
    for r in ctx.graph.of_type(HELM_RELEASE_TYPE):
        version = helm_release_of(r).version
        if not version or version == "latest" or _RANGE.search(version):
            yield finding(r, "pinned-charts", f"chart version {version or '(none)'} is not pinned",
                          "set version to an exact chart release (pinned in versions.py)")
