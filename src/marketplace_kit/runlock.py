"""One run at a time per folder: the commands that change a folder's files (``init``,
``rotate-signing-key``, ``new-service``, ``update-service``, ``render``, ``dev --mail-dir``) hold
its lock while they read what they decide on and write (``run_lock``).

The lock is ``fcntl.flock`` on ``<folder>/.marketplace-kit.lock``, in which the holder records
who it is (pid, command, since when): a second run does not wait, it stops with one line naming
the holder and exit 2, nothing changed. The kernel drops the lock when its holder ends, however
it ends, so the file a killed run leaves behind never blocks: the next run takes it over. A
finished run removes the file (while still holding the lock; a run that opened the removed file
in the meantime sees it is no longer the folder's lock and opens the new one). The lock file is
never followed when it is a symlink.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from marketplace_kit.changeset import held_signals, make_dirs, remove_made
from marketplace_kit.errors import KitError

LOCK_FILE = ".marketplace-kit.lock"
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_ATTEMPTS = 10  # opens of a lock file removed under us by a finishing holder, before giving up
_HOLDER_WAIT = 0.5  # seconds to let a new holder record itself before reporting it unknown


class Busy(KitError):
    """Another run holds the folder's lock."""


class _Unwritable(KitError):
    """The folder cannot be written (read-only file system, no permission)."""


_UNWRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


def lock_path(folder: Path) -> Path:
    """The lock file of ``folder``."""
    return folder / LOCK_FILE


@contextmanager
def run_lock(folder: Path, command: str, *, create: bool = False,
             reading: bool = False) -> Iterator[None]:
    """Hold ``folder``'s lock for the block. ``command`` is what a second run is told the holder
    does. ``create``: ``folder`` and its missing parents are created (and removed again at the
    end when the block left them empty); without it, a folder that does not exist holds nothing
    to protect and the block runs unlocked (its own checks report the missing folder).
    ``reading``: the block only reads unless something is left to repair, so a folder this
    process cannot write (a read-only checkout) runs it unlocked. A held lock is ``Busy``; a
    lock that cannot be taken (a read-only or full file system) a one-line ``KitError``;
    neither changes anything."""
    if not create and not folder.is_dir():
        yield
        return
    try:
        made = make_dirs(folder) if create else []
    except OSError as exc:
        raise _cannot(folder, exc) from None
    try:
        fd: int | None = _acquire(folder, command)
    except _Unwritable:
        remove_made(made)
        if not reading:
            raise
        fd = None
    except BaseException:
        remove_made(made)
        raise
    if fd is None:
        yield
        return
    try:
        yield
    finally:
        with held_signals():
            _release(fd, lock_path(folder))
            remove_made(made)  # only what is still empty: a failed run's folders


def _acquire(folder: Path, command: str) -> int:
    path = lock_path(folder)
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(path, _FLAGS, 0o644)
        except OSError as exc:
            if exc.errno in _UNWRITABLE:
                raise _Unwritable(str(_cannot(folder, exc))) from None
            raise _cannot(folder, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _holder(fd) if exc.errno in (errno.EWOULDBLOCK, errno.EACCES) else None
            os.close(fd)
            if holder is None:
                raise _cannot(folder, exc) from None
            raise Busy(f"{folder} is being changed by another marketplace-kit run ({holder}); "
                       "nothing was changed; fix: wait for it to finish, then run it again"
                       ) from None
        if _is_current(fd, path):
            try:
                _record(fd, command)
            except OSError as exc:
                _release(fd, path)
                raise _cannot(folder, exc) from None
            return fd
        os.close(fd)  # the holder removed it as we opened it: take the new one
    raise Busy(f"{folder}: its {LOCK_FILE} keeps being replaced; nothing was changed; fix: "
               "wait for the other runs to finish, then run it again")


def _record(fd: int, command: str) -> None:
    """Write who holds the lock into it (what a second run reports)."""
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    data = json.dumps({"pid": os.getpid(), "command": command, "since": since}).encode()
    os.ftruncate(fd, 0)
    if os.pwrite(fd, data, 0) != len(data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _holder(fd: int) -> str:
    """``pid N: COMMAND, since WHEN`` of the lock's holder, as it recorded itself."""
    deadline = time.monotonic() + _HOLDER_WAIT
    while True:
        try:
            data = json.loads(os.pread(fd, 4096, 0))
            return f"pid {int(data['pid'])}: {data['command']}, since {data['since']}"
        except (OSError, ValueError, TypeError, KeyError):
            if time.monotonic() > deadline:
                return "its holder has not recorded itself"
            time.sleep(0.02)


def _is_current(fd: int, path: Path) -> bool:
    """Whether ``fd`` is still the file at ``path`` (not one a finishing holder removed)."""
    try:
        here, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _release(fd: int, path: Path) -> None:
    try:
        if _is_current(fd, path):
            os.unlink(path)
    except OSError:
        pass  # a lock file left behind never blocks (the kernel dropped the lock)
    finally:
        os.close(fd)


def _cannot(folder: Path, exc: OSError) -> KitError:
    if exc.errno == errno.ELOOP:
        return KitError(f"{lock_path(folder)} is a symlink; refused, nothing was changed; fix: "
                        "remove it, then run it again")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return KitError(f"{folder}: not a directory (or under a file); nothing was changed; "
                        "fix: give a directory")
    reason = exc.strerror or exc.__class__.__name__
    return KitError(f"cannot write in {folder} ({reason}); nothing was changed; fix: check that "
                    "it is writable and the disk not full, then run it again")
