"""``helm template`` of one release: the chart folder, the kit's values, the rendered documents."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KUBE_VERSION = "1.35.0"  # the API versions the charts may assume (versions.KUBERNETES)
# API groups served on the clusters the kit builds (the charts gate templates on them).
API_VERSIONS = ("monitoring.coreos.com/v1", "networking.istio.io/v1", "security.istio.io/v1",
                "policy/v1", "autoscaling/v2")


class _Loader(yaml.SafeLoader):
    """YAML 1.1's ``=`` value tag off: a bare ``=`` (a CRD's enum) is the string it is."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class RenderError(Exception):
    """helm could not render a release (its message is helm's)."""


@dataclass(frozen=True)
class Rendered:
    """One rendered document and the chart file it came from (``# Source:``)."""

    source: str
    doc: dict[str, Any]

    @property
    def from_crds_folder(self) -> bool:
        """Rendered from a chart's ``crds/`` folder (installed once, never upgraded by Helm)."""
        parts = self.source.split("/")
        return "crds" in parts[:-1] and "templates" not in parts


def helm_version(helm: Path) -> str:
    """``helm version --short`` without the commit (``v4.1.4``)."""
    out = subprocess.run([str(helm), "version", "--short"], check=True, capture_output=True,
                         text=True).stdout.strip()
    return out.split("+", 1)[0]


def render(helm: Path, chart_dir: Path, release: str, namespace: str,
           values: dict[str, Any], skip_crds: bool = False) -> list[Rendered]:
    """Every document ``helm template`` renders for a release, with the CRDs of ``crds/``
    unless the release skips them."""
    with tempfile.TemporaryDirectory() as tmp:
        values_file = Path(tmp) / "values.json"
        values_file.write_text(json.dumps(values))
        command = [str(helm), "template", release, str(chart_dir), "--namespace", namespace,
                   "--values", str(values_file), "--skip-tests",
                   "--kube-version", KUBE_VERSION]
        if not skip_crds:
            command.append("--include-crds")
        for api in API_VERSIONS:
            command += ["--api-versions", api]
        done = subprocess.run(command, capture_output=True, text=True,
                              env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise RenderError(f"helm template {release} ({chart_dir.name}): {done.stderr.strip()}")
    return split(done.stdout)


def split(text: str) -> list[Rendered]:
    """The documents of helm's output, each with its ``# Source:`` file."""
    found: list[Rendered] = []
    source = ""  # a file that starts with its own "---" leaves its Source line alone before it
    for chunk in text.split("\n---"):
        for line in chunk.splitlines():
            if line.startswith("# Source: "):
                source = line[len("# Source: "):].strip()
                break
        doc = yaml.load(chunk, Loader=_Loader)
        if isinstance(doc, dict) and doc.get("kind"):
            found.append(Rendered(source, doc))
            source = ""
    return found
