"""Write a plan's manifests and Helm releases under a directory, atomically.

Layout: ``<namespace>/<kind>-<name>.yaml`` for namespaced objects, ``_cluster/...`` for the
others, ``_helm/<namespace>/<release>.yaml`` for Helm releases (``_`` cannot start a namespace
name, so these never clash), and ``.marketplace-kit-render`` listing them. Everything is written
to a temporary directory beside the target, which then replaces it: a failed render leaves
nothing half-written. ``--force`` replaces a directory only when that list covers everything in
it and it holds neither the config nor the services.

The replacement is one atomic exchange of the two directories (Linux ``renameat2``), with
Ctrl-C held back while it runs: killed at any instant, ``--out`` holds the old render or the
new one, never neither. What a killed run leaves beside it (its hidden staging directory) is
removed by the next render of the same ``--out``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from marketplace_kit.changeset import exchange, held_signals, remove_leftovers
from marketplace_kit.errors import KitError
from marketplace_kit.home import home_dir
from marketplace_kit.plan.graph import PlannedResource
from marketplace_kit.render.manifests import (
    HelmRelease,
    Manifest,
    helm_releases,
    manifests,
    safe_file_part,
)
from marketplace_kit.runlock import run_lock

CLUSTER_DIR = "_cluster"
HELM_DIR = "_helm"
MANIFEST = ".marketplace-kit-render"  # what the render wrote: --force replaces only that
MANIFEST_HEADER = "# Files marketplace-kit render wrote here; render --force replaces only these.\n"


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


def _manifest_text(files: Iterable[str]) -> str:
    return MANIFEST_HEADER + "".join(f"{path}\n" for path in files)


def written_by_render(out: Path) -> set[str] | None:
    """The files the last render wrote into ``out`` (its manifest), or None without one."""
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def _foreign(out: Path, written: set[str]) -> str | None:
    """The first entry of ``out`` the last render did not write (None: there is none)."""
    allowed = written | {MANIFEST}
    parents = {parent.as_posix() for path in written for parent in Path(path).parents}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).as_posix()
        is_dir = path.is_dir() and not path.is_symlink()
        if relative not in (parents if is_dir else allowed):
            return relative
    return None


def check_target(out: Path, force: bool, keep: Iterable[Path] = ()) -> None:
    """Refuse a file, a non-empty directory without ``force``, and, with ``force``, a directory
    that holds any of ``keep`` (the config, the services) or anything render did not write."""
    if out.exists() and not out.is_dir():
        raise KitError(f"render: {out} is a file; fix: give a directory for --out")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise KitError(
            f"render: {out} is not empty; fix: choose an empty directory or pass --force "
            "to replace what an earlier render wrote there"
        )
    resolved, cwd = out.resolve(), Path.cwd().resolve()
    held = [k for k in keep if k.resolve().is_relative_to(resolved)]
    home = home_dir()
    if resolved in (Path(resolved.anchor), home and home.resolve()) or cwd.is_relative_to(resolved):
        held.append(cwd)
    if held:
        raise KitError(
            f"render: refusing to replace {out}: it holds {held[0]} (the working directory, "
            "the config or the services); fix: render into a dedicated directory"
        )
    written = written_by_render(out)
    if written is None:
        raise KitError(
            f"render: refusing to replace {out}: no {MANIFEST} in it, so render did not write "
            "it; fix: render into a new directory (or empty this one yourself)"
        )
    foreign = _foreign(out, written)
    if foreign is not None:
        raise KitError(
            f"render: refusing to replace {out}: {foreign} was not written by render; fix: "
            "move it out, or render into a new directory"
        )


def render_plan(
    resources: Iterable[PlannedResource], out: Path, *, force: bool, keep: Iterable[Path] = ()
) -> RenderResult:
    """Write every manifest and Helm release of a plan under ``out`` (replaced as a whole, only
    if an earlier render wrote everything in it; ``keep``: paths it must never hold)."""
    keep = tuple(keep)
    check_target(out, force, keep)
    files, objects, releases = render_files(resources)
    # The folder's lock: another render of ``out`` neither removes this one's staging folder
    # as a leftover nor swaps in between.
    with run_lock(out.parent, f"render --out {out}", create=True):
        try:
            remove_leftovers(out.parent, _staging_prefix(out))
            staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
        except OSError as exc:
            raise KitError(f"render: cannot write beside {out} ({exc.strerror}); fix: check "
                           "the path and free space") from None
        try:
            for relative, text in {**files, MANIFEST: _manifest_text(files)}.items():
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            check_target(out, force, keep)  # again, right before the swap
            with held_signals():
                _swap(staging, out)
        except OSError as exc:
            raise KitError(f"render: cannot write {out} ({exc.strerror}); left unchanged; fix: "
                           "check the path and free space") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(out=out, manifests=objects, releases=releases, files=tuple(files))


def _staging_prefix(out: Path) -> str:
    return f".{out.name}.render-"


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` in place of ``out`` in one step (``out``'s old content ends up in
    ``staging``, removed by the caller); on failure ``out`` is left as it was."""
    if not out.exists():
        staging.rename(out)
    elif not exchange(staging, out):
        raise KitError(f"render: {out.parent}'s file system cannot swap directories atomically "
                       "(renameat2); fix: render into a new directory, then move it yourself")
