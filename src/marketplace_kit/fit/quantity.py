"""Kubernetes CPU and memory quantities as millicores and MiB."""

from __future__ import annotations

import re
from typing import Any

_MEMORY = re.compile(r"^\s*([0-9.]+)\s*(Ki|Mi|Gi|Ti|K|M|G|T|k)?\s*$")
_MIB = {None: 1 / 2**20, "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "Ti": 1024.0**2,
        "k": 1e3 / 2**20, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20, "T": 1e12 / 2**20}


def millicores(value: Any) -> int:
    """``"500m"`` -> 500, ``1`` / ``"1"`` -> 1000; unreadable or missing -> 0."""
    if value is None:
        return 0
    text = str(value).strip()
    try:
        return int(float(text[:-1])) if text.endswith("m") else int(float(text) * 1000)
    except ValueError:
        return 0


def mebibytes(value: Any) -> int:
    """``"2Gi"`` -> 2048, ``"384Mi"`` -> 384, bytes as a number; unreadable -> 0."""
    if value is None:
        return 0
    match = _MEMORY.match(str(value))
    if not match:
        return 0
    return round(float(match.group(1)) * _MIB[match.group(2)])
