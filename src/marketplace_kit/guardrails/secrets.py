"""No plaintext secret in any input: secret-looking keys must hold masked (Pulumi secret) values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.plan.recorder import SECRET_MASK, UNKNOWN_VALUE

_SECRET_KEY = re.compile(r"(password|passwd|secret|token|apikey|privatekey|secretkey|accesskey)$")
_NOT_A_VALUE = {"", SECRET_MASK, UNKNOWN_VALUE}
# Keys that name where a secret lives (chart conventions), not the secret itself.
_REFERENCE = re.compile(r"^(existing|use)|(name|ref|arn|path|file|key(id|ref))$")


def _normal(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "").replace(".", "")


def _secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _REFERENCE.search(key)


def plaintext_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths of string values under secret-looking keys that are not masked."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(inner, str) and _secret_key(_normal(str(key))):
                if inner not in _NOT_A_VALUE:
                    yield here
            else:
                yield from plaintext_paths(inner, here)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from plaintext_paths(inner, f"{path}[{i}]")


def no_plaintext_secrets(ctx: CheckContext) -> Iterator[Finding]:
    """Secret-looking inputs, and every Kubernetes Secret's data, are Pulumi secrets."""
    for r in ctx.graph:
        paths = list(plaintext_paths(r.inputs))
        if r.type == "kubernetes:core/v1:Secret":
            for field in ("data", "stringData"):
                data = r.inputs.get(field)
                if isinstance(data, dict):
                    paths += [f"{field}.{k}" for k, v in data.items() if v not in _NOT_A_VALUE]
        for path in sorted(set(paths)):
            yield finding(r, "plaintext-secret", f"{path} holds a plaintext value",
                          "wrap it in pulumi.Output.secret(), or reference a managed secret")
