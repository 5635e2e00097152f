"""Small PromQL helpers: label selectors and regex alternations, quoted once, correctly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def selector(labels: Mapping[str, str], **regex: str) -> str:
    """``{a="x", b=~"y"}`` from equality labels and regex matchers (``name=regex``)."""
    parts = [f'{k}="{v}"' for k, v in labels.items()]
    for key, pattern in regex.items():
        op = "!~" if key.endswith("_not") else "=~"
        parts.append(f'{key.removesuffix("_not")}{op}"{pattern}"')
    return "{" + ", ".join(parts) + "}"


def any_of(values: Iterable[str]) -> str:
    """A regex matching exactly one of ``values`` (dots escaped for the PromQL string)."""
    return "|".join(v.replace(".", "\\\\.") for v in values)
