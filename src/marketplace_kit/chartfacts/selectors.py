"""Kubernetes label selectors as prometheus-operator reads them (None: selects nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` satisfy a LabelSelector; ``{}`` selects all, ``None`` nothing."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selects_namespace(selector: Mapping[str, Any] | None, own: str, namespace: str,
                      namespace_labels: Mapping[str, str]) -> bool:
    """prometheus-operator's namespace selectors: unset means the Prometheus' own namespace."""
    if selector is None:
        return namespace == own
    return matches(selector, {"kubernetes.io/metadata.name": namespace, **namespace_labels})
