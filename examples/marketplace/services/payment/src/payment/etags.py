"""Entity tags (RFC 9110 section 8.8.3): strong, quoted, the entity's version (``"3"``), and the
``If-Match`` / ``If-None-Match`` preconditions over them."""

from __future__ import annotations

import re

_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')


def etag(version: int) -> str:
    """The strong entity tag of a version."""
    return f'"{version}"'


def _tags(header: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque) of each listed tag; None for ``*``. An unquoted token is read as a tag
    (lenient to old clients); anything unparsable matches nothing."""
    if header.strip() == "*":
        return None
    found: list[tuple[bool, str]] = []
    for part in header.split(","):
        match = _TAG.fullmatch(part)
        if match:
            found.append((match.group(1) is not None, match.group(2)))
        elif part.strip() and '"' not in part:
            found.append((False, part.strip()))
    return found


def if_match(header: str | None, version: int) -> bool:
    """Whether ``If-Match`` allows changing the entity at ``version`` (strong comparison)."""
    if header is None:
        return True
    tags = _tags(header)
    return tags is None or any(not weak and tag == str(version) for weak, tag in tags)


def if_none_match(header: str | None, version: int) -> bool:
    """Whether ``If-None-Match`` matches the entity at ``version`` (weak comparison): a GET
    then answers 304."""
    if header is None:
        return False
    tags = _tags(header)
    return tags is None or any(tag == str(version) for _, tag in tags)
