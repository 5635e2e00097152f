"""Files only this user may read (the dev run's info file holds its secrets)."""

from __future__ import annotations

from pathlib import Path

from marketplace_kit.changeset import replace_file


def write_private(path: Path, text: str) -> None:
    """Write ``path`` as mode 0600 from the first byte (``replace_file``: a fresh ``mkstemp``
    file, 0600 from its creation, so no stale file can lend it a wider mode)."""
    replace_file(path, text.encode("utf-8"), mode=0o600)
