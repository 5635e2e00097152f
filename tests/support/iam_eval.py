"""A small IAM policy evaluator for tests: explicit Deny, then Allow, else implicit deny.

Covers what the kit's policies use: ``Action``/``Resource``/``NotResource`` as a string or list
with ``*`` and ``?`` wildcards (actions case-insensitive), and ``StringEquals``/``StringLike``
(and ``ArnEquals``/``ArnLike``) conditions (a key absent from the request context fails its
condition, as in IAM), ``StringNotEquals``/``StringNotLike`` (an absent key holds, as in IAM),
and ``ForAllValues:StringEquals`` (a multi-valued key given comma-separated).
``assumable`` reads a role's trust policy for a web-identity token (``Principal.Federated``
and the token's claims). ``key_allows`` is KMS's decision on a key policy plus the caller's
identity policies (``Principal.AWS``: a principal named allows by itself, the account's
``:root`` only delegates to the identity policies).
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
        base = _OPERATORS.get(operator)
        if base is None:
            raise ValueError(f"operator {operator} not supported by this evaluator")
        negated = operator.startswith("StringNot")
        for key, wanted in tests.items():
            if key not in context:
                if negated:
                    continue
                return False
            value = context[key]
            hit = (value in _list(wanted) if base == "equals"
                   else any(fnmatchcase(value, w) for w in _list(wanted)))
            if hit == negated:
                return False
    return True


_OPERATORS = {"StringEquals": "equals", "ArnEquals": "equals", "StringNotEquals": "equals",
              "StringLike": "like", "ArnLike": "like", "StringNotLike": "like"}


def _matches(statement: dict[str, Any], action: str, resource: str,
             context: dict[str, str], resource_policy: bool = False) -> bool:
    if "NotAction" in statement or ("Principal" in statement) != resource_policy:
        raise ValueError("NotAction, or a Principal in an identity policy (or none in a "
                         "resource policy): not supported by this evaluator")
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


def _named(statement: dict[str, Any]) -> list[str]:
    if "Principal" not in statement:
        raise ValueError("a key policy statement without a Principal")
    principal = statement["Principal"]
    if principal == "*":
        return ["*"]
    if set(principal) != {"AWS"}:
        raise ValueError(f"principal {principal} not supported by this evaluator")
    return _list(principal["AWS"])


def key_allows(key_policy: str | dict[str, Any], identity_policies: list[str | dict[str, Any]],
               principal: str, action: str, key_arn: str,
               context: dict[str, str] | None = None) -> bool:
    """KMS's decision for ``principal`` (an IAM role or user ARN of the key's account): an
    explicit Deny in either policy wins; else a key-policy statement naming the principal
    allows by itself, and one naming the account (``arn:<partition>:iam::<account>:root``)
    allows only when an identity policy allows too. ``aws:PrincipalArn`` is in the context."""
    document = json.loads(key_policy) if isinstance(key_policy, str) else key_policy
    request = {"aws:PrincipalArn": principal, **(context or {})}
    fields = principal.split(":")
    root = f"arn:{fields[1]}:iam::{fields[4]}:root"
    direct = delegated = denied = False
    for statement in document["Statement"]:
        names = _named(statement)
        if not {principal, "*", root} & set(names):
            continue
        if not _matches(statement, action, key_arn, request, resource_policy=True):
            continue
        if statement["Effect"] == "Deny":
            denied = True
        elif principal in names or "*" in names:
            direct = True
        else:
            delegated = True
    decisions = [evaluate(p, action, key_arn, request) for p in identity_policies]
    if denied or "Deny" in decisions:
        return False
    return direct or (delegated and "Allow" in decisions)
