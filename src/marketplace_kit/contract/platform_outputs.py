"""The platform contract: what the platform stack exports for service stacks, defined once.

The platform program exports it (``export``); a service stack reads it through a
``pulumi.StackReference`` (``read``), so both sides go through this one definition. It is the
container contract one level up: the container contract says what a process gets from its
Deployment, this one what a service's stack gets from the platform's stack.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

import pulumi

from marketplace_kit.errors import KitError

VERSION = 1
OUTPUT = "platform"  # the stack output holding the contract (plain values only)
KUBECONFIG = "kubeconfig"  # the secret stack output: how a service stack reaches the cluster
# The maps keyed by service: a service's parameter holds only its own entry of each.
PER_SERVICE = ("database_secrets", "token_access", "traffic", "deploy_roles", "push_roles",
               "image_repositories")


@dataclass(frozen=True)
class PlatformOutputs:
    """What a service stack needs from the platform stack.

    Attributes:
        target: ``aws`` or ``local``.
        region: AWS region of the platform.
        namespace: The workload namespace (every service, its topics, users and Secrets).
        cluster_name: EKS cluster (aws) or kubeconfig context (local).
        kube_context: local: the kubeconfig context service stacks use ("" = current).
        oidc_provider_arn: The cluster's IAM OIDC provider (IRSA), "" on local.
        oidc_issuer_url: Its issuer URL, "" on local.
        kafka_cluster: Name of the Strimzi ``Kafka`` (label of topics and users).
        kafka_bootstrap_servers: The SASL_SSL listener.
        kafka_ca_secret: Secret with the cluster CA (``ca.crt``).
        kafka_topic_spec: ``KafkaTopic`` spec every event stream gets (partitions, replicas,
            retention, min ISR).
        otlp_host: The OTel collector's host, "" without tracing.
        gateway: The Istio Gateway routes bind to (``namespace/name``).
        gateway_hosts: Its hosts.
        image_registry: Registry of ``<name>:<version>`` images.
        database_secrets: Service name -> the Secret with its database URL or host (the
            platform creates each database and role: that needs the admin credentials).
        token_access: Service name -> its token settings (``TokenAccess`` fields).
        traffic: Service name -> who may reach it and what it may reach (``Traffic`` fields:
            the platform decides it from every service's ``calls:``).
        deploy_roles: Service name -> the IAM role its repository's deploy job assumes
            (``vars.AWS_DEPLOY_ROLE_ARN`` of the generated workflow; see deploy_access).
        push_roles: Service name -> the IAM role its repository's image job assumes to push
            (``vars.AWS_PUSH_ROLE_ARN``).
        image_repositories: Service name -> its ECR repository's name
            (``vars.ECR_REPOSITORY``).
        service_role_boundary: ARN of the permissions boundary every service's IRSA role
            carries (with deploy roles; "" without: no boundary).
        sidecar_revision: The istiod revision injecting the namespace's sidecars (each service's
            pod template carries it, so a move to another revision restarts the pods); "" from
            a platform an earlier kit deployed (its sidecars: the in-place istiod's).
        version: Version of this contract.
    """

    target: str
    region: str
    namespace: str
    cluster_name: str
    kafka_cluster: str
    kafka_bootstrap_servers: str
    kafka_ca_secret: str
    kafka_topic_spec: dict[str, Any]
    gateway: str
    gateway_hosts: list[str]
    kube_context: str = ""
    oidc_provider_arn: str = ""
    oidc_issuer_url: str = ""
    otlp_host: str = ""
    image_registry: str = ""
    database_secrets: dict[str, str] = field(default_factory=dict)
    token_access: dict[str, dict[str, Any]] = field(default_factory=dict)
    traffic: dict[str, dict[str, Any]] = field(default_factory=dict)
    deploy_roles: dict[str, str] = field(default_factory=dict)
    push_roles: dict[str, str] = field(default_factory=dict)
    image_repositories: dict[str, str] = field(default_factory=dict)
    service_role_boundary: str = ""
    sidecar_revision: str = ""
    version: int = VERSION

    @classmethod
    def from_json(cls, data: Any, where: str) -> PlatformOutputs:
        """The contract from a stack output, or a one-line KitError naming ``where``."""
        if not isinstance(data, dict):
            raise KitError(f"{where}: no {OUTPUT!r} output; fix: `marketplace-kit up` the "
                           "platform with this kit version first")
        if data.get("version") != VERSION:
            raise KitError(f"{where}: platform contract version {data.get('version')!r}, this "
                           f"kit reads {VERSION}; fix: deploy platform and services with one "
                           "kit version")
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise KitError(f"{where}: incomplete platform contract ({exc}); fix: `marketplace-kit "
                           "up` the platform with this kit version") from None


def export(values: dict[str, Any], kubeconfig: pulumi.Input[str] | None) -> None:
    """Export the contract from the platform program: ``values`` holds every field of
    ``PlatformOutputs`` (Outputs allowed) and nothing else; the kubeconfig goes as a secret."""
    names = {f.name for f in fields(PlatformOutputs)}
    required = {f.name for f in fields(PlatformOutputs)
                if f.default is MISSING and f.default_factory is MISSING}
    unknown, missing = set(values) - names, required - set(values)
    if unknown or missing:
        raise ValueError(f"platform contract: unknown {sorted(unknown)}, missing {sorted(missing)}")
    pulumi.export(OUTPUT, {"version": VERSION, **values})
    if kubeconfig is not None:
        pulumi.export(KUBECONFIG, pulumi.Output.secret(kubeconfig))


async def read(reference: pulumi.StackReference, where: str) -> PlatformOutputs:
    """The contract of the referenced platform stack (inside an async Pulumi program)."""
    details = await reference.get_output_details(OUTPUT)
    data = details.value if details.value is not None else details.secret_value
    return PlatformOutputs.from_json(data, where)


def parameter_name(platform: str, stack: str, service: str) -> str:
    """The SSM parameter (aws, service stacks) publishing one service's view of the contract:
    a service's stack reads it instead of the platform stack's state."""
    return f"/marketplace-kit/{platform}/{stack}/services/{service}/contract"


def service_document(contract: dict[str, Any], service: str, kubeconfig: str) -> str:
    """One service's parameter: the contract (``{"version": ..., fields}``) with only its own
    entry of each per-service map, and the kubeconfig (on EKS: endpoint, CA and ``aws eks
    get-token``; no credential). Nothing in it is a secret."""
    view = {k: ({service: v[service]} if service in v else {}) if k in PER_SERVICE else v
            for k, v in contract.items()}
    return json.dumps({OUTPUT: view, KUBECONFIG: kubeconfig}, sort_keys=True)


def read_document(text: str, where: str) -> tuple[PlatformOutputs, str]:
    """The contract and kubeconfig of a service's parameter (``service_document``)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise KitError(f"{where}: not a platform contract; fix: `marketplace-kit up` the "
                       "platform with this kit version")
    return PlatformOutputs.from_json(data.get(OUTPUT), where), str(data.get(KUBECONFIG) or "")
