"""All-or-nothing changes to files under one directory (``update-service``, regeneration).

A ``Changeset`` collects writes and deletions of paths relative to a root, then ``commit`` runs
in three steps: check every target (confined to the root, no directory where a file goes),
stage every new content in a hidden directory inside the root (same file system, so the swap is
renames only; a full disk fails here, before anything changed), then swap: each old file is
moved aside into the staging directory and the new one renamed into place. A failure during the
swap undoes the swaps made so far. Any ``OSError`` becomes a one-line ``KitError``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_kit.errors import KitError

STAGING_PREFIX = ".marketplace-kit.staging-"


def os_error(what: str, exc: OSError) -> KitError:
    """A one-line error for an ``OSError`` while doing ``what`` (nothing was changed)."""
    reason = exc.strerror or exc.__class__.__name__
    where = f" ({exc.filename})" if exc.filename else ""
    return KitError(f"{what}: {reason}{where}; nothing was changed; fix: free space or check "
                    "permissions, then run it again")


def check_relative(relative: str) -> str | None:
    """Why ``relative`` is not a plain relative POSIX path inside a directory (None: it is)."""
    if not relative or "\x00" in relative or "\\" in relative:
        return "an empty path, a NUL or a backslash"
    if relative.startswith("/") or (len(relative) > 1 and relative[1] == ":"):
        return "an absolute path"
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "a '..', '.' or empty path segment"
    return None


def confined(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it (symlinks resolved) stays inside ``root``, else None."""
    if check_relative(relative) is not None:
        return None
    target = root / relative
    try:
        resolved = target.resolve()
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return target if inside and resolved != root.resolve() else None


@dataclass
class Changeset:
    """Writes and deletions under ``root``, applied all together by ``commit``."""

    root: Path
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)

    def write(self, relative: str, data: bytes) -> None:
        """Write ``data`` at ``relative`` (created or replaced; parents created)."""
        self.writes[relative] = data

    def delete(self, relative: str) -> None:
        """Delete the file at ``relative`` (its parents too, once empty)."""
        self.deletes.append(relative)

    def _targets(self) -> dict[str, Path]:
        targets: dict[str, Path] = {}
        for relative in [*self.deletes, *self.writes]:
            target = confined(self.root, relative)
            if target is None:
                raise KitError(f"{self.root / relative}: outside {self.root}; refused, nothing "
                               "was changed; fix: restore the service's metadata from version "
                               "control")
            if target.is_dir() and not target.is_symlink():
                raise KitError(f"{target}: a directory where a file belongs; nothing was "
                               "changed; fix: move the directory away, then run it again")
            for parent in target.relative_to(self.root).parents:
                existing = self.root / parent
                if parent != Path(".") and existing.exists() and not existing.is_dir():
                    raise KitError(f"{existing}: a file where a directory belongs; nothing was "
                                   "changed; fix: move the file away, then run it again")
            targets[relative] = target
        return targets

    def commit(self, what: str) -> None:
        """Apply every change, or none (``what`` names the operation in an error)."""
        if not self.writes and not self.deletes:
            return
        targets = self._targets()
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        except OSError as exc:
            raise os_error(what, exc) from None
        keep_staging = False
        try:
            staged = self._stage(staging, targets, what)
            keep_staging = self._swap(staging, targets, staged, what)
        finally:
            if not keep_staging:
                shutil.rmtree(staging, ignore_errors=True)
        for relative in self.deletes:
            _remove_empty_parents(targets[relative].parent, self.root)

    def _stage(self, staging: Path, targets: dict[str, Path], what: str) -> dict[str, Path]:
        staged: dict[str, Path] = {}
        try:
            for number, (relative, data) in enumerate(self.writes.items()):
                path = staging / f"new-{number}"
                write_file(path, data)
                current = targets[relative]
                if current.is_file():
                    shutil.copymode(current, path)
                staged[relative] = path
            (staging / "old").mkdir()
        except OSError as exc:
            raise os_error(what, exc) from None
        return staged

    def _swap(
        self, staging: Path, targets: dict[str, Path], staged: dict[str, Path], what: str
    ) -> bool:
        """Move old files aside and new ones in; undo on failure. True: keep ``staging``."""
        moved: list[tuple[Path, Path]] = []  # (target, backup) of every old file moved aside
        placed: list[Path] = []
        made: list[Path] = []
        try:
            for number, relative in enumerate([*self.deletes, *self.writes]):
                target = targets[relative]
                if target.exists() or target.is_symlink():
                    backup = staging / "old" / str(number)
                    rename(target, backup)
                    moved.append((target, backup))
                if relative in staged:
                    made += make_dirs(target.parent, self.root)
                    rename(staged[relative], target)
                    placed.append(target)
        except OSError as exc:
            try:
                for path in reversed(placed):
                    path.unlink()
                for target, backup in reversed(moved):
                    rename(backup, target)
                for directory in reversed(made):
                    directory.rmdir()
            except OSError:
                raise KitError(f"{what}: {exc.strerror} while replacing files, and undoing it "
                               f"failed; the original files are in {staging / 'old'}; fix: "
                               "restore them from there or from version control") from None
            raise os_error(what, exc) from None
        return False


def write_file(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``, flushed to disk."""
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def replace_file(path: Path, data: bytes) -> None:
    """Write ``path`` atomically: a reader sees the old content or the new, never a part (a
    flushed temporary file beside it, mode 0600 as ``mkstemp`` makes it, renamed over it; two
    writers at once: the last one wins)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def rename(source: Path, target: Path) -> None:
    """Rename within one file system (a seam for tests that fail the swap)."""
    os.rename(source, target)


def make_dirs(directory: Path, root: Path | None = None) -> list[Path]:
    """Create ``directory`` and its missing parents (below ``root``); the ones created, outermost
    first, so a caller can remove exactly those again (``remove_made``)."""
    missing: list[Path] = []
    while directory != root and not directory.is_dir() and directory.parent != directory:
        missing.append(directory)
        directory = directory.parent
    created: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
    except OSError:
        remove_made(created)
        raise
    return created


def remove_made(made: list[Path]) -> None:
    """Remove files and (empty) directories a caller created, in reverse order; best effort."""
    for path in reversed(made):
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            pass


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        os.rmdir(directory)
        directory = directory.parent
