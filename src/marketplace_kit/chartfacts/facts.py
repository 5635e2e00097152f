"""The generated chart facts (``marketplace_kit/data/chart_facts.yaml``), read back.

A plan's release is matched to the release rendered with the same chart, version and values
(``values_sha256``); a release whose values were changed from every blueprint's gets the facts
of the same chart as some blueprint rendered it (the same release name first), with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from marketplace_kit.chartfacts.releases import values_digest
from marketplace_kit.package_data import read_mapping

FACTS_FILE = "chart_facts.yaml"


@cache
def facts() -> dict[str, Any]:
    """The whole facts file."""
    return read_mapping(FACTS_FILE)


@dataclass(frozen=True)
class Found:
    """A release's facts, from which blueprint, and a note when its values were not rendered."""

    facts: dict[str, Any]
    blueprint: str
    note: str | None = None


def release(name: str, chart: str, version: str, values: dict[str, Any]) -> Found | None:
    """The rendered facts of a plan's release (None: no blueprint renders this chart version)."""
    digest = values_digest(values)
    near: list[tuple[bool, str, str, dict[str, Any]]] = []
    for blueprint, entry in facts()["blueprints"].items():
        for release_name, rendered in entry["releases"].items():
            if rendered["chart"] != chart or str(rendered["version"]) != version:
                continue
            if rendered["values_sha256"] == digest:
                return Found(rendered, blueprint)
            near.append((release_name != name, blueprint, release_name, rendered))
    if not near:
        return None
    _, blueprint, release_name, rendered = min(near, key=lambda n: n[0])
    return Found(rendered, blueprint,
                 f"release {name}: its values differ from every rendered blueprint's; the "
                 f"facts of {blueprint}'s release {release_name} are used (regenerate with "
                 "tools/chart_facts.py to render them)")


def chart_versions() -> dict[str, str]:
    """The version each chart's facts were rendered at."""
    return {name: str(entry["version"]) for name, entry in facts()["charts"].items()}


def eks_workloads() -> list[dict[str, Any]]:
    """What EKS runs on every cluster (its managed add-ons), each workload once."""
    return [w for addon in sorted(facts()["eks"]) for w in facts()["eks"][addon]["workloads"]]


def sidecar() -> dict[str, Any]:
    """The requests istiod's injector gives each sidecar (from any rendered istiod)."""
    for entry in facts()["blueprints"].values():
        for rendered in entry["releases"].values():
            if "sidecar" in rendered:
                found = rendered["sidecar"]
                assert isinstance(found, dict)
                return found
    raise LookupError("no istiod release in the chart facts")
