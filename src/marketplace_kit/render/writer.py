"""Write a plan's manifests and Helm releases under a directory, atomically.

Layout: ``<namespace>/<kind>-<name>.yaml`` for namespaced objects, ``_cluster/...`` for the
others, ``_helm/<namespace>/<release>.yaml`` for Helm releases (``_`` cannot start a namespace
name, so these never clash). Everything is written to a temporary directory beside the target,
which then replaces it: a failed render leaves nothing half-written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from marketplace_kit.errors import KitError
from marketplace_kit.plan.graph import PlannedResource
from marketplace_kit.render.manifests import (
    HelmRelease,
    Manifest,
    helm_releases,
    manifests,
    safe_file_part,
)

CLUSTER_DIR = "_cluster"
HELM_DIR = "_helm"


@dataclass(frozen=True)
class RenderResult:
    """What was written: the directory and the files in it (relative paths, sorted)."""

    out: Path
    manifests: int
    releases: int
    files: tuple[str, ...]


def to_yaml(data: object) -> str:
    """Block-style YAML, keys in the order given (callers sort them)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def manifest_path(manifest: Manifest, taken: set[str]) -> str:
    """``<namespace or _cluster>/<kind>-<name>.yaml``, with the API group when that is taken."""
    folder = safe_file_part(manifest.namespace) if manifest.namespace else CLUSTER_DIR
    kind = manifest.kind.lower()
    name = safe_file_part(manifest.name)
    path = f"{folder}/{kind}-{name}.yaml"
    if path in taken:
        path = f"{folder}/{kind}.{safe_file_part(manifest.group or 'core')}-{name}.yaml"
    if path in taken:
        raise KitError(f"render: two {manifest.kind} objects named {manifest.name} in {folder}")
    return path


def release_path(release: HelmRelease) -> str:
    """``_helm/<namespace>/<release>.yaml``."""
    return f"{HELM_DIR}/{safe_file_part(release.namespace)}/{safe_file_part(release.name)}.yaml"


def render_files(resources: Iterable[PlannedResource]) -> tuple[dict[str, str], int, int]:
    """Every file of a render as ``{relative path: text}``, plus the object and release counts."""
    resources = list(resources)
    files: dict[str, str] = {}
    found = manifests(resources)
    for manifest in found:
        files[manifest_path(manifest, set(files))] = to_yaml(manifest.object)
    releases = helm_releases(resources)
    for release in releases:
        path = release_path(release)
        if path in files:
            raise KitError(f"render: two Helm releases named {release.name} in {release.namespace}")
        files[path] = to_yaml(release.to_dict())
    return dict(sorted(files.items())), len(found), len(releases)


def check_target(out: Path, force: bool) -> None:
    """Refuse a file, a non-empty directory without ``force``, and directories never to replace."""
    if out.exists() and not out.is_dir():
        raise KitError(f"render: {out} is a file; fix: give a directory for --out")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise KitError(
                f"render: {out} is not empty; fix: choose an empty directory or pass --force "
                "to replace its contents"
            )
        resolved, cwd = out.resolve(), Path.cwd().resolve()
        if resolved in (Path(resolved.anchor), Path.home().resolve()) or cwd.is_relative_to(
            resolved
        ):
            raise KitError(
                f"render: refusing to replace {out} (it holds the working directory or is / or "
                "home); fix: render into a dedicated directory"
            )


def render_plan(resources: Iterable[PlannedResource], out: Path, *, force: bool) -> RenderResult:
    """Write every manifest and Helm release of a plan under ``out`` (replaced as a whole)."""
    check_target(out, force)
    files, objects, releases = render_files(resources)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.render-", dir=out.parent))
    except OSError as exc:
        raise KitError(f"render: cannot write beside {out} ({exc.strerror})") from None
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        _swap(staging, out)
    except OSError as exc:
        raise KitError(f"render: cannot write {out} ({exc.strerror}); left unchanged") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(out=out, manifests=objects, releases=releases, files=tuple(files))


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` in place of ``out``; on failure ``out`` is left as it was."""
    if not out.exists():
        staging.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{staging.name.rsplit('-', 1)[-1]}")
    out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
