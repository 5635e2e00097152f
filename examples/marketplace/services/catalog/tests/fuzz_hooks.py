"""Hooks of the API fuzzer (schemathesis.toml): the state an Idempotency-Key carries is kept out
of the schema checks, and the service's own ``tests/fuzz_domain.py`` (optional, the team's: never
generated) supplies values its domain needs that a JSON Schema cannot state.

``fuzz_domain.valid_body(method, path, body)`` gets each schema-valid request body (``path`` as
in the OpenAPI document) and returns it with such values, still schema-valid: e.g. a real point
on a curve where the schema can only state a pattern. Invalid bodies never reach it, so negative
cases stay negative. Without the file, bodies are sent as generated."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import schemathesis
from schemathesis.core.parameters import ParameterLocation

MAX_KEY_LENGTH = 255  # idempotency.MAX_KEY_LENGTH
DOMAIN_FILE = Path(__file__).with_name("fuzz_domain.py")


def _domain_body() -> Callable[[str, str, Any], Any] | None:
    """``valid_body`` of tests/fuzz_domain.py; None without the file."""
    if not DOMAIN_FILE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_fuzz_domain", DOMAIN_FILE)
    assert spec is not None and spec.loader is not None, DOMAIN_FILE
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: Callable[[str, str, Any], Any] | None = getattr(module, "valid_body", None)
    if not callable(found):
        raise TypeError(f"{DOMAIN_FILE}: define valid_body(method, path, body) -> body")
    return found


DOMAIN_BODY = _domain_body()


def _body_is_valid(case: Any) -> bool:
    """Whether the case's body is generated (or revalidated) as schema-valid, for its operation
    (not a probe with a method the operation does not have)."""
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    own_method = case.method.upper() == case.operation.method.upper()
    return own_method and body is not None and body.mode.is_positive


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A valid Idempotency-Key gets a unique suffix: the fuzzer repeats keys with other bodies,
    which the service rightly refuses (422, the key's first request stands), schema or not.
    A schema-valid body gets the domain's values (tests/fuzz_domain.py, if there is one)."""
    headers = case.headers or {}
    for name, value in list(headers.items()):
        valid = isinstance(value, str) and 0 < len(value) <= MAX_KEY_LENGTH
        if name.lower() == "idempotency-key" and valid:
            headers[name] = (value + uuid4().hex)[-MAX_KEY_LENGTH:]
    if DOMAIN_BODY is not None and _body_is_valid(case):
        case.body = DOMAIN_BODY(case.method.upper(), case.operation.path, case.body)
        # schemathesis revalidates the edited body: the domain's values must keep it valid
        assert _body_is_valid(case), f"{DOMAIN_FILE}: valid_body made a valid body invalid"
