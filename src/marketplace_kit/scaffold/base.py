"""The merge base a generated service carries: every file exactly as the kit last rendered it.

``update-service`` merges template changes against this snapshot, so it needs neither the old
template nor the old kit (whose pinned versions are rendered into the files too), nor git, nor
the network. It is one plain-text file, ``.marketplace-kit.base``, so linters, test runners and
search tools never mistake its content for the service's own code; git stores its successive
versions as small deltas.

Format: comment lines, then one entry per file: ``--- PATH BYTES`` on its own line, then exactly
BYTES bytes of UTF-8 content, then a newline. PATH is a plain relative path (no ``..``, not
absolute): anything else marks the file as damaged, so it can never name a file outside the service.
"""

from __future__ import annotations

from pathlib import Path

from marketplace_kit.changeset import check_relative
from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import ANSWERS_FILE

BASE_FILE = ".marketplace-kit.base"
_HEADER = (
    "# The files of this service as marketplace-kit last rendered them (the merge base of\n"
    "# `marketplace-kit update-service`). Generated: do not edit; commit it with the service.\n"
)
_ENTRY = b"--- "


def pack(files: dict[str, str]) -> str:
    """The base file's text for rendered ``files`` (the answers file and the base excluded)."""
    parts = [_HEADER]
    for path in sorted(files):
        if path in (ANSWERS_FILE, BASE_FILE):
            continue
        data = files[path]
        parts.append(f"--- {path} {len(data.encode('utf-8'))}\n{data}\n")
    return "".join(parts)


def unpack(raw: bytes, where: Path) -> dict[str, str]:
    """Parse a base file's bytes; a damaged file is a one-line KitError naming ``where``."""
    files: dict[str, str] = {}
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        line = raw[pos:] if end < 0 else raw[pos:end]
        pos = len(raw) if end < 0 else end + 1
        if line.startswith(b"#") or not line.strip():
            continue
        path, _, size = line.removeprefix(_ENTRY).decode("utf-8", "replace").rpartition(" ")
        if not line.startswith(_ENTRY) or not path or not size.isdigit():
            raise _damaged(where, f"unexpected line {line[:60]!r}")
        problem = check_relative(path)
        if problem is not None or path in (ANSWERS_FILE, BASE_FILE):
            raise _damaged(where, f"entry {path!r} is {problem or 'a metadata file'}")
        count = int(size)
        body, pos = raw[pos:pos + count], pos + count
        if len(body) != count or raw[pos:pos + 1] != b"\n":
            raise _damaged(where, f"entry {path!r} is truncated")
        files[path] = body.decode("utf-8")
        pos += 1
    return files


def _damaged(where: Path, problem: str) -> KitError:
    return KitError(
        f"{where}: damaged merge base ({problem}); fix: restore it from version control"
    )


def with_base(files: dict[str, str]) -> dict[str, str]:
    """Rendered ``files`` plus the base file that records them (what a service is written as)."""
    return {**files, BASE_FILE: pack(files)}


def read_base(service: Path) -> dict[str, str] | None:
    """The base recorded in ``service``, or None when it has none."""
    where = service / BASE_FILE
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KitError(f"{where}: cannot be read ({exc.strerror})") from None
    try:
        return unpack(raw, where)
    except UnicodeDecodeError:
        raise _damaged(where, "not UTF-8") from None
