"""Each service's image repository and who may push to it (issue 31), under the SDK mocks.

The image job's OIDC subject is computed from the reference service's real workflow file;
every role of the platform plan that subject may assume (trust policies read by the kit's IAM
evaluator) is evaluated against every repository of the platform: its own only. AWS itself
cannot run here (pulumi-aws's provider cannot be built from the registries).
"""

from __future__ import annotations

import json

import pytest
from support.deploy_plan import (
    job_claims,
    platform_plan,
    role_policies,
    roles_for,
    services,
    workflow,
)
from support.iam_eval import evaluate

from marketplace_kit.contract import ci
from marketplace_kit.contract.platform_outputs import OUTPUT, PlatformOutputs
from marketplace_kit.plan.fakes import FAKE_ACCOUNT
from marketplace_kit.platform.image_push import PUSH_ACTIONS

REPOSITORY = "aws:ecr/repository:Repository"


def _contract() -> PlatformOutputs:
    _, graph = platform_plan()
    return PlatformOutputs.from_json(graph.outputs[OUTPUT], "plan")


def _repository_arn(name: str) -> str:
    platform, _ = platform_plan()
    return f"arn:aws:ecr:{platform.config.region}:{FAKE_ACCOUNT}:repository/{name}"


def _allowed(policies: list[dict[str, object]], action: str, resource: str) -> bool:
    decisions = [evaluate(p, action, resource) for p in policies]  # type: ignore[arg-type]
    return "Allow" in decisions and "Deny" not in decisions


@pytest.mark.parametrize("name", services())
def test_the_image_job_s_token_can_push_only_its_repository(name: str) -> None:
    _, graph = platform_plan()
    roles = roles_for(graph, job_claims(name, "image"))
    assert [r.name for r in roles] == [f"{name}-push"]  # the push role, and no other
    policies = role_policies(graph, roles[0])
    own = _repository_arn(_contract().image_repositories[name])
    for action in PUSH_ACTIONS:
        assert _allowed(policies, action, own), action
        for other, repository in _contract().image_repositories.items():
            if other != name:
                assert not _allowed(policies, action, _repository_arn(repository)), other
        assert not _allowed(policies, action, _repository_arn("someone-else/app"))
    assert _allowed(policies, "ecr:GetAuthorizationToken", "*")  # login: no resource in AWS
    for action, resource in (("ecr:DeleteRepository", own), ("ecr:SetRepositoryPolicy", own),
                             ("ecr:PutLifecyclePolicy", own), ("s3:GetObject", "*"),
                             ("kms:Decrypt", "*"), ("eks:DescribeCluster", "*"),
                             ("iam:PassRole", "*"), ("sts:AssumeRole", "*")):
        assert not _allowed(policies, action, resource), action


@pytest.mark.parametrize("name", services())
def test_the_deploy_job_s_token_assumes_only_the_deploy_role_which_cannot_push(
    name: str,
) -> None:
    _, graph = platform_plan()
    roles = roles_for(graph, job_claims(name, "deploy"))
    assert [r.name for r in roles] == [f"{name}-deploy"]
    own = _repository_arn(_contract().image_repositories[name])
    assert not _allowed(role_policies(graph, roles[0]), "ecr:PutImage", own)


def test_a_job_outside_the_trusted_environments_assumes_nothing() -> None:
    """The old image job (no environment: the subject of a push to main) and a job in another
    environment are trusted by no role."""
    _, graph = platform_plan()
    claims = job_claims("order", "test")  # no environment
    assert claims[next(iter(claims))].endswith(":ref:refs/heads/main")
    assert roles_for(graph, claims) == []
    staging = {k: v.replace(f":environment:{ci.DEPLOY_ENVIRONMENT}", ":environment:staging")
               for k, v in job_claims("order", "deploy").items()}
    assert roles_for(graph, staging) == []


def test_each_service_has_a_scanned_immutable_repository_with_a_lifecycle() -> None:
    _, graph = platform_plan()
    repositories = {r.inputs["name"]: r for r in graph.of_type(REPOSITORY)}
    assert sorted(repositories) == sorted(_contract().image_repositories.values())
    assert sorted(_contract().image_repositories) == services()
    for repository in repositories.values():
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
    lifecycles = graph.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(lifecycles) == len(repositories)
    for lifecycle in lifecycles:
        rules = json.loads(lifecycle.inputs["policy"])["rules"]
        assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]
        assert all(r["action"] == {"type": "expire"} for r in rules)
    assert sorted(_contract().push_roles) == services()


def test_the_image_job_pushes_with_the_push_role_to_the_contract_s_repository() -> None:
    """The workflow reads the repository variables the contract's values go into."""
    job = workflow("order")["jobs"]["image"]
    assert job["environment"] == ci.IMAGE_ENVIRONMENT
    login = next(s for s in job["steps"]
                 if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert login["with"]["role-to-assume"] == f"${{{{ vars.{ci.PUSH_ROLE_VARIABLE} }}}}"
    push = next(s for s in job["steps"] if s.get("id") == "push")
    assert push["env"]["REPOSITORY"] == f"${{{{ vars.{ci.REPOSITORY_VARIABLE} }}}}"
    assert '"$REGISTRY/$REPOSITORY:$TAG"' in push["run"]
    deploy = workflow("order")["jobs"]["deploy"]
    assert deploy["environment"] == ci.DEPLOY_ENVIRONMENT
