"""A small IAM policy evaluator for tests: explicit Deny, then Allow, else implicit deny.

Covers what the kit's policies use: ``Action``/``Resource``/``NotResource`` as a string or list
with ``*`` and ``?`` wildcards (actions case-insensitive), and ``StringEquals``/``StringLike``
conditions (a key absent from the request context fails its condition, as in IAM), and
``ForAllValues:StringEquals`` (a multi-valued key given comma-separated).
``assumable`` reads a role's trust policy for a web-identity token (``Principal.Federated``
and the token's claims).
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any, Literal

Decision = Literal["Allow", "Deny", "ImplicitDeny"]


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _conditions_hold(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        if operator == "ForAllValues:StringEquals":  # every requested value listed (a missing
            for key, wanted in tests.items():        # key holds vacuously, as in IAM)
                given = [v for v in context.get(key, "").split(",") if v]
                if not set(given) <= set(_list(wanted)):
                    return False
            continue
        if operator not in ("StringEquals", "StringLike"):
            raise ValueError(f"operator {operator} not supported by this evaluator")
        for key, wanted in tests.items():
            if key not in context:
                return False
            value = context[key]
            if operator == "StringEquals" and value not in _list(wanted):
                return False
            if operator == "StringLike" and not any(fnmatchcase(value, w)
                                                    for w in _list(wanted)):
                return False
    return True


def _matches(statement: dict[str, Any], action: str, resource: str,
             context: dict[str, str]) -> bool:
    if "NotAction" in statement or "Principal" in statement:
        raise ValueError("NotAction/Principal not supported by this evaluator")
    if "NotResource" in statement:  # every resource but those listed
        resource_matches = not any(fnmatchcase(resource, r)
                                   for r in _list(statement["NotResource"]))
    else:
        resource_matches = any(fnmatchcase(resource, r) for r in _list(statement["Resource"]))
    return (any(fnmatchcase(action.lower(), a.lower()) for a in _list(statement["Action"]))
            and resource_matches
            and _conditions_hold(statement.get("Condition", {}), context))


def evaluate(policy: str | dict[str, Any], action: str, resource: str,
             context: dict[str, str] | None = None) -> Decision:
    """The identity policy's decision on one request."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    hits = [s["Effect"] for s in document["Statement"]
            if _matches(s, action, resource, context or {})]
    return "Deny" if "Deny" in hits else "Allow" if "Allow" in hits else "ImplicitDeny"


def effective(policies: list[dict[str, Any]], boundary: dict[str, Any], action: str,
              resource: str) -> bool:
    """A role's effective right: some policy allows it, none denies it, and the boundary allows
    it (identity policies intersected with the permissions boundary)."""
    decisions = [evaluate(p, action, resource) for p in policies]
    return ("Deny" not in decisions and "Allow" in decisions
            and evaluate(boundary, action, resource) == "Allow")


def assumable(trust: str | dict[str, Any], provider_arn: str, claims: dict[str, str]) -> bool:
    """Whether a web-identity token from ``provider_arn`` with ``claims`` (``<issuer>:sub``,
    ``<issuer>:aud``) may assume the role with this trust policy."""
    document = json.loads(trust) if isinstance(trust, str) else trust
    hits = [s["Effect"] for s in document["Statement"]
            if s.get("Principal", {}).get("Federated") == provider_arn
            and "sts:assumerolewithwebidentity" in [a.lower() for a in _list(s["Action"])]
            and _conditions_hold(s.get("Condition", {}), claims)]
    return "Allow" in hits and "Deny" not in hits
