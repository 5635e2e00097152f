"""Fetch the browser assets from their pinned npm packages into a directory (stdlib only).

Run by the build (setup.py) so the wheel carries them, and nothing of them is committed: each
package tarball comes from the npm registry (``NPM_REGISTRY``, default registry.npmjs.org), is
checked against the integrity hash pinned in ``platform/versions.py`` and cached in
``~/.cache/marketplace-kit/npm``. ``python -m marketplace_kit.assets.fetch DIR`` does the same.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

DIST = "dist"  # the package directory the assets land in (git-ignored)


@dataclass(frozen=True)
class Asset:
    """One file of an npm package, served by the kit under ``name``."""

    name: str
    package: str
    member: str  # its path in the package tarball


ASSETS = (
    Asset("swagger-ui-bundle.js", "swagger-ui-dist", "package/swagger-ui-bundle.js"),
    Asset("swagger-ui.css", "swagger-ui-dist", "package/swagger-ui.css"),
    Asset("mermaid.min.js", "mermaid", "package/dist/mermaid.min.js"),
)


def _versions() -> ModuleType:
    """platform/versions.py by path: the build has none of the kit's dependencies."""
    path = Path(__file__).resolve().parents[1] / "platform" / "versions.py"
    spec = importlib.util.spec_from_file_location("_mk_versions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def pins() -> dict[str, tuple[str, str]]:
    """npm package -> (version, integrity), from versions.py."""
    v = _versions()
    return {"swagger-ui-dist": (v.SWAGGER_UI, v.SWAGGER_UI_INTEGRITY),
            "mermaid": (v.MERMAID, v.MERMAID_INTEGRITY)}


def _checked(data: bytes, integrity: str, what: str) -> bytes:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise RuntimeError(f"{what}: integrity {algorithm}-{actual} is not the pinned {integrity}")
    return data


def tarball(package: str, version: str, integrity: str) -> Path:
    """The package tarball, downloaded once per machine and checked."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = cache / "marketplace-kit" / "npm" / f"{package}-{version}.tgz"
    if path.is_file():
        _checked(path.read_bytes(), integrity, str(path))
        return path
    registry = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
    url = f"{registry}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = _checked(response.read(), integrity, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def fetch_all(dest: Path) -> list[Path]:
    """Every asset written into ``dest``; what was written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    versions = pins()
    for asset in ASSETS:
        with tarfile.open(tarball(asset.package, *versions[asset.package])) as archive:
            member = archive.extractfile(asset.member)
            if member is None:
                raise RuntimeError(f"{asset.package}: no {asset.member}")
            target = dest / asset.name
            target.write_bytes(member.read())
            written.append(target)
    return written


if __name__ == "__main__":
    for written in fetch_all(Path(sys.argv[1]) if sys.argv[1:] else Path(__file__).parent / DIST):
        print(written)
