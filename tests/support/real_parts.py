"""The real parts the tests run against (`.ci/real-parts`): Pulumi, kube-apiserver, Kafka, ...

`.ci/run` writes the parts' ``NAME=PATH`` lines to a file and names it in ``MK_REAL_PARTS``;
without it the tests that need a real part are skipped, saying how to get them (a cold build
takes many minutes; ``MK_REAL_PARTS=build`` runs the script once per process instead).
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def _parts() -> dict[str, str]:
    listing = os.environ.get("MK_REAL_PARTS", "").strip()
    if not listing:
        pytest.skip("MK_REAL_PARTS is unset: no real parts (Pulumi CLI, kube-apiserver, moto, "
                    "...) here; fix: `.ci/real-parts > parts.env` (minutes when cold), then "
                    "export MK_REAL_PARTS=$PWD/parts.env (or MK_REAL_PARTS=build)")
    if listing != "build":
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
