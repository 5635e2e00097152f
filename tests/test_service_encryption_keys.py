"""The keys AWS services encrypt with have explicit key policies (issue 31): the EKS cluster's
Secrets key and the data stores' key (RDS storage, snapshots, Performance Insights, DocumentDB),
evaluated with the kit's IAM evaluator (``support/iam_eval.key_allows``) on the reference
platform's plan.

The account administers them and never uses them directly; use goes through the service
(``kms:ViaService`` and ``kms:CallerAccount``), to the deployers, and for the cluster key to the
cluster role. No service's deploy, push or IRSA role can use either key, even with every kms
action in its IAM policy; the data stores' key stays usable through RDS by any principal of the
account its IAM allows, so a retained snapshot can be restored after the deployers change."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from support.deploy_plan import platform_plan, role_policies, service_graph, services
from support.iam_eval import assumable, evaluate, key_allows
from support.incluster import fake_foundation, plan

from marketplace_kit.contract.platform_outputs import OUTPUT
from marketplace_kit.plan.fakes import FAKE_ACCOUNT, fake_arn
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.platform.datastores import DatabaseClient, Datastores, DatastoresArgs

KEY, ROLE = "aws:kms/key:Key", "aws:iam/role:Role"
REGION = "us-east-1"  # the reference platform's
DEPLOYER = f"arn:aws:iam::{FAKE_ACCOUNT}:user/planner"  # the identity the plan runs as
ROOT = f"arn:aws:iam::{FAKE_ACCOUNT}:root"
OPERATOR = f"arn:aws:iam::{FAKE_ACCOUNT}:role/Operator"  # in no key policy; IAM allows kms:*
WIDE_OPEN: list[str | dict[str, Any]] = [
    {"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]
CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:CreateGrant")
# key resource name -> the service that encrypts with it
KEYS = {"marketplace-secrets": "eks", "datastores-key": "rds"}
CLUSTER_ROLE = fake_arn(ROLE, "marketplace-cluster", REGION)


def _resource(graph: ResourceGraph, type_: str, name: str) -> PlannedResource:
    (found,) = [r for r in graph.of_type(type_) if r.name == name]
    return found


def _policy(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_resource(platform_plan()[1], KEY, name).inputs["policy"])
    return loaded


def _key_arn(name: str) -> str:
    return f"arn:aws:kms:{REGION}:{FAKE_ACCOUNT}:key/{name}"


def _via(service: str, account: str = FAKE_ACCOUNT) -> dict[str, str]:
    """What KMS sees when ``service`` calls it for a principal of ``account``."""
    return {"kms:ViaService": f"{service}.{REGION}.amazonaws.com", "kms:CallerAccount": account}


def _service_roles(name: str) -> dict[str, tuple[str, list[str | dict[str, Any]]]]:
    """A service's deploy and push roles (platform stack) and its IRSA role (its own stack):
    ARN and inline policies."""
    _, graph = platform_plan()
    contract = graph.outputs[OUTPUT]
    roles: dict[str, tuple[str, list[str | dict[str, Any]]]] = {}
    for kind, arn in (("deploy", contract["deploy_roles"][name]),
                      ("push", contract["push_roles"][name])):
        roles[kind] = (arn, list(role_policies(graph, _resource(graph, ROLE, f"{name}-{kind}"))))
    own = service_graph(name)
    (irsa,) = own.of_type(ROLE)
    roles["irsa"] = (fake_arn(ROLE, irsa.name, REGION), list(role_policies(own, irsa)))
    return roles


@pytest.mark.parametrize(("name", "service"), KEYS.items())
def test_each_key_is_administered_by_the_account_and_used_through_its_service(
        name: str, service: str) -> None:
    policy = _policy(name)
    statements = {s["Sid"]: s for s in policy["Statement"]}
    administration = statements["KeyAdministration"]
    assert administration["Principal"] == {"AWS": ROOT}
    assert not [a for a in administration["Action"]  # administer, never use
                if evaluate({"Statement": [{"Effect": "Allow", "Action": a, "Resource": "*"}]},
                            "kms:Decrypt", "*") == "Allow"
                or a in ("kms:*", "kms:Create*", "kms:CreateGrant")]
    assert statements["Deployers"]["Principal"] == {"AWS": [DEPLOYER]}
    via = statements[f"Via{service.upper()}"]
    assert via["Principal"] == {"AWS": ROOT}
    assert via["Condition"] == {"StringEquals": {
        "kms:ViaService": f"{service}.{REGION}.amazonaws.com", "kms:CallerAccount": FAKE_ACCOUNT}}
    assert _resource(platform_plan()[1], KEY, name).inputs["enableKeyRotation"] is True


@pytest.mark.parametrize(("name", "service"), KEYS.items())
def test_the_account_uses_a_key_through_its_service_only(name: str, service: str) -> None:
    """RDS (or EKS) acting for a principal whose IAM allows it may create grants and use the
    key; the same principal calling KMS directly, through another service or for another
    account may not; without an IAM allow, nobody unnamed may. (DescribeKey and ListGrants
    are also administration, which the account's IAM decides.)"""
    policy, key = _policy(name), _key_arn(name)
    other_service = next(s for s in KEYS.values() if s != service)
    for action in (*CRYPTO, "kms:ReEncryptTo", "kms:DescribeKey", "kms:ListGrants"):
        assert key_allows(policy, WIDE_OPEN, OPERATOR, action, key, _via(service)), action
        assert key_allows(policy, WIDE_OPEN, DEPLOYER, action, key, _via(service)), action
    for action in (*CRYPTO, "kms:ReEncryptTo"):
        assert not key_allows(policy, [], OPERATOR, action, key, _via(service)), action
        for context in ({}, _via("s3"), _via(other_service), _via(service, "210987654321")):
            assert not key_allows(policy, WIDE_OPEN, OPERATOR, action, key, context), \
                (action, context)


@pytest.mark.parametrize("name", services())
def test_no_service_role_can_use_either_key(name: str) -> None:
    for kind, (arn, identity) in _service_roles(name).items():
        for key_name, service in KEYS.items():
            policy, key = _policy(key_name), _key_arn(key_name)
            assert arn not in json.dumps(policy), (kind, key_name)
            for action in (*CRYPTO, "kms:PutKeyPolicy"):
                assert not key_allows(policy, identity, arn, action, key), (kind, action)
                assert not key_allows(policy, identity, arn, action, key, _via(service)), \
                    (kind, action)
            # even every kms action in its IAM policy gives it no direct use
            for action in CRYPTO:
                assert not key_allows(policy, WIDE_OPEN, arn, action, key), (kind, action)


def test_the_db_bootstrap_role_cannot_use_the_data_stores_key() -> None:
    """The IRSA role next to the database reads its master secret and nothing of the key."""
    _, graph = platform_plan()
    role = _resource(graph, ROLE, "db-bootstrap-role")
    arn, identity = fake_arn(ROLE, role.name, REGION), role_policies(graph, role)
    policy, key = _policy("datastores-key"), _key_arn("datastores-key")
    for action in CRYPTO:
        assert not key_allows(policy, list(identity), arn, action, key, _via("rds"))
        assert not key_allows(policy, WIDE_OPEN, arn, action, key)


def test_the_cluster_role_uses_the_cluster_key_and_only_eks_assumes_it() -> None:
    _, graph = platform_plan()
    policy, key = _policy("marketplace-secrets"), _key_arn("marketplace-secrets")
    for action in ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants"):
        assert key_allows(policy, [], CLUSTER_ROLE, action, key), action
    for action in ("kms:CreateGrant", "kms:ReEncryptFrom", "kms:PutKeyPolicy"):
        assert not key_allows(policy, [], CLUSTER_ROLE, action, key), action
    assert CLUSTER_ROLE not in json.dumps(_policy("datastores-key"))
    trust = json.loads(_resource(graph, ROLE, "marketplace-cluster").inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "eks.amazonaws.com"}]
    assert not assumable(trust, "arn:aws:iam::1:oidc-provider/x", {})


def test_the_retained_data_stores_key_stays_usable_through_rds() -> None:
    """Production keeps the key on destroy (its final snapshots are encrypted with it), and its
    policy lets any principal of the account that IAM allows restore them through RDS, whoever
    the deployers were: the statement RDS uses names the account, no deployer."""
    def body() -> None:
        foundation = fake_foundation("aws")
        Datastores("datastores", DatastoresArgs(
            foundation=foundation, namespace="shop", clients=[DatabaseClient("order", "postgres")],
            production=True, performance_insights=True, deployers=[DEPLOYER]),
            pulumi.ResourceOptions(providers=[foundation.provider]))

    graph = plan(body)
    (key,) = graph.of_type(KEY)
    assert key.retain_on_delete is True
    (rds,) = graph.of_type("aws:rds/instance:Instance")
    assert rds.inputs["kmsKeyId"] == rds.inputs["performanceInsightsKmsKeyId"]
    policy = json.loads(key.inputs["policy"])
    assert policy == _policy("datastores-key")  # the reference platform's, for its deployer
    (via,) = [s for s in policy["Statement"] if s["Sid"] == "ViaRDS"]
    assert via["Principal"] == {"AWS": ROOT}
    restorer = f"arn:aws:iam::{FAKE_ACCOUNT}:role/NextYearsAdmins"
    for action in ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt"):
        assert key_allows(policy, WIDE_OPEN, restorer, action, _key_arn("datastores-key"),
                          _via("rds"))
