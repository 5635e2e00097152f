"""State, bucket and each stack's secrets use separate KMS keys with explicit key policies
(issue 31), evaluated with the kit's IAM evaluator (``support/iam_eval.key_allows``: a key
policy must allow, and where it names the account an identity policy must allow too).

The reference platform as service stacks with deploy roles, on the state bucket and key its
bootstrap plan prints: a service's deploy and push roles cannot decrypt the platform stack's
secrets nor read the platform's state objects (S3 and the state key), nor use another service's
key; a deploy role uses its own stack's key and its own state objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.deploy_plan import bootstrap_plan, platform_plan, role_policies, services
from support.iam_eval import evaluate, key_allows

from marketplace_kit.contract import keys
from marketplace_kit.contract.platform_outputs import OUTPUT
from marketplace_kit.plan.fakes import FAKE_ACCOUNT
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
REGION = "us-east-1"  # the reference platform's
DEPLOYER = f"arn:aws:iam::{FAKE_ACCOUNT}:user/planner"  # the identity the plan runs as
CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
          "kms:CreateGrant")
# The platform stack's objects in a DIY backend (its project is the platform's name).
PLATFORM_OBJECTS = ("stacks/marketplace/dev.json", "stacks/marketplace/dev.json.bak",
                    "history/marketplace/dev/dev-1700000000.history.json",
                    "history/marketplace/dev/dev-1700000000.checkpoint.json",
                    "backups/marketplace/dev/dev.1700000000.json",
                    "locks/marketplace/dev/x.json")


def _named(graph: ResourceGraph, type_: str, name: str) -> PlannedResource:
    (found,) = [r for r in graph.of_type(type_) if r.name == name]
    return found


def _policy(graph: ResourceGraph, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_named(graph, KEY, name).inputs["policy"])
    return loaded


def _roles(name: str) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """A service's deploy and push roles: ARN (as the contract gives it) and inline policies."""
    _, graph = platform_plan()
    contract = graph.outputs[OUTPUT]
    arns = {"deploy": contract["deploy_roles"][name], "push": contract["push_roles"][name]}
    return {kind: (arns[kind], role_policies(graph, _named(graph, "aws:iam/role:Role",
                                                           f"{name}-{kind}")))
            for kind in arns}


def _s3(object_arn: str) -> dict[str, str]:
    """What S3 sends KMS for an object (no bucket key: the object's ARN as context)."""
    return {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": FAKE_ACCOUNT,
            "kms:EncryptionContext:aws:s3:arn": object_arn}


def _principals(policy: dict[str, Any]) -> set[str]:
    return {p for s in policy["Statement"] for p in
            ([s["Principal"]["AWS"]] if isinstance(s["Principal"]["AWS"], str)
             else s["Principal"]["AWS"])}


def test_bootstrap_makes_a_state_key_and_a_platform_key_each_with_its_policy() -> None:
    graph = bootstrap_plan()
    aliases = {r.inputs["name"] for r in graph.of_type(ALIAS)}
    assert aliases == {keys.state_alias("marketplace"), keys.platform_alias("marketplace")}
    assert graph.outputs["secrets_provider"] == keys.secrets_provider(
        keys.platform_alias("marketplace"), REGION)
    sse = graph.of_type("aws:s3/bucketServerSideEncryptionConfiguration:"
                        "BucketServerSideEncryptionConfiguration")[0]
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == \
        graph.outputs["state_key_arn"] != graph.outputs["kms_key_arn"]
    assert rule["bucketKeyEnabled"] is False  # else S3 asks KMS with the bucket's ARN
    root = f"arn:aws:iam::{FAKE_ACCOUNT}:root"
    for name in ("marketplace-key", "marketplace-state-key"):
        key = _named(graph, KEY, name)
        assert key.inputs["enableKeyRotation"] is True
        statements = {s["Sid"]: s for s in _policy(graph, name)["Statement"]}
        administration = statements["KeyAdministration"]
        assert administration["Principal"] == {"AWS": root}
        assert not [a for a in administration["Action"]  # administer, never use
                    if evaluate({"Statement": [{"Effect": "Allow", "Action": a,
                                                "Resource": "*"}]}, "kms:Decrypt", "*")
                    == "Allow" or a in ("kms:*", "kms:Create*", "kms:CreateGrant")]
        assert statements["Deployers"]["Principal"] == {"AWS": [DEPLOYER]}


def test_a_platform_with_admins_lists_them_and_not_the_caller() -> None:
    from dataclasses import replace

    from support.marketplace import MARKETPLACE

    from marketplace_kit.bootstrap.program import plan_bootstrap
    from marketplace_kit.config import load_platform

    reference = load_platform(MARKETPLACE / "marketplace.yaml")
    admin = f"arn:aws:iam::{FAKE_ACCOUNT}:role/PlatformAdmins"
    cluster = reference.config.cluster.model_copy(update={"admin_principal_arns": [admin]})
    platform = replace(reference, config=reference.config.model_copy(update={
        "cluster": cluster}))
    graph = plan_bootstrap(platform)
    for name in ("marketplace-key", "marketplace-state-key"):
        deployers = next(s for s in _policy(graph, name)["Statement"]
                         if s["Sid"] == "Deployers")
        assert deployers["Principal"] == {"AWS": [admin]}


@pytest.mark.parametrize("name", services())
def test_no_service_role_can_use_the_platform_key(name: str) -> None:
    graph = bootstrap_plan()
    policy = _policy(graph, "marketplace-key")
    platform_key = graph.outputs["kms_key_arn"]
    wide_open = {"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    for kind, (arn, identity) in _roles(name).items():
        assert arn not in _principals(policy)
        for action in (*CRYPTO, "kms:PutKeyPolicy"):
            assert not key_allows(policy, identity, arn, action, platform_key), (kind, action)
        # even a role an IAM policy gave every kms action could not decrypt with it
        assert not key_allows(policy, [wide_open], arn, "kms:Decrypt", platform_key)
    assert key_allows(policy, [], DEPLOYER, "kms:Decrypt", platform_key)


@pytest.mark.parametrize("name", services())
def test_a_deploy_role_uses_its_own_stack_key_and_no_other(name: str) -> None:
    _, graph = platform_plan()
    (arn, identity), (push, push_identity) = _roles(name)["deploy"], _roles(name)["push"]
    own = next(s["Resource"] for p in identity for s in p["Statement"]
               if s["Sid"] == "StackSecrets")
    policy = _policy(graph, f"{name}-secrets")
    for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"):
        assert key_allows(policy, identity, arn, action, own), action
        assert not key_allows(policy, push_identity, push, action, own), action
    assert key_allows(policy, [], DEPLOYER, "kms:Decrypt", own)  # `deploy-service --all`
    assert _principals(policy) == {arn, DEPLOYER, f"arn:aws:iam::{FAKE_ACCOUNT}:root"}
    alias = _named(graph, ALIAS, f"{name}-secrets")
    assert alias.inputs["name"] == keys.service_alias("marketplace", name)
    for other in services():
        if other != name:
            theirs = _policy(graph, f"{other}-secrets")
            assert not key_allows(theirs, identity, arn, "kms:Decrypt",
                                  own.replace(f"/{name}-secrets", f"/{other}-secrets"))


@pytest.mark.parametrize("name", services())
def test_a_service_role_reads_its_own_state_objects_and_never_the_platform_s(
        name: str) -> None:
    graph = bootstrap_plan()
    policy = _policy(graph, "marketplace-state-key")
    key = graph.outputs["state_key_arn"]
    bucket = f"arn:aws:s3:::{graph.outputs['bucket']}/.pulumi"
    arn, identity = _roles(name)["deploy"]
    others = [o for o in services() if o != name]
    for obj in (f"stacks/marketplace-{name}/dev.json",
                f"history/marketplace-{name}/dev/dev-1.history.json", "meta.yaml"):
        for action in ("kms:Decrypt", "kms:GenerateDataKey"):
            assert key_allows(policy, identity, arn, action, key, _s3(f"{bucket}/{obj}")), obj
            assert any(evaluate(p, "s3:GetObject", f"{bucket}/{obj}") == "Allow"
                       for p in identity)
        assert not key_allows(policy, identity, arn, "kms:Decrypt", key)  # only through S3
    for kind, (role, role_identity) in _roles(name).items():
        for obj in (*PLATFORM_OBJECTS, f"stacks/marketplace-{others[0]}/dev.json"):
            target = f"{bucket}/{obj}"
            assert not key_allows(policy, role_identity, role, "kms:Decrypt", key,
                                  _s3(target)), (kind, obj)
            assert all(evaluate(p, "s3:GetObject", target) != "Allow"
                       for p in role_identity), (kind, obj)
    for obj in PLATFORM_OBJECTS:  # the key policy alone refuses the platform's objects
        wide = [{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]
        assert not key_allows(policy, wide, arn, "kms:Decrypt", key, _s3(f"{bucket}/{obj}"))
        assert key_allows(policy, [], DEPLOYER, "kms:Decrypt", key, _s3(f"{bucket}/{obj}"))
