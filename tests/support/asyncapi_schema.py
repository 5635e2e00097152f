"""The official AsyncAPI JSON Schema of a spec version, from the pinned npm package
``@asyncapi/specs`` (``npm pack`` at test time, cached under the temp dir; never committed)."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from marketplace_kit.platform.versions import ASYNCAPI_SPECS_NPM

PACKAGE = f"@asyncapi/specs@{ASYNCAPI_SPECS_NPM}"


def specs_tarball() -> Path:
    """The package tarball, packed once per machine and version."""
    cache = Path(tempfile.gettempdir()) / f"asyncapi-specs-{ASYNCAPI_SPECS_NPM}.tgz"
    with open(f"{cache}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            npm = shutil.which("npm")
            assert npm, "npm is needed to fetch the AsyncAPI schemas (.ci/run installs it)"
            with tempfile.TemporaryDirectory() as work:
                done = subprocess.run([npm, "pack", PACKAGE, "--pack-destination", work],
                                      capture_output=True, text=True, timeout=180, check=False)
                assert done.returncode == 0, done.stderr[-2000:]
                shutil.move(str(next(Path(work).glob("*.tgz"))), cache)
    return cache


def asyncapi_schema(version: str) -> dict[str, Any]:
    """The JSON Schema (draft-07, every definition bundled) of AsyncAPI ``version``."""
    with tarfile.open(specs_tarball()) as tar:
        member = tar.extractfile(f"package/schemas/{version}.json")
        assert member is not None, f"{PACKAGE} has no schema for AsyncAPI {version}"
        schema: dict[str, Any] = json.load(member)
        return schema
