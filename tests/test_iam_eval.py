"""The IAM evaluator of the tests (``support/iam_eval.py``) decides as AWS documents: the
condition operators the kit's policies use, and KMS's key-policy rule (a key policy must allow;
a statement naming the account only delegates to the caller's identity policies)."""

from __future__ import annotations

import pytest
from support.iam_eval import evaluate, key_allows

ROLE = "arn:aws:iam::111122223333:role/svc-deploy"
OTHER = "arn:aws:iam::111122223333:role/admin"
ROOT = "arn:aws:iam::111122223333:root"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/k"


def _doc(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: str = "kms:Decrypt", **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": "*", **extra}


def test_negated_operators_hold_on_an_absent_key_and_arn_operators_match() -> None:
    policy = _doc(_allow(Condition={"StringNotLike": {"k": "a/*"},
                                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/s*"}}))
    assert evaluate(policy, "kms:Decrypt", KEY, {"aws:PrincipalArn": ROLE}) == "Allow"
    assert evaluate(policy, "kms:Decrypt", KEY, {"aws:PrincipalArn": ROLE,
                                                 "k": "a/b"}) == "ImplicitDeny"
    assert evaluate(policy, "kms:Decrypt", KEY, {"aws:PrincipalArn": OTHER}) == "ImplicitDeny"
    assert evaluate(policy, "kms:Decrypt", KEY, {}) == "ImplicitDeny"  # ArnLike: key absent
    equals = _doc(_allow(Condition={"StringNotEquals": {"k": "x"}}))
    assert evaluate(equals, "kms:Decrypt", KEY, {"k": "x"}) == "ImplicitDeny"
    assert evaluate(equals, "kms:Decrypt", KEY, {"k": "y"}) == "Allow"


def test_a_key_policy_naming_the_principal_allows_without_an_identity_policy() -> None:
    key = _doc(_allow(Principal={"AWS": ROLE}))
    assert key_allows(key, [], ROLE, "kms:Decrypt", KEY)
    assert not key_allows(key, [], OTHER, "kms:Decrypt", KEY)
    assert not key_allows(key, [], ROLE, "kms:Encrypt", KEY)


def test_a_key_policy_naming_the_account_needs_an_identity_policy_too() -> None:
    key = _doc(_allow(Principal={"AWS": ROOT}))
    identity = _doc(_allow(Resource=KEY))
    assert not key_allows(key, [], ROLE, "kms:Decrypt", KEY)
    assert key_allows(key, [identity], ROLE, "kms:Decrypt", KEY)
    # the identity policy alone is not enough: the key policy must allow
    assert not key_allows(_doc(_allow("kms:Encrypt", Principal={"AWS": ROOT})), [identity],
                          ROLE, "kms:Decrypt", KEY)
    # another account's root delegates nothing to this account's roles
    foreign = _doc(_allow(Principal={"AWS": "arn:aws:iam::999999999999:root"}))
    assert not key_allows(foreign, [identity], ROLE, "kms:Decrypt", KEY)


def test_an_explicit_deny_in_either_policy_wins() -> None:
    key = _doc(_allow(Principal={"AWS": ROLE}))
    deny = _doc({"Effect": "Deny", "Action": "kms:*", "Resource": "*"})
    assert not key_allows(key, [deny], ROLE, "kms:Decrypt", KEY)
    denied_by_key = _doc(_allow(Principal={"AWS": ROLE}),
                         {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
                          "Resource": "*"})
    assert not key_allows(denied_by_key, [], ROLE, "kms:Decrypt", KEY)


def test_key_policy_conditions_see_the_principal_and_the_request() -> None:
    key = _doc(_allow(Principal={"AWS": ROOT}, Condition={
        "ArnEquals": {"aws:PrincipalArn": ROLE},
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}))
    identity = _doc(_allow(Resource=KEY))
    via_s3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert key_allows(key, [identity], ROLE, "kms:Decrypt", KEY, via_s3)
    assert not key_allows(key, [identity], ROLE, "kms:Decrypt", KEY)
    assert not key_allows(key, [identity], OTHER, "kms:Decrypt", KEY, via_s3)


def test_principals_in_identity_policies_and_none_in_key_policies_are_refused() -> None:
    with pytest.raises(ValueError):
        evaluate(_doc(_allow(Principal={"AWS": ROLE})), "kms:Decrypt", KEY)
    with pytest.raises(ValueError):
        key_allows(_doc(_allow()), [], ROLE, "kms:Decrypt", KEY)
