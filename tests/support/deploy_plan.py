"""The reference marketplace as service stacks with deploy access, planned once per session,
and what a GitHub job's OIDC token may do against that plan."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.blueprints.service_plan import plan_service
from marketplace_kit.bootstrap.program import CONFIG_OUTPUTS, plan_bootstrap
from marketplace_kit.config import DeployAccessConfig, Platform, load_platform
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from support.iam_eval import assumable
from support.kube_access import Subject
from support.marketplace import MARKETPLACE

ACCESS = DeployAccessConfig(github_owner="acme", repository_prefix="svc-")
ISSUER = "token.actions.githubusercontent.com"  # GitHub's OIDC issuer (its docs' claim prefix)
ROLE = "aws:iam/role:Role"
INLINE = "aws:iam/rolePolicy:RolePolicy"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
# What pulumi-kubernetes 4.x's awaiters list and watch in the object's namespace
# (provider/pkg/await: deployment.go, service.go, the event aggregator, and the informer a
# delete of any kind opens): read from upstream, stated here independently of the kit's list.
AWAITERS = {("apps", "deployments"), ("apps", "replicasets"), ("", "pods"), ("", "services"),
            ("", "endpoints"), ("", "persistentvolumeclaims"), ("", "events")}


@cache
def bootstrap_plan() -> ResourceGraph:
    """The reference platform's bootstrap stack (state bucket and keys), planned."""
    return plan_bootstrap(load_platform(MARKETPLACE / "marketplace.yaml"))


@cache
def platform_plan() -> tuple[Platform, ResourceGraph]:
    """The reference platform with ``service_stacks``, ``ACCESS`` and the state bucket and key
    bootstrap's plan prints for ``deploy_access`` (the docs' order), and its plan."""
    reference = load_platform(MARKETPLACE / "marketplace.yaml")
    outputs = bootstrap_plan().outputs
    access = ACCESS.model_copy(update={key.removeprefix("deploy_access."): outputs[output]
                                       for output, key in CONFIG_OUTPUTS.items()})
    config = reference.config.model_copy(update={"service_stacks": True,
                                                 "deploy_access": access})
    platform = replace(reference, config=config)
    return platform, plan_platform(platform)


@cache
def service_graph(name: str) -> ResourceGraph:
    """One reference service's own stack, planned on ``platform_plan``'s contract."""
    platform, graph = platform_plan()
    spec = next(s for s in platform.services if s.name == name)
    return plan_service(platform, spec, graph)


def deploy_identity(name: str) -> Subject:
    """The Kubernetes user and groups a service's deploy role signs in as, from its planned
    EKS access entry: the role's principal (RBAC binds no user, so its exact session name does
    not matter) and the entry's ``kubernetesGroups``."""
    _, graph = platform_plan()
    (entry,) = [r.inputs for r in graph.of_type(ACCESS_ENTRY) if r.name == f"{name}-deploy"]
    return Subject(str(entry["principalArn"]), tuple(entry["kubernetesGroups"]))


def services() -> list[str]:
    """The reference services' names."""
    return sorted(p.name for p in (MARKETPLACE / "services").iterdir()
                  if (p / "service.yaml").is_file())


def workflow(service: str) -> dict[str, Any]:
    """A reference service's generated workflow (its real copy)."""
    path = MARKETPLACE / "services" / service / ".github" / "workflows" / "ci.yml"
    loaded: dict[str, Any] = yaml.safe_load(Path(path).read_text())
    return loaded


def job_claims(service: str, job: str) -> dict[str, str]:
    """The claims GitHub puts in a job's OIDC token for a push to main (GitHub's documented
    ``sub`` formats): ``repo:<repo>:environment:<env>`` in an environment, else the ref."""
    repository = f"{ACCESS.github_owner}/{ACCESS.repository_prefix}{service}"
    environment = workflow(service)["jobs"][job].get("environment")
    if isinstance(environment, dict):
        environment = environment["name"]
    sub = (f"repo:{repository}:environment:{environment}" if environment
           else f"repo:{repository}:ref:refs/heads/main")
    return {f"{ISSUER}:sub": sub, f"{ISSUER}:aud": "sts.amazonaws.com"}


def github_provider(graph: ResourceGraph) -> str:
    """The ARN of the GitHub OIDC provider the roles trust (one per account): the federated
    principal of every trust that tests GitHub's claims."""
    found = {s["Principal"]["Federated"] for r in graph.of_type(ROLE)
             for s in json.loads(r.inputs["assumeRolePolicy"])["Statement"]
             if any(k.startswith(ISSUER) for test in s.get("Condition", {}).values()
                    for k in test)}
    (arn,) = found
    return str(arn)


def roles_for(graph: ResourceGraph, claims: dict[str, str]) -> list[PlannedResource]:
    """Every role of the plan a token with ``claims`` may assume."""
    provider = github_provider(graph)
    return [r for r in graph.of_type(ROLE)
            if assumable(r.inputs["assumeRolePolicy"], provider, claims)]


def role_policies(graph: ResourceGraph, role: PlannedResource) -> list[dict[str, Any]]:
    """A role's inline policies; it must have no managed policy attached (a policy or an
    attachment depends on its role)."""
    assert not [a for a in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if role.urn in a.dependencies], "managed policies: evaluate them"
    return [json.loads(p.inputs["policy"]) for p in graph.of_type(INLINE)
            if role.urn in p.dependencies]
