"""No plaintext secret in any input: secret-looking keys must hold masked (Pulumi secret) values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.plan.inputs import dig
from marketplace_kit.plan.values import SECRET_MASK, UNKNOWN_VALUE

_SECRET_KEY = re.compile(r"(password|passwd|secret|token|apikey|privatekey|secretkey|accesskey)$")
_NOT_A_VALUE = {"", SECRET_MASK, UNKNOWN_VALUE}
# Keys that name where a secret lives (chart conventions), not the secret itself.
_REFERENCE = re.compile(r"^(existing|use)|(name|ref|arn|path|file|key(id|ref))$")
# A value that only names an environment variable (OTel Collector / Jaeger v2 config expansion,
# the variable itself set from a Secret) is a reference, not the secret.
_ENV_REFERENCE = re.compile(r"^\$\{(env:)?[A-Za-z_][A-Za-z0-9_]*\}$")


def _normal(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "").replace(".", "")


def _secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _REFERENCE.search(key)


def plaintext_paths(
    value: Any, path: str = "", secret_names: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Paths of string values under secret-looking keys that are not masked (the name of a
    Secret in ``secret_names``, such as a chart's ``opensearchAccount.secret``, is a reference)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(inner, str) and _secret_key(_normal(str(key))):
                if (inner not in _NOT_A_VALUE and not _ENV_REFERENCE.match(inner)
                        and inner not in secret_names):
                    yield here
            else:
                yield from plaintext_paths(inner, here, secret_names)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from plaintext_paths(inner, f"{path}[{i}]", secret_names)


def no_plaintext_secrets(ctx: CheckContext) -> Iterator[Finding]:
    """Secret-looking inputs, and every Kubernetes Secret's data, are Pulumi secrets."""
    names = frozenset(str(dig(r.inputs, "metadata", "name")) for r in ctx.graph
                      if r.type == "kubernetes:core/v1:Secret")
    for r in ctx.graph:
        paths = list(plaintext_paths(r.inputs, secret_names=names))
        if r.type == "kubernetes:core/v1:Secret":
            for field in ("data", "stringData"):
                data = r.inputs.get(field)
                if isinstance(data, dict):
                    paths += [f"{field}.{k}" for k, v in data.items() if v not in _NOT_A_VALUE]
        for path in sorted(set(paths)):
            yield finding(r, "plaintext-secret", f"{path} holds a plaintext value",
                          "wrap it in pulumi.Output.secret(), or reference a managed secret")
