"""All-or-nothing changes to files under one directory (``update-service``, regeneration).

A ``Changeset`` collects writes and deletions of paths relative to a root, then ``commit`` runs
in three steps: check every target (confined to the root, no directory where a file goes),
stage every new content in a hidden directory inside the root (same file system, so the swap is
renames only; a full disk fails here, before anything changed), then swap: each old file is
moved aside into the staging directory and the new one renamed into place. A failure during the
swap undoes the swaps made so far. Any ``OSError`` becomes a one-line ``KitError``.

Interruptions: the swap runs with SIGINT/SIGTERM/SIGHUP held back (Ctrl-C lands after it, and
the error says the change was complete); before it starts, a journal is made durable in the
staging directory, and renamed to a commit mark once every file is in place. A process killed
outright (SIGKILL, power loss) leaves that directory behind: the next change under the same root
(``recover``) rolls an unmarked journal back to the old files, or just removes a committed one;
never a mix of old and new, never a lost edit.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_kit.errors import Interrupted, KitError

STAGING_PREFIX = ".marketplace-kit.staging-"
JOURNAL = "journal.json"  # durable before the swap starts: what a rollback needs
COMMITTED = "committed.json"  # the journal renamed once every file is in place
_HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class UndoFailed(KitError):
    """A failed swap could not be undone: the staging directory is kept for ``recover``."""


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
        recover(self.root)
        if not self.writes and not self.deletes:
            return
        targets = self._targets()
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        except OSError as exc:
            raise os_error(what, exc) from None
        except KeyboardInterrupt:
            raise _interrupted_early(what) from None
        try:
            staged = self._stage(staging, targets, what)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, KeyboardInterrupt):
                raise _interrupted_early(what) from None
            raise
        try:
            with held_signals():  # from the journal to the cleanup: Ctrl-C waits for the end
                self._apply(staging, targets, staged, what)
        except KeyboardInterrupt:
            raise Interrupted(f"{what}: interrupted after every change was applied; the files "
                              "are complete") from None

    def _apply(
        self, staging: Path, targets: dict[str, Path], staged: dict[str, Path], what: str
    ) -> None:
        """Journal, swap, mark committed, clean up (a failed undo keeps ``staging``)."""
        keep_staging = False
        try:
            _write_journal(staging, self._journal(targets, staged))
            self._swap(staging, targets, staged, what)
            _mark_committed(staging)
        except UndoFailed:
            keep_staging = True  # its journal lets the next run roll back
            raise
        except OSError as exc:
            raise os_error(what, exc) from None
        finally:
            if not keep_staging:
                shutil.rmtree(staging, ignore_errors=True)
        for relative in self.deletes:
            _remove_empty_parents(targets[relative].parent, self.root)

    def _journal(
        self, targets: dict[str, Path], staged: dict[str, Path]
    ) -> list[dict[str, object]]:
        """One entry per swap step, in order: target, backup name, staged name (if any)."""
        return [
            {"target": relative, "backup": str(number),
             "staged": staged[relative].name if relative in staged else None,
             "missing_dirs": [str(d.relative_to(self.root)) for d in _missing_dirs(
                 targets[relative].parent, self.root)]}
            for number, relative in enumerate([*self.deletes, *self.writes])
        ]

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
    ) -> None:
        """Move old files aside and new ones in; undo on failure."""
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
                raise UndoFailed(f"{what}: {exc.strerror} while replacing files, and undoing it "
                                 f"failed; the original files are in {staging / 'old'}; fix: "
                                 "run it again (it rolls back first) or restore them from "
                                 "version control") from None
            raise os_error(what, exc) from None


def _interrupted_early(what: str) -> Interrupted:
    return Interrupted(f"{what}: interrupted before any file changed; nothing was changed; "
                       "fix: run it again")


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back for the block (they are delivered right after it)."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    except ValueError:  # not the main thread's business: nothing to hold
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _write_journal(staging: Path, entries: list[dict[str, object]]) -> None:
    write_file(staging / JOURNAL, json.dumps({"root_steps": entries}).encode())
    _fsync_dir(staging)


def _mark_committed(staging: Path) -> None:
    os.rename(staging / JOURNAL, staging / COMMITTED)
    _fsync_dir(staging)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover(root: Path) -> list[str]:
    """Resolve what an interrupted change under ``root`` left behind (see the module doc);
    returns one line per leftover resolved. Safe to call when there is none."""
    done: list[str] = []
    if not root.is_dir():
        return done
    for staging in sorted(root.glob(f"{STAGING_PREFIX}*")):
        if not staging.is_dir() or staging.is_symlink():
            continue
        try:
            if (staging / JOURNAL).is_file():
                _roll_back(root, staging)
                done.append(f"{root}: rolled back a change that was interrupted midway")
            shutil.rmtree(staging)
        except OSError as exc:
            raise KitError(f"{root}: a change interrupted midway cannot be rolled back "
                           f"({exc.strerror}; it is kept in {staging}); fix: make the folder "
                           "writable, then run it again") from None
    return done


def remove_leftovers(parent: Path, prefix: str) -> None:
    """Remove the hidden staging folders (``prefix*``, folders only) a killed run left in
    ``parent``: what a write that never finished was building."""
    for leftover in parent.glob(f"{prefix}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)


def recover_around(paths: list[Path]) -> list[str]:
    """``recover`` every folder a change over ``paths`` may have staged in: each path and,
    for several, their common folder (where one change over them all stages)."""
    roots = [path.absolute() for path in paths]
    if len(roots) > 1:
        roots.append(Path(os.path.commonpath(roots)))
    return [line for root in dict.fromkeys(roots) for line in recover(root)]


def _roll_back(root: Path, staging: Path) -> None:
    """Put every old file back and remove every new one an interrupted swap had placed."""
    try:
        steps = json.loads((staging / JOURNAL).read_text())["root_steps"]
    except (OSError, ValueError, KeyError, TypeError):
        raise KitError(f"{staging}: an interrupted change's journal is unreadable; fix: restore "
                       f"the files from {staging / 'old'} or from version control, then remove "
                       "that folder") from None
    for step in reversed(steps):
        relative = str(step["target"])
        target = confined(root, relative)
        if target is None:
            continue
        backup = staging / "old" / str(step["backup"])
        staged = step.get("staged")
        if backup.exists() or backup.is_symlink():
            os.replace(backup, target)
        elif staged and not (staging / str(staged)).exists() and target.is_file():
            target.unlink()  # a file the change created: no old one to put back
        for directory in reversed(step.get("missing_dirs") or []):
            path = root / str(directory)
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _missing_dirs(directory: Path, root: Path | None) -> list[Path]:
    """``directory`` and its parents below ``root`` that do not exist yet, outermost first."""
    missing: list[Path] = []
    while directory != root and not directory.is_dir() and directory.parent != directory:
        missing.append(directory)
        directory = directory.parent
    return list(reversed(missing))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system or file system cannot (the caller then refuses rather than risk a gap)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code), str(second))


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace (or create) one file all at once: written to a fresh, uniquely named file in
    the same folder (``mkstemp``: exclusive, never a followed symlink, so two runs never share
    it), flushed, then renamed over the target. A symlinked target is written where it points.
    ``mode``: the file's mode (default: the old file's, else 0666 less the umask); a failure
    leaves the target as it was and no temporary file behind."""
    target = path.resolve() if path.is_symlink() else path
    if mode is None:
        mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_file(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``, flushed to disk."""
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def rename(source: Path, target: Path) -> None:
    """Rename within one file system (a seam for tests that fail the swap)."""
    os.rename(source, target)


def make_dirs(directory: Path, root: Path | None = None) -> list[Path]:
    """Create ``directory`` and its missing parents (below ``root``); the ones created, outermost
    first, so a caller can remove exactly those again (``remove_made``)."""
    created: list[Path] = []
    try:
        for path in _missing_dirs(directory, root):
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
