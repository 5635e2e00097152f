"""Hooks of the API fuzzer (schemathesis.toml): the state an Idempotency-Key carries is kept out
of the schema checks."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import schemathesis

MAX_KEY_LENGTH = 255  # idempotency.MAX_KEY_LENGTH


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A valid Idempotency-Key gets a unique suffix: the fuzzer repeats keys with other bodies,
    which the service rightly refuses (422, the key's first request stands), schema or not."""
    headers = case.headers or {}
    for name, value in list(headers.items()):
        valid = isinstance(value, str) and 0 < len(value) <= MAX_KEY_LENGTH
        if name.lower() == "idempotency-key" and valid:
            headers[name] = (value + uuid4().hex)[-MAX_KEY_LENGTH:]
