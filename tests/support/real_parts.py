"""The real parts the tests run against (`.ci/real-parts`): Pulumi, kube-apiserver, Kafka, ...

`.ci/run` writes the parts' ``NAME=PATH`` lines to a file and names it in ``MK_REAL_PARTS``;
without it (a developer running one test) the script itself is run once per process: it builds
what its cache lacks, so the first call can take minutes.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def _parts() -> dict[str, str]:
    listing = os.environ.get("MK_REAL_PARTS")
    if listing:
        text = Path(listing).read_text()
    else:
        text = subprocess.run(
            [str(REPO / ".ci" / "real-parts")], check=True, capture_output=True, text=True
        ).stdout
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {name.strip(): path.strip() for name, path in pairs}


def real_part(name: str) -> Path:
    """The path of one real part; fails (never skips) when it is not there."""
    parts = _parts()
    if name not in parts:
        known = sorted(parts)
        raise LookupError(f"real part {name!r} not provided by .ci/real-parts (has: {known})")
    path = Path(parts[name])
    if not path.exists():
        raise FileNotFoundError(f"real part {name}={path} does not exist")
    return path
