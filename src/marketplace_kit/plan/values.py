"""The placeholders a recorded plan holds where no real value is (no SDK import: every view of a
cached plan reads them)."""

from __future__ import annotations

from typing import Any

SECRET_MASK = "[secret]"
UNKNOWN_VALUE = "(known after apply)"


def masked_secret(value: Any) -> bool:
    """Whether a recorded input is a masked secret (the mask, or a mapping of masks)."""
    if isinstance(value, dict):
        return bool(value) and all(v == SECRET_MASK for v in value.values())
    return bool(value == SECRET_MASK)
