"""The fingerprint of the installed kit, part of every cache key: a hash of every file of the
kit (code, templates, data) and the installed versions of the SDKs and declared dependencies."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
from pathlib import Path

SDKS = ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-random", "pulumi-tls")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@functools.cache
def kit_digest() -> str:
    """A hash of every file of the installed kit (code, templates, data), by relative path."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file():
            continue
        data = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0"
                      + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.cache
def dependency_versions() -> dict[str, str]:
    """The installed version of each SDK and each dependency the kit declares."""
    names = set(SDKS)
    try:
        requirements = importlib.metadata.requires("marketplace-kit") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        match = _NAME.match(requirement)
        if match and "extra ==" not in requirement:
            names.add(match.group(0))
    found = {}
    for name in sorted(names):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "absent"
    return found
