"""The KMS keys the kit plans, made in moto's KMS (`.ci/parts/moto.sh`) the way pulumi-aws calls
it (issue 31): bootstrap's state and platform keys, each reference service's secrets key, the EKS
cluster's Secrets key and the data stores' key, each created with exactly its planned key policy
(``CreateKey`` with ``Policy``) and given its planned alias where it has one (``CreateAlias``),
then read back (``GetKeyPolicy``, ``DescribeKey`` by alias, else by id).

What moto 5.2 checks, and what it does not:
- ``CreateAlias``: the name starts with ``alias/``, is none of AWS's reserved aliases, holds only
  letters, digits, ``/``, ``_`` and ``-`` (``:`` refused), is unique in the account and region,
  and names a key (not an alias). Checked, and shown to refuse below.
- ``CreateKey``/``GetKeyPolicy``: the policy is stored as the string sent. moto neither parses
  it nor checks its size, its principals or AWS's lockout safety check; it evaluates only Deny
  statements, for DescribeKey. So this shows the planned documents reach KMS intact and the key
  the printed secrets provider names is the one with the platform key's policy; what the
  policies allow is the kit's IAM evaluator's part (tests/test_stack_keys.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support.deploy_plan import bootstrap_plan, platform_plan
from support.moto_server import MotoServer, kms

from marketplace_kit.contract import keys
from marketplace_kit.plan.graph import ResourceGraph

KEY, ALIAS = "aws:kms/key:Key", "aws:kms/alias:Alias"


@dataclass(frozen=True)
class PlannedKey:
    name: str  # the key's resource name in its plan
    alias: str | None  # the keys AWS services encrypt with have none
    policy: str


def _planned(graph: ResourceGraph) -> list[PlannedKey]:
    """The plan's keys, each with its policy (every key has one) and its alias, if any (the
    alias resource is named as its key, or ``<key>-alias``: the plan cannot show the key id it
    targets)."""
    policies = {r.name: r.inputs.get("policy") for r in graph.of_type(KEY)}
    assert None not in policies.values(), policies  # no key on AWS's default key policy
    aliases = {r.name.removesuffix("-alias"): r.inputs["name"] for r in graph.of_type(ALIAS)}
    assert set(aliases) <= set(policies), (sorted(policies), sorted(aliases))
    return [PlannedKey(name, aliases.get(name), str(policy))
            for name, policy in sorted(policies.items())]


def _every_planned_key() -> list[PlannedKey]:
    return [*_planned(bootstrap_plan()), *_planned(platform_plan()[1])]


def _call(http: httpx.Client, action: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = kms(http, action, body)
    assert answer.status_code == 200, (action, answer.text[:500])
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture(scope="module")
def made(moto: MotoServer) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """moto's KMS with every planned key created and aliased: the client, and key id by alias
    (by resource name for a key without one)."""
    with moto.client() as http:
        ids = {}
        for key in _every_planned_key():
            created = _call(http, "CreateKey", {"Policy": key.policy, "Description": key.name})
            ids[key.alias or key.name] = created["KeyMetadata"]["KeyId"]
            if key.alias:
                _call(http, "CreateAlias", {"AliasName": key.alias,
                                            "TargetKeyId": ids[key.alias]})
        yield http, ids


def test_every_planned_key_policy_is_read_back_as_planned(
    made: tuple[httpx.Client, dict[str, str]],
) -> None:
    http, ids = made
    planned = _every_planned_key()
    # state, platform, per service; the cluster's and the data stores' (no alias)
    assert len(planned) == 2 + len(platform_plan()[0].services) + 2
    assert {k.name for k in planned if k.alias is None} == {"marketplace-secrets",
                                                             "datastores-key"}
    for key in planned:
        document = json.loads(key.policy)
        assert document["Version"] == "2012-10-17" and document["Statement"], key.name
        key_id = ids[key.alias or key.name]
        answer = _call(http, "GetKeyPolicy", {"KeyId": key_id, "PolicyName": "default"})
        assert answer["Policy"] == key.policy, key.name
        described = _call(http, "DescribeKey", {"KeyId": key.alias or key_id})["KeyMetadata"]
        assert described["KeyId"] == key_id
        assert described["Description"] == key.name


def test_every_planned_alias_is_a_kms_alias_of_its_key(
    made: tuple[httpx.Client, dict[str, str]],
) -> None:
    http, ids = made
    listed = {a["AliasName"]: a.get("TargetKeyId")
              for a in _call(http, "ListAliases", {})["Aliases"]}
    aliased = {alias: key_id for alias, key_id in ids.items() if alias.startswith("alias/")}
    for alias, key_id in aliased.items():
        assert listed[alias] == key_id, alias
    platform, _ = platform_plan()
    name = platform.config.name
    assert {keys.state_alias(name), keys.platform_alias(name),
            *(keys.service_alias(name, s.name) for s in platform.services)} == set(aliased)


def test_the_printed_secrets_provider_names_the_platform_key(
    made: tuple[httpx.Client, dict[str, str]],
) -> None:
    """bootstrap prints the platform stack's secrets provider; the alias in it resolves, in
    KMS, to the key made with the platform key's policy (no service role named in it)."""
    http, ids = made
    parsed = keys.provider_alias(bootstrap_plan().outputs["secrets_provider"])
    assert parsed is not None
    alias, _ = parsed
    key_id = _call(http, "DescribeKey", {"KeyId": alias})["KeyMetadata"]["KeyId"]
    (platform_key,) = [k for k in _planned(bootstrap_plan()) if k.alias == alias]
    policy = _call(http, "GetKeyPolicy", {"KeyId": key_id, "PolicyName": "default"})["Policy"]
    assert policy == platform_key.policy
    assert "-deploy" not in policy and "-push" not in policy
    assert key_id == ids[alias] != ids[keys.state_alias(platform_plan()[0].config.name)]


@pytest.mark.parametrize(("alias", "error"), [
    ("alias/marketplace:order-secrets", "ValidationException"),  # ':' is refused
    ("alias/marketplace.order", "ValidationException"),  # so is '.'
    ("marketplace-order-secrets", "ValidationException"),  # no alias/ prefix
    ("alias/aws/ebs", "NotAuthorizedException"),  # AWS's own
    (keys.service_alias("marketplace", "order"), "AlreadyExistsException"),  # made above
])
def test_moto_refuses_an_alias_kms_refuses(
    alias: str, error: str, made: tuple[httpx.Client, dict[str, str]],
) -> None:
    """What the check above would catch: the names KMS refuses, moto refuses."""
    http, ids = made
    answer = kms(http, "CreateAlias", {"AliasName": alias, "TargetKeyId": next(iter(ids.values()))})
    assert answer.status_code == 400, (alias, answer.text)
    assert answer.json()["__type"] == error, answer.text
