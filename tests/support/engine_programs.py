"""Programs the real-engine tests deploy, shaped like the platform's (AWS cannot run here).

pulumi-aws cannot be built from the registries, and neither can pulumi-random nor pulumi-tls
(the Go module proxy serves none of their provider modules): the cloud resources are stand-ins
served by the SDK's dynamic provider (``pulumi.dynamic``, run by the real engine as a plugin),
typed like the foundation's and taking the time a create or delete takes. Everything in-cluster
is real: the kubernetes provider built from its Go module against the real kube-apiserver.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from marketplace_kit.contract import platform_outputs

NETWORK = "marketplace-kit:platform:Network"
CLUSTER = "marketplace-kit:platform:Cluster"


GATE_LIMIT = 120.0  # seconds a gated step waits for its gate before it fails


def _wait_for_gate(props: dict[str, Any], operation: str) -> None:
    """With ``gates`` (a directory): wait until ``<gates>/<operation>-<name>`` or
    ``<gates>/all`` exists, so a test decides when a step may finish, whatever the machine's
    speed; a gate that never opens fails the step after GATE_LIMIT seconds. The step says it
    is in flight (``in_flight``) before it waits."""
    if not props.get("gates"):
        return
    gates = Path(str(props["gates"]))
    mine = gates / f"{operation}-{props['resource_name']}"
    in_flight(mine).touch()
    deadline = time.monotonic() + GATE_LIMIT
    while not (mine.exists() or (gates / "all").exists()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{mine} did not open in {GATE_LIMIT} s")
        time.sleep(0.05)


def in_flight(gate: Path) -> Path:
    """The marker a gated step leaves while it waits at ``gate``: the engine has started it."""
    return gate.with_name(gate.name + ".in-flight")


class Timed(ResourceProvider):
    """A cloud resource's stand-in: its create and delete take ``seconds`` (after its gate
    opens, with ``gates``); its ID is its name."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        _wait_for_gate(props, "create")
        time.sleep(float(props.get("seconds") or 0))
        return CreateResult(id_=str(props["resource_name"]), outs=props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _wait_for_gate(props, "delete")
        time.sleep(float(props.get("seconds") or 0))


class CloudResource(Resource, module="cloud", name="Resource"):
    """A stand-in cloud resource (type ``pulumi-python:dynamic/cloud:Resource``)."""

    resource_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, *, seconds: float = 0, kubeconfig: str = "",
                 gates: str = "", opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(Timed(), name, {"resource_name": name, "seconds": seconds,
                                         "kubeconfig": kubeconfig, "gates": gates}, opts)


def caller_name() -> str:
    """Stands for ``aws.get_caller_identity()``: a provider data call (invoke) the real provider
    answers, and the offline plan's SDK mocks answer otherwise (here: with nothing)."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployer-7f3a\n"
    found = pulumi.runtime.invoke("kubernetes:yaml:decode", {"text": text}).value or {}
    objects = found.get("result") or []
    return str(objects[0]["metadata"]["name"]) if objects else "planner"


def staged_platform(kubeconfig: str, prefix: str, settings: int = 2,
                    render_to: str | None = None) -> Callable[[], None]:
    """The AWS program's shape: a network and a cluster (cloud resources; the creator's access
    entry named after the caller), a Kubernetes provider depending on the cluster and the access
    entry, then ``settings`` ConfigMaps (``PREFIX-settings-N`` in ``default``) in the cluster
    through that provider (``render_to``: the provider writes their manifests to that
    directory instead of applying them, its own mode for a cluster not reachable yet)."""

    def program() -> None:
        network = pulumi.ComponentResource(NETWORK, "shop")
        vpc = CloudResource("shop-vpc", opts=pulumi.ResourceOptions(parent=network))
        cluster = pulumi.ComponentResource(CLUSTER, "shop")
        eks = CloudResource("shop-eks", kubeconfig=kubeconfig,
                            opts=pulumi.ResourceOptions(parent=cluster, depends_on=[vpc]))
        admin = CloudResource(f"shop-admin-{caller_name()}",
                              opts=pulumi.ResourceOptions(parent=cluster, depends_on=[eks]))
        reach: dict[str, Any] = (
            {"kubeconfig": eks.kubeconfig} if render_to is None else  # renders take no cluster
            {"render_yaml_to_directory": render_to,
             "namespace": eks.resource_name.apply(lambda _: "default")})
        provider = k8s.Provider("shop", **reach,
                                opts=pulumi.ResourceOptions(parent=cluster, depends_on=[admin]))
        for index in range(settings):
            k8s.core.v1.ConfigMap(
                f"settings-{index}",
                metadata={"name": f"{prefix}-settings-{index}", "namespace": "default"},
                data={"index": str(index)},
                opts=pulumi.ResourceOptions(provider=provider),
            )
        pulumi.export("cluster", eks.resource_name)
        pulumi.export("kubeconfig", pulumi.Output.secret(eks.kubeconfig))

    return program


SECRET = "the-stack-secret"


def chain(count: int, seconds: float, gates: Path | None = None) -> Callable[[], None]:
    """``count`` cloud resources (``step-N``), each depending on the one before, each taking
    ``seconds`` (each held until its gate opens, with ``gates``); a secret output (``token``)."""

    def program() -> None:
        previous: list[pulumi.Resource] = []
        for index in range(count):
            previous = [CloudResource(f"step-{index}", seconds=seconds,
                                      gates=str(gates or ""),
                                      opts=pulumi.ResourceOptions(depends_on=previous))]
        pulumi.export("steps", count)
        pulumi.export("token", pulumi.Output.secret(SECRET))

    return program


CONTRACT: dict[str, Any] = {
    "target": "aws", "region": "eu-west-1", "namespace": "default", "cluster_name": "shop-eks",
    "kafka_cluster": "events", "kafka_bootstrap_servers": "events-kafka-bootstrap.shop:9093",
    "kafka_ca_secret": "events-cluster-ca-cert", "kafka_topic_spec": {"partitions": 3},
    "gateway": "istio-ingress/edge", "gateway_hosts": ["shop.example.com"],
}


class Gated(ResourceProvider):
    """A create that waits until the file ``gate`` exists (at most ``limit`` seconds): a run that
    holds the stack's lock for as long as a test needs it, whatever the machine's speed."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        deadline = time.monotonic() + float(props["limit"])
        while not Path(str(props["gate"])).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{props['gate']} did not appear in {props['limit']} s")
            time.sleep(0.1)
        return CreateResult(id_=str(props["resource_name"]), outs=props)


class HeldResource(Resource, module="cloud", name="Held"):
    """A stand-in cloud resource whose create waits for a gate file."""

    def __init__(self, name: str, gate: str, limit: float) -> None:
        super().__init__(Gated(), name, {"resource_name": name, "gate": gate, "limit": limit})


def held(gate: Path, limit: float = 120) -> Callable[[], None]:
    """One resource whose create waits until ``gate`` exists; the secret output ``token``."""

    def program() -> None:
        HeldResource("held", str(gate), limit)
        pulumi.export("token", pulumi.Output.secret(SECRET))

    return program


# No garbage collector runs beside the test apiserver: the provider's default (foreground)
# deletion would leave each object waiting on its foregroundDeletion finalizer.
BACKGROUND = {"pulumi.com/deletionPropagationPolicy": "background"}


def contract_platform(kubeconfig: str) -> Callable[[], None]:
    """A platform exporting the kit's contract (``platform_outputs.export``), its kubeconfig a
    secret output of the cluster's stand-in, and an object of its own in the cluster
    (ConfigMap ``platform-settings`` in the contract's namespace)."""

    def program() -> None:
        eks = CloudResource("shop-eks", kubeconfig=kubeconfig)
        provider = k8s.Provider("shop", kubeconfig=eks.kubeconfig)
        k8s.core.v1.ConfigMap(
            "platform-settings", metadata={"name": "platform-settings", "annotations": BACKGROUND,
                                           "namespace": CONTRACT["namespace"]},
            data={"kafka": CONTRACT["kafka_cluster"]},
            opts=pulumi.ResourceOptions(provider=provider))
        platform_outputs.export(CONTRACT, eks.kubeconfig)

    return program


def contract_service(platform_stack: str, service: str) -> Callable[[], Any]:
    """A service stack reading the platform as the kit's service program does (a StackReference,
    ``platform_outputs.read``, the secret kubeconfig for its provider), then in the contract's
    namespace: a ConfigMap holding what it read, and the service's KafkaTopic and KafkaUser on
    the contract's Kafka cluster (Strimzi custom resources: `destroy` deletes them first)."""

    async def program() -> None:
        reference = pulumi.StackReference("platform", stack_name=platform_stack)
        contract = await platform_outputs.read(reference, platform_stack)
        provider = k8s.Provider("platform", kubeconfig=reference.get_output(
            platform_outputs.KUBECONFIG))
        opts = pulumi.ResourceOptions(provider=provider)

        def metadata(name: str) -> dict[str, Any]:
            return {"name": name, "namespace": contract.namespace, "annotations": BACKGROUND,
                    "labels": {"strimzi.io/cluster": contract.kafka_cluster}}

        k8s.core.v1.ConfigMap(
            service, metadata=metadata(f"{service}-contract"),
            data={"kafka": contract.kafka_bootstrap_servers, "cluster": contract.cluster_name},
            opts=opts)
        k8s.apiextensions.CustomResource(
            f"topic-{service}-events", api_version="kafka.strimzi.io/v1", kind="KafkaTopic",
            metadata=metadata(f"{service}-events"),
            spec={"partitions": 3, "replicas": 3}, opts=opts)
        k8s.apiextensions.CustomResource(
            f"user-{service}", api_version="kafka.strimzi.io/v1", kind="KafkaUser",
            metadata=metadata(service),
            spec={"authentication": {"type": "scram-sha-512"}}, opts=opts)

    return program
