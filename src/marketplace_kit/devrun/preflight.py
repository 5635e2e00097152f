"""What ``dev`` checks before it starts anything: its options and the servers it needs, so a
bad ``--info-file`` or a missing PostgreSQL fails in a second, not after everything started."""

from __future__ import annotations

import os
from pathlib import Path

from marketplace_kit.devenv.broker import broker_binary
from marketplace_kit.devenv.postgres import find_bin_dir
from marketplace_kit.errors import KitError


def _writable_dir(directory: Path, option: str) -> None:
    if not directory.is_dir():
        raise KitError(f"{option}: {directory} is not a directory; fix: create it or give "
                       "another path")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise KitError(f"{option}: {directory} is not writable; fix: give a directory you can "
                       "write to")


def check_options(info_file: Path | None, mail_dir: Path | None) -> None:
    """A usable --info-file and --mail-dir, and the PostgreSQL and broker binaries."""
    if info_file is not None:
        if info_file.is_dir():
            raise KitError(f"--info-file: {info_file} is a directory; fix: give a file path")
        _writable_dir(info_file.parent, "--info-file")
    if mail_dir is not None:
        if mail_dir.exists():
            _writable_dir(mail_dir, "--mail-dir")
        else:
            _writable_dir(mail_dir.parent, "--mail-dir")
    find_bin_dir()
    broker_binary()
