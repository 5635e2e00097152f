"""Least-privilege deploy roles per service (issue 23), under the SDK mocks.

The reference marketplace as service stacks with ``deploy_access`` planned once; every
reference service's own stack planned from it. Each service's deploy identity (GitHub OIDC
role -> EKS access entry -> Kubernetes group) is checked against the objects its stack really
registers: its Role (RBAC evaluated here) and its ValidatingAdmissionPolicy (the CEL rules
evaluated by cel-python) allow every one of its own objects and deny every other service's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from typing import Any

import celpy
import pytest
import yaml
from support.deploy_plan import (
    AWAITERS,
    bootstrap_plan,
    platform_plan,
    service_graph,
    services,
)
from support.iam_eval import effective, evaluate
from support.incluster import kube_object, validate
from support.marketplace import MARKETPLACE

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import DeployAccessConfig, load_platform
from marketplace_kit.contract import platform_outputs
from marketplace_kit.contract.platform_outputs import OUTPUT, PlatformOutputs
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform.deploy_access import GITHUB_ISSUER, deploy_group
from marketplace_kit.platform.waits import ENDPOINTS, ROLLOUT, SKIP_AWAIT, WAITS, wait_line

REFERENCE = MARKETPLACE
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
_platform, _service_graph, _services = platform_plan, service_graph, services
BUCKET = f"arn:aws:s3:::{bootstrap_plan().outputs['bucket']}"
STATE_KEY = bootstrap_plan().outputs["state_key_arn"]


@cache
def _service_objects(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(o for r in _service_graph(name) if (o := kube_object(r)))


def _one(graph: ResourceGraph, type_: str, name: str) -> dict[str, Any]:
    (found,) = [r.inputs for r in graph if r.type == type_ and r.name == name]
    return found


def _resource(obj: dict[str, Any]) -> tuple[str, str]:
    """(API group, resource) of an object, as RBAC and admission name it."""
    api, kind = obj["apiVersion"], obj["kind"].lower()
    plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    return (api.split("/")[0] if "/" in api else ""), plural


def _rbac_allows(rules: list[dict[str, Any]], group: str, resource: str, verb: str,
                 name: str) -> bool:
    """RBAC's own rule: some rule names the group, resource and verb, and (if it lists
    resourceNames) the name."""
    return any(group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"]
               and ("resourceNames" not in r or name in r["resourceNames"]) for r in rules)


def _admits(policy: dict[str, Any], user_group: str, operation: str,
            obj: dict[str, Any]) -> bool:
    """The ValidatingAdmissionPolicy's answer: not matched (another group), or every
    validation true. CEL evaluated by cel-python, as the API server would with this request."""
    group, resource = _resource(obj)
    request = {"name": obj["metadata"]["name"], "operation": operation,
               "namespace": obj["metadata"].get("namespace", ""),
               "resource": {"group": group, "resource": resource},
               "userInfo": {"groups": [user_group, "system:authenticated"]}}
    env = celpy.Environment()
    activation = {"request": celpy.json_to_cel(request),
                  "object": celpy.json_to_cel(None if operation == "DELETE" else obj)}
    rules = policy["spec"]["matchConstraints"]["resourceRules"][0]
    assert group in rules["apiGroups"] and resource in rules["resources"], (group, resource)
    for condition in policy["spec"]["matchConditions"]:
        if not env.program(env.compile(condition["expression"])).evaluate(activation):
            return True
    return all(bool(env.program(env.compile(v["expression"])).evaluate(activation))
               for v in policy["spec"]["validations"])


def test_each_role_trusts_only_its_repository_in_the_deploy_environment() -> None:
    _, graph = _platform()
    for name in _services():
        trust = json.loads(_one(graph, "aws:iam/role:Role", f"{name}-deploy")["assumeRolePolicy"])
        (statement,) = trust["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {"StringEquals": {
            f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
            f"{GITHUB_ISSUER}:sub": f"repo:acme/svc-{name}:environment:production"}}
        entry = _one(graph, "aws:eks/accessEntry:AccessEntry", f"{name}-deploy")
        assert entry["kubernetesGroups"] == [deploy_group(name)]
        assert not [r for r in graph if r.type == "aws:eks/accessPolicyAssociation:"
                    "AccessPolicyAssociation" and name in r.name]  # no cluster-wide policy


def test_each_role_may_touch_only_its_own_service_role_and_state() -> None:
    _, graph = _platform()
    for name in _services():
        policy = json.loads(_one(graph, "aws:iam/rolePolicy:RolePolicy", f"{name}-deploy")
                            ["policy"])
        by_sid = {s["Sid"]: s for s in policy["Statement"]}
        assert by_sid["OwnServiceRole"]["Resource"].endswith(f":role/{name}-role-*")
        assert not any(a.startswith(("iam:Attach", "iam:PassRole", "iam:CreatePolicy"))
                       for a in by_sid["OwnServiceRole"]["Action"])
        assert by_sid["OwnState"]["Resource"] == f"{BUCKET}/.pulumi/*/marketplace-{name}/*"
        assert by_sid["BackendMeta"]["Resource"] == f"{BUCKET}/.pulumi/meta.yaml"
        assert by_sid["OwnStateObjectsKey"]["Resource"] == STATE_KEY
        assert by_sid["StackSecrets"]["Resource"].endswith(f":key/{name}-secrets")


def test_the_contract_names_every_deploy_role() -> None:
    _, graph = _platform()
    contract = PlatformOutputs.from_json(graph.outputs[OUTPUT], "plan")
    assert sorted(contract.deploy_roles) == _services()
    assert contract.deploy_roles["order"].endswith(":role/order-deploy")


def test_the_access_objects_are_valid_kubernetes_objects() -> None:
    _, graph = _platform()
    objects = [o for r in graph if r.name.startswith("deploy-") and (o := kube_object(r))]
    assert {o["kind"] for o in objects} == {"Role", "RoleBinding", "ValidatingAdmissionPolicy",
                                            "ValidatingAdmissionPolicyBinding"}
    for obj in objects:
        validate(obj)


@pytest.mark.parametrize("name", _services())
def test_a_deploy_role_reaches_its_own_objects_and_no_other_service_s(name: str) -> None:
    _, graph = _platform()
    role = kube_object(next(r for r in graph if r.type == ROLE and r.name == f"deploy-{name}"))
    policy = kube_object(next(r for r in graph if r.type == POLICY and r.name == f"deploy-{name}"))
    assert role is not None and policy is not None
    namespace, group = role["metadata"]["namespace"], deploy_group(name)
    own = _service_objects(name)
    assert own
    for obj in own:
        kind, resource = _resource(obj)
        object_name = obj["metadata"]["name"]
        assert obj["metadata"]["namespace"] == namespace  # the Role's one namespace
        for verb in ("create", "get", "patch", "update", "delete"):
            assert _rbac_allows(role["rules"], kind, resource, verb, object_name), (obj, verb)
        for operation in ("CREATE", "UPDATE", "DELETE"):
            assert _admits(policy, group, operation, obj), (obj["kind"], object_name, operation)
    for other in _services():
        if other == name:
            continue
        for obj in _service_objects(other):
            kind, resource = _resource(obj)
            object_name = obj["metadata"]["name"]
            assert not _rbac_allows(role["rules"], kind, resource, "patch", object_name)
            assert not _rbac_allows(role["rules"], kind, resource, "delete", object_name)
            # create is not restricted by RBAC: the admission policy denies it
            assert not _admits(policy, group, "CREATE", obj), (obj["kind"], object_name)
            assert not _admits(policy, group, "DELETE", obj), (obj["kind"], object_name)
            # and another service's own deploy group is not this policy's concern
            assert _admits(policy, deploy_group(other), "CREATE", obj)
    # Secrets: only its own, by name (no list or watch, no unrestricted get)
    assert all("resourceNames" in r or r["verbs"] == ["create"] for r in role["rules"]
               if "secrets" in r["resources"])


def _rbac_allows_all(rules: list[dict[str, Any]], group: str, resource: str,
                     verb: str) -> bool:
    """Some rule grants the verb on every object of the kind (no resourceNames)."""
    return any(({group, "*"} & set(r["apiGroups"])) and ({resource, "*"} & set(r["resources"]))
               and ({verb, "*"} & set(r["verbs"])) and "resourceNames" not in r for r in rules)


@pytest.mark.parametrize("name", _services())
def test_a_deploy_role_lists_and_watches_what_the_awaiters_watch_and_reads_no_secret(
    name: str,
) -> None:
    _, graph = _platform()
    role = kube_object(next(r for r in graph if r.type == ROLE and r.name == f"deploy-{name}"))
    assert role is not None
    rules = role["rules"]
    for group, resource in AWAITERS:
        for verb in ("list", "watch", "get"):
            assert _rbac_allows_all(rules, group, resource, verb), (group, resource, verb)
    for obj in _service_objects(name):  # a delete waits on an informer of the object's kind
        group, resource = _resource(obj)
        if resource == "secrets":  # never listed: its own Secrets are not awaited
            assert obj["metadata"]["annotations"] == SKIP_AWAIT, obj["metadata"]["name"]
            continue
        for verb in ("list", "watch"):
            assert _rbac_allows_all(rules, group, resource, verb), (group, resource, verb)
    for verb in ("get", "list", "watch"):
        assert not _rbac_allows_all(rules, "", "secrets", verb), verb
    for verb in ("get", "list", "watch"):
        for secret in ("payment-db", "user-signing-keys", "notification-vapid", "order"):
            if not secret.startswith(name):
                assert not _rbac_allows(rules, "", "secrets", verb, secret), (verb, secret)


@pytest.mark.parametrize("name", _services())
def test_every_wait_of_a_service_deploy_is_bounded(name: str) -> None:
    """The awaited kinds carry customTimeouts (what the provider honours) and the line
    deploy-service prints names each wait and its bound."""
    bounded = {w.kind: w for w in WAITS}
    seen = set()
    for resource in _service_graph(name):
        obj = kube_object(resource)
        if obj is None or obj["kind"] not in bounded:
            continue
        wait = bounded[obj["kind"]]
        seen.add(wait.kind)
        assert resource.timeouts == {op: f"{wait.minutes}m"
                                     for op in ("create", "update", "delete")}, resource.name
    assert seen == {ROLLOUT.kind, ENDPOINTS.kind}
    line = wait_line(name)
    assert "\n" not in line
    for wait in WAITS:
        assert f"{wait.kind} {name}: {wait.what} (at most {wait.minutes} min)" in line


def test_a_deployment_may_not_mount_another_service_s_secret() -> None:
    _, graph = _platform()
    policy = kube_object(next(r for r in graph if r.type == POLICY and r.name == "deploy-order"))
    assert policy is not None
    (deployment,) = [o for o in _service_objects("order") if o["kind"] == "Deployment"]
    assert _admits(policy, deploy_group("order"), "UPDATE", deployment)
    stolen = json.loads(json.dumps(deployment))
    stolen["spec"]["template"]["spec"]["volumes"].append(
        {"name": "loot", "secret": {"secretName": "payment-db"}})
    assert not _admits(policy, deploy_group("order"), "UPDATE", stolen)
    other_account = json.loads(json.dumps(deployment))
    other_account["spec"]["template"]["spec"]["serviceAccountName"] = "payment"
    assert not _admits(policy, deploy_group("order"), "UPDATE", other_account)
    env_ref = json.loads(json.dumps(deployment))
    env_ref["spec"]["template"]["spec"]["containers"][0].setdefault("env", []).append(
        {"name": "X", "valueFrom": {"secretKeyRef": {"name": "user-signing-keys", "key": "k"}}})
    assert not _admits(policy, deploy_group("order"), "UPDATE", env_ref)


def test_the_generated_deploy_job_assumes_the_role_in_the_trusted_environment() -> None:
    """The template's workflow (a reference service's real copy) runs the deploy job in the
    environment the role trusts, with an OIDC token, and deploys only its service's stack."""
    workflow = yaml.safe_load((REFERENCE / "services" / "order" / ".github" / "workflows" /
                               "ci.yml").read_text())
    (deploy,) = [j for n, j in workflow["jobs"].items() if "deploy" in n]
    assert deploy["environment"] == DeployAccessConfig().environment
    assert deploy["permissions"]["id-token"] == "write"
    steps = json.dumps(deploy["steps"])
    assert "AWS_DEPLOY_ROLE_ARN" in steps and "deploy-service ." in steps


def test_no_deploy_roles_unless_asked() -> None:
    reference = load_platform(REFERENCE / "marketplace.yaml")
    graph = plan_platform(replace(reference, config=reference.config.model_copy(
        update={"service_stacks": True})))
    assert not [r for r in graph if r.type == POLICY]
    assert PlatformOutputs.from_json(graph.outputs[OUTPUT], "plan").deploy_roles == {}


def test_no_two_service_stacks_declare_the_same_object() -> None:
    """Every Kubernetes object (kind, namespace, name) and every Pulumi resource (type, name:
    what its URN shows besides the project) belongs to one reference service stack only; a
    second stack's create would conflict on the cluster (or fight over the object). Each
    stack's own provider, StackReference and root stack are its own, not shared objects."""
    owners: dict[tuple[str, ...], str] = {}
    for name in _services():
        for resource in _service_graph(name):
            if resource.type.startswith("pulumi:"):
                continue
            keys = [("urn", resource.type, resource.name)]
            if (obj := kube_object(resource)) is not None:
                keys.append((obj["kind"], obj["metadata"].get("namespace", ""),
                             obj["metadata"]["name"]))
            for key in keys:
                assert owners.setdefault(key, name) == name, (key, owners[key], name)


def test_each_topic_has_exactly_one_owning_stack_and_every_dlq_one() -> None:
    """The producer's stack owns a topic and its dead-letter topic; every topic a service
    consumes, and the DLQ it writes failures to, exists in exactly one stack."""
    platform, _ = _platform()
    owners: dict[str, list[str]] = {}
    for name in _services():
        for obj in _service_objects(name):
            if obj["kind"] == "KafkaTopic":
                owners.setdefault(obj["metadata"]["name"], []).append(name)
    assert all(len(stacks) == 1 for stacks in owners.values()), owners
    for spec in platform.services:
        for topic in spec.publishes:
            assert owners[topic] == owners[dead_letter_topic(topic)] == [spec.name]
        for topic in spec.consumes:
            assert spec.name not in owners[dead_letter_topic(topic)]  # the producer's
            assert owners[dead_letter_topic(topic)] == owners[topic]


def _boundary() -> tuple[str, dict[str, Any]]:
    """The platform's service-role boundary: its ARN (from the contract) and its document."""
    _, graph = _platform()
    arn = PlatformOutputs.from_json(graph.outputs[OUTPUT], "plan").service_role_boundary
    document = json.loads(_one(graph, "aws:iam/policy:Policy", "service-role-boundary")["policy"])
    return arn, document


def test_every_service_role_carries_the_boundary_which_covers_what_they_use() -> None:
    arn, boundary = _boundary()
    assert arn.startswith("arn:")
    roles = {name: [r for r in _service_graph(name) if r.type == "aws:iam/role:Role"]
             for name in _services()}
    assert all(len(found) == 1 for found in roles.values()), roles  # an IRSA role each
    for found in roles.values():
        assert found[0].inputs["permissionsBoundary"] == arn
    # what the service roles really hold stays within the boundary (SMS: sns:Publish)
    inline = [json.loads(r.inputs["policy"]) for name in _services()
              for r in _service_graph(name) if r.type == "aws:iam/rolePolicy:RolePolicy"]
    assert inline  # notification sends SMS
    for policy in inline:
        for statement in policy["Statement"]:
            for action in statement["Action"]:
                assert effective([policy], boundary, action, "*")
    # and no further, whatever the deploy role writes inline
    anything = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    for action in ("iam:CreateRole", "iam:PassRole", "s3:GetObject", "sts:AssumeRole",
                   "eks:DescribeCluster", "kms:Decrypt", "sns:CreateTopic"):
        assert not effective([anything], boundary, action, "*"), action
    assert effective([anything], boundary, "sns:Publish", "*")


@pytest.mark.parametrize("name", _services())
def test_a_deploy_role_cannot_lift_its_service_role_s_boundary(name: str) -> None:
    _, graph = _platform()
    arn, _ = _boundary()
    policy = _one(graph, "aws:iam/rolePolicy:RolePolicy", f"{name}-deploy")["policy"]
    account = arn.split(":")[4]  # the mocks' account, in every ARN of the plan
    own = f"arn:aws:iam::{account}:role/{name}-role-a1b2c3"
    other = next(f"arn:aws:iam::{account}:role/{o}-role-a1b2c3" for o in _services()
                 if o != name)
    with_boundary = {"iam:PermissionsBoundary": arn}
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"):
        assert evaluate(policy, action, own, with_boundary) == "Allow", action
        assert evaluate(policy, action, own) == "ImplicitDeny", action  # no boundary attached
        assert evaluate(policy, action, own, {"iam:PermissionsBoundary": arn + "x"}) != "Allow"
        assert evaluate(policy, action, other, with_boundary) == "ImplicitDeny", action
    for action in ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"):
        assert evaluate(policy, action, own, with_boundary) == "Deny", action
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        assert evaluate(policy, action, arn) == "Deny", action
    for action in ("iam:AttachRolePolicy", "iam:PassRole", "iam:CreatePolicy",
                   "iam:UpdateRole"):
        assert evaluate(policy, action, own, with_boundary) == "ImplicitDeny", action
    assert evaluate(policy, "iam:GetRole", own) == "Allow"  # reading needs none
    for role in (own, other, f"arn:aws:iam::{account}:role/{name}-deploy"):  # its own too
        assert evaluate(policy, "iam:UpdateAssumeRolePolicy", role) == "Deny", role


def test_the_boundary_lets_a_service_role_text_phone_numbers_only() -> None:
    _, boundary = _boundary()
    anything = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert effective([anything], boundary, "sns:Publish", "*")  # a phone number has no ARN
    topic = "arn:aws:sns:us-east-1:123456789012:anything"
    assert not effective([anything], boundary, "sns:Publish", topic)


PLATFORM_STATE = ("stacks/marketplace/dev.json", "stacks/marketplace/dev.json.bak",
                  "history/marketplace/dev/dev-1700000000.history.json",
                  "history/marketplace/dev/dev-1700000000.checkpoint.json",
                  "backups/marketplace/dev/dev.1700000000.json", "locks/marketplace/dev/x.json")


@pytest.mark.parametrize("name", _services())
def test_a_service_s_roles_cannot_read_the_platform_s_state_or_history(name: str) -> None:
    """Its deploy and push roles (evaluated by the kit's IAM evaluator) read and write their own
    stack's objects, the backend's meta.yaml and their own contract parameter: never an
    object of the platform's stack, nor another service's parameter."""
    _, graph = _platform()
    bucket = f"{BUCKET}/.pulumi"
    for role in (f"{name}-deploy", f"{name}-push"):
        policy = _one(graph, "aws:iam/rolePolicy:RolePolicy", role)["policy"]
        for key in PLATFORM_STATE:
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                           "s3:GetObjectVersion"):
                assert evaluate(policy, action, f"{bucket}/{key}") != "Allow", (role, key)
    deploy = _one(graph, "aws:iam/rolePolicy:RolePolicy", f"{name}-deploy")["policy"]
    own = f"{bucket}/stacks/marketplace-{name}/dev.json"
    assert evaluate(deploy, "s3:GetObject", own) == "Allow"
    assert evaluate(deploy, "s3:GetObject", f"{bucket}/meta.yaml") == "Allow"
    parameter = f"arn:aws:ssm:us-east-1:123456789012:parameter/marketplace-kit/marketplace/dev" \
                f"/services/{name}/contract"
    assert evaluate(deploy, "ssm:GetParameter", parameter) == "Allow"
    other = next(o for o in _services() if o != name)
    assert evaluate(deploy, "ssm:GetParameter", parameter.replace(
        f"/services/{name}/", f"/services/{other}/")) == "ImplicitDeny"


def test_each_service_reads_its_contract_from_its_parameter_with_no_secret() -> None:
    """The platform publishes each service's view (its own entries only) as an SSM parameter;
    the service's plan reads it through aws.ssm.get_parameter, not the platform's state."""
    _, graph = _platform()
    parameters = {r.name: r.inputs for r in graph.of_type("aws:ssm/parameter:Parameter")}
    assert sorted(parameters) == [f"{s}-contract" for s in _services()]
    for name in _services():
        inputs = parameters[f"{name}-contract"]
        assert inputs["name"] == f"/marketplace-kit/marketplace/dev/services/{name}/contract"
        assert inputs["type"] == "String"  # nothing in it is a secret
        plan = _service_graph(name)
        assert not [r for r in plan if r.type == "pulumi:pulumi:StackReference"]
    document = json.loads(platform_outputs.service_document(
        graph.outputs[OUTPUT], "order", "kubeconfig"))
    view = document[OUTPUT]
    for key in platform_outputs.PER_SERVICE:
        assert set(view[key]) <= {"order"}, key
    assert "password" not in json.dumps(document).lower()
