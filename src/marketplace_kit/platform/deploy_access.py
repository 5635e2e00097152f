"""Least privilege for a service's deploy job: it may change its own objects and topics only.

Per service (target aws, ``service_stacks``), the platform creates:
- an ECR repository and a push role only the repository's image job (GitHub environment
  ``image``) can assume, which may push to that repository only (``platform/image_push.py``);
- an IAM role that only the service repository's GitHub Actions OIDC token, in the deploy
  environment, can assume; it may manage the service's own IRSA role and read/write its own
  stack's state objects (through S3 with the state key, on its own objects only), nothing else
  in AWS, the platform stack's state least of all;
- a KMS key (alias ``contract.keys.service_alias``) for its stack's secrets, whose explicit key
  policy lets that role and the platform's deployers use it, and nobody else (the account
  administers it through IAM, but cannot use it: ``platform/key_policy.py``);
- an EKS access entry mapping that role to the Kubernetes group ``marketplace-kit:deploy:<svc>``
  (no access policy: no cluster-wide rights);
- a Role in the workload namespace, bound to that group: the kinds a service stack registers,
  ``get/update/patch/delete`` only on the service's own object names (``resourceNames``);
- a ValidatingAdmissionPolicy + binding (GA since Kubernetes 1.30) that denies that group any
  create/update/delete of an object not named as the service's own (RBAC's ``resourceNames``
  cannot restrict ``create``), Kafka topics included, and any Deployment that mounts or reads
  a Secret that is not the service's own (services share one namespace).

The role may put an inline policy on its service's IRSA role (SMS needs ``sns:Publish``); the
role's trust is set when it is created and never rewritten (``iam:UpdateAssumeRolePolicy`` is
denied on every role). It may create that role, and write or delete its inline policy, only
while the platform's permissions boundary (``service.boundary_policy``) is attached
(``iam:PermissionsBoundary``), and it may never remove or replace a boundary, nor change the
boundary policy; so what it can give itself through that role is at most the boundary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from marketplace_kit.contract import ci
from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import workload_names
from marketplace_kit.platform.image_push import lifecycle_policy, push_policy
from marketplace_kit.platform.key_policy import (
    S3_CONTEXT,
    STATE_ACTIONS,
    USE_ACTIONS,
    key_policy,
    service_use,
)
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="deploy-access", component="ServiceDeployAccess",
    exports=("ServiceDeployAccess", "ServiceDeployAccessArgs", "DeployIdentity"),
    group="services", layer="workload", section="deploy_access",
    notes="a least-privilege deploy role per service for its repository's CI (aws, "
    "service_stacks; github_owner empty: none)",
    needs=("target", "cluster_name"), targets=("aws",),
)

GROUP_PREFIX = "marketplace-kit:deploy:"
GITHUB_ISSUER = "token.actions.githubusercontent.com"
# The kinds a service stack registers in the workload namespace: (API group, resource).
SERVICE_KINDS: tuple[tuple[str, str], ...] = (
    ("", "configmaps"), ("", "serviceaccounts"), ("", "services"), ("", "secrets"),
    ("apps", "deployments"), ("autoscaling", "horizontalpodautoscalers"),
    ("policy", "poddisruptionbudgets"), ("networking.k8s.io", "networkpolicies"),
    ("monitoring.coreos.com", "servicemonitors"), ("monitoring.coreos.com", "prometheusrules"),
    ("networking.istio.io", "virtualservices"), ("networking.istio.io", "destinationrules"),
    ("security.istio.io", "authorizationpolicies"),
    ("kafka.strimzi.io", "kafkatopics"), ("kafka.strimzi.io", "kafkausers"),
)
# What pulumi-kubernetes' awaiters list and watch, namespace-wide, while the deploy job waits
# (provider/pkg/await: a Deployment's rollout watches deployments, replicasets, pods and PVCs, a
# Service's watches services and endpoints, every wait aggregates events, and a delete of any
# kind opens an informer on that kind): informers never time out on a forbidden list.
AWAITED: tuple[tuple[str, str], ...] = (
    ("apps", "deployments"), ("apps", "replicasets"), ("", "pods"), ("", "services"),
    ("", "endpoints"), ("", "persistentvolumeclaims"), ("", "events"),
    ("events.k8s.io", "events"),
)
# Never listed or watched: a Secret is read by its own name only (the service's own Secrets
# carry pulumi.com/skipAwait, so their delete opens no informer on Secrets).
UNLISTED: frozenset[tuple[str, str]] = frozenset({("", "secrets")})
READ_ONLY: tuple[tuple[str, str], ...] = tuple(sorted(
    {*AWAITED, *(k for k in SERVICE_KINDS if k not in UNLISTED)}))


def deploy_group(service: str) -> str:
    """The Kubernetes group a service's deploy role is mapped to."""
    return f"{GROUP_PREFIX}{service}"


@dataclass(frozen=True)
class DeployIdentity:
    """Who may deploy one service, and what it owns.

    Attributes:
        service: Service name.
        repository: ``owner/name`` of the GitHub repository whose deploy job assumes the role.
        environment: The GitHub environment the deploy job runs in (part of the trust).
        image_environment: The GitHub environment of the image job (its push role's trust).
        image_repository: Its ECR repository's name.
        contract_parameter: The SSM parameter its stack reads the platform contract from.
        names: Its object names in the namespace (workload, route, dashboard, Kafka user).
        topics: The topics its stack owns (what it publishes and their dead-letter topics).
        secrets: The Secrets its pods may read (its database, Kafka user, the cluster CA, ...).
    """

    service: str
    repository: str
    environment: str
    names: tuple[str, ...]
    topics: tuple[str, ...]
    secrets: tuple[str, ...]
    image_environment: str = ci.IMAGE_ENVIRONMENT
    image_repository: str = ""
    contract_parameter: str = ""


def owned_names(service: str) -> tuple[str, ...]:
    """The object names a service stack gives its objects (service_stack.py, service.py: its
    workload, route, Kafka user, dashboard and VAPID key Secret)."""
    return tuple(f"{service}{suffix}" for suffix in workload_names.STACK_SUFFIXES)


def github_trust_policy(provider_arn: str, repository: str, environment: str) -> str:
    """A trust policy that admits one repository's Actions jobs in one environment only."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
                f"{GITHUB_ISSUER}:sub": ci.subject(repository, environment),
            }},
        }],
    }, sort_keys=True)


def deploy_policy(
    identity: DeployIdentity, account_id: str, partition: str, service_project: str,
    state_bucket: str = "", state_key_arn: str = "",
    boundary_arn: str = "", cluster_arn: str = "", region: str = "", secrets_key_arn: str = "",
) -> str:
    """The role's own rights: its service's IRSA role (autonamed ``<svc>-role-*``, with its
    inline policy; no managed-policy attach; created and its inline policy written only with
    the permissions boundary ``boundary_arn`` attached, which it may never remove), with a
    state bucket its own stack's state objects (and the state key ``state_key_arn`` through S3
    on those objects only), and its stack's secrets key ``secrets_key_arn``."""
    role_arn = f"arn:{partition}:iam::{account_id}:role/{identity.service}-role-*"
    bounded = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"]
    statements: list[dict[str, Any]] = [{
        "Sid": "OwnServiceRole",
        "Effect": "Allow",
        "Action": ["iam:DeleteRole", "iam:GetRole", "iam:TagRole",
                   "iam:UntagRole", "iam:ListRolePolicies",
                   "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
                   "iam:GetRolePolicy", *([] if boundary_arn else bounded)],
        "Resource": role_arn,
    }]
    # A role's trust is set once, when it is created (the cluster's OIDC provider and the
    # service account: what the contract gives); no deploy role may rewrite any trust after.
    statements.append({"Sid": "KeepTrust", "Effect": "Deny",
                       "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"})
    if boundary_arn:
        statements += [
            # the inline policy of a service that sends SMS (sns:Publish), within the boundary
            {"Sid": "OwnServiceRoleBounded", "Effect": "Allow", "Action": bounded,
             "Resource": role_arn,
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}},
            {"Sid": "KeepBoundary", "Effect": "Deny",
             "Action": ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
             "Resource": "*"},
            {"Sid": "KeepBoundaryPolicy", "Effect": "Deny",
             "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy",
                        "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
             "Resource": boundary_arn},
        ]
    if identity.contract_parameter:  # its view of the platform contract, nothing else
        statements.append({
            "Sid": "ReadContract", "Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": f"arn:{partition}:ssm:{region}:{account_id}:parameter"
                        f"{identity.contract_parameter}"})
    if cluster_arn:  # deploy-service checks the API before it deploys (aws eks describe-cluster)
        statements.append({"Sid": "DescribeCluster", "Effect": "Allow",
                           "Action": "eks:DescribeCluster", "Resource": cluster_arn})
    bucket = f"arn:{partition}:s3:::{state_bucket}"
    own_objects = f"{bucket}/.pulumi/*/{service_project}/*"
    meta = f"{bucket}/.pulumi/meta.yaml"
    if state_bucket:
        statements += [
            {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": bucket},
            # the backend's own file; the platform's state and history stay unread
            {"Sid": "BackendMeta", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": meta},
            {"Sid": "OwnState", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": own_objects},
        ]
    if state_bucket and state_key_arn:  # S3's KMS calls for those objects, and no other
        statements.append({
            "Sid": "OwnStateObjectsKey", "Effect": "Allow", "Action": list(STATE_ACTIONS),
            "Resource": state_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                          "StringLike": {S3_CONTEXT: [meta, own_objects]}}})
    if secrets_key_arn:
        statements.append({"Sid": "StackSecrets", "Effect": "Allow",
                           "Action": list(USE_ACTIONS), "Resource": secrets_key_arn})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _rules(kinds: tuple[tuple[str, str], ...], verbs: list[str],
           names: list[str] | None = None) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for group, resource in kinds:
        groups.setdefault(group, []).append(resource)
    rules = []
    for group, resources in groups.items():
        rule: dict[str, Any] = {"apiGroups": [group], "resources": sorted(resources),
                                "verbs": verbs}
        if names is not None:
            rule["resourceNames"] = names
        rules.append(rule)
    return rules


def role_rules(identity: DeployIdentity) -> list[dict[str, Any]]:
    """Create any service kind (the admission policy checks the name), change and delete only
    its own names, get its own Secrets by name (no list, no other service's), list and watch
    in the namespace what the awaiters watch (``READ_ONLY``: never Secrets). Nothing
    cluster-wide."""
    own = sorted({*identity.names, *identity.topics})
    return [*_rules(SERVICE_KINDS, ["create"]),
            *_rules(SERVICE_KINDS, ["get", "update", "patch", "delete"], own),
            *_rules(READ_ONLY, ["get", "list", "watch"])]


def _cel_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in sorted(values)) + "]"


def admission_validations(identity: DeployIdentity) -> list[dict[str, str]]:
    """The CEL rules the deploy group's writes must pass (``request.name``: the object's name,
    for deletes too)."""
    topics, names = _cel_list(identity.topics), _cel_list(identity.names)
    secrets = _cel_list(tuple({*identity.secrets, *identity.names}))
    pod = "object.spec.template.spec"
    return [
        {"expression": "request.resource.resource == 'kafkatopics' ? request.name in "
                       f"{topics} : request.name in {names}",
         "message": f"{identity.service}'s deploy role may change only its own objects and "
                    "topics"},
        {"expression": "request.operation == 'DELETE' || request.resource.resource != "
                       f"'deployments' || (({pod}.serviceAccountName == "
                       f"{json.dumps(identity.service)}) && (!has({pod}.volumes) || "
                       f"{pod}.volumes.all(v, !has(v.secret) || v.secret.secretName in "
                       f"{secrets})) && {pod}.containers.all(c, !has(c.env) || c.env.all(e, "
                       "!has(e.valueFrom) || !has(e.valueFrom.secretKeyRef) || "
                       f"e.valueFrom.secretKeyRef.name in {secrets})))",
         "message": f"{identity.service}'s pods may use only its own service account and "
                    "Secrets"},
    ]


def admission_policy_spec(identity: DeployIdentity) -> dict[str, Any]:
    """The ValidatingAdmissionPolicy of one service's deploy group."""
    groups = sorted({g for g, _ in SERVICE_KINDS})
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": [{
            "apiGroups": groups, "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE", "DELETE"],
            "resources": sorted({r for _, r in SERVICE_KINDS}),
        }]},
        "matchConditions": [{
            "name": "deploy-group",
            "expression": f"{json.dumps(deploy_group(identity.service))} in "
                          "request.userInfo.groups",
        }],
        "validations": admission_validations(identity),
    }


def admission_binding_spec(policy: str, namespace: str) -> dict[str, Any]:
    """The policy's binding: deny, in the workload namespace."""
    return {
        "policyName": policy,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": namespace}}},
    }


@dataclass
class ServiceDeployAccessArgs:
    """Options of one service's deploy access.

    Attributes:
        identity: Who deploys it and what it owns.
        namespace: The workload namespace.
        cluster_name: The EKS cluster (its access entry).
        github_provider_arn: The account's IAM OIDC provider for GitHub Actions.
        service_project: The service stack's Pulumi project (its state objects).
        state_bucket: The state backend's S3 bucket ("": the role gets no state access).
        state_key_arn: The state bucket's KMS key (bootstrap's ``state_key_arn``; "": none).
        secrets_alias: The alias of its stack's secrets key ("": ``alias/<service>-secrets``).
        deployers: Who else may use that key (the platform's admins or its deployer).
        boundary_arn: The permissions boundary its service role must carry ("": none).
        depends_on: What must exist first (the namespace, the cluster's access).
    """

    identity: DeployIdentity
    namespace: str
    cluster_name: pulumi.Input[str]
    github_provider_arn: pulumi.Input[str]
    service_project: str
    state_bucket: str = ""
    state_key_arn: str = ""
    boundary_arn: pulumi.Input[str] = ""
    secrets_alias: str = ""
    deployers: list[str] = field(default_factory=list)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class ServiceDeployAccess(pulumi.ComponentResource):
    """One service's image repository and push role, its deploy role, its stack's secrets key,
    cluster mapping, namespaced Role and admission policy."""

    def __init__(self, name: str, args: ServiceDeployAccessArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("marketplace-kit:platform:ServiceDeployAccess", name, None, opts)
        me, ns = args.identity, args.namespace
        child = pulumi.ResourceOptions(parent=self)
        provider = pulumi.Output.from_input(args.github_provider_arn)
        self.repository = aws.ecr.Repository(
            f"{me.service}-images", name=me.image_repository or me.service,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                encryption_type="KMS")],
            opts=child)
        aws.ecr.LifecyclePolicy(f"{me.service}-images", repository=self.repository.name,
                                policy=lifecycle_policy(), opts=child)
        self.push_role = aws.iam.Role(
            f"{me.service}-push", description=f"pushes {me.service}'s images only", opts=child,
            assume_role_policy=provider.apply(
                lambda arn: github_trust_policy(arn, me.repository, me.image_environment)))
        aws.iam.RolePolicy(f"{me.service}-push", role=self.push_role.id,
                           policy=self.repository.arn.apply(push_policy), opts=child)
        trust = provider.apply(lambda arn: github_trust_policy(arn, me.repository,
                                                               me.environment))
        self.role = aws.iam.Role(f"{me.service}-deploy", assume_role_policy=trust,
                                 description=f"deploys {me.service}'s stack only", opts=child)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        self.secrets_key = aws.kms.Key(
            f"{me.service}-secrets", description=f"{me.service}'s stack secrets",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=pulumi.Output.all(account, partition, self.role.arn).apply(
                lambda v: key_policy(v[1], v[0], args.deployers, [service_use(v[2])])),
            opts=child)
        self.secrets_alias = args.secrets_alias or f"alias/{me.service}-secrets"
        aws.kms.Alias(f"{me.service}-secrets", name=self.secrets_alias,
                      target_key_id=self.secrets_key.key_id, opts=child)
        policy = pulumi.Output.all(account, partition, args.boundary_arn, region,
                                   args.cluster_name, self.secrets_key.arn).apply(
            lambda v: deploy_policy(me, v[0], v[1], args.service_project,
                                    args.state_bucket, args.state_key_arn, v[2],
                                    f"arn:{v[1]}:eks:{v[3]}:{v[0]}:cluster/{v[4]}", v[3],
                                    v[5]))
        aws.iam.RolePolicy(f"{me.service}-deploy", role=self.role.id, policy=policy, opts=child)
        entry = aws.eks.AccessEntry(
            f"{me.service}-deploy", cluster_name=args.cluster_name,
            principal_arn=self.role.arn, type="STANDARD",
            kubernetes_groups=[deploy_group(me.service)], opts=child)
        k8s_opts = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        role_name = f"deploy-{me.service}"
        k8s.rbac.v1.Role(role_name, metadata=metadata(role_name, ns, "deploy-access"),
                         rules=role_rules(me), opts=k8s_opts)
        k8s.rbac.v1.RoleBinding(
            role_name, metadata=metadata(role_name, ns, "deploy-access"),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                      "name": role_name},
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                       "name": deploy_group(me.service)}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, entry]))
        policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            role_name, metadata=metadata(role_name, None, "deploy-access"),
            spec=admission_policy_spec(me),
            opts=k8s_opts)
        k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            role_name, metadata=metadata(role_name, None, "deploy-access"),
            spec=admission_binding_spec(role_name, ns),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, policy]))
        self.role_arn = self.role.arn
        self.push_role_arn = self.push_role.arn
        self.register_outputs({"role_arn": self.role_arn, "push_role_arn": self.push_role_arn,
                               "repository_url": self.repository.repository_url,
                               "secrets_key_arn": self.secrets_key.arn})
