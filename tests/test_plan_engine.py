"""The plan engine's contract: recorded graph, masking, fakes, determinism."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from marketplace_kit.plan import plan_program
from marketplace_kit.plan.values import masked_secret


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Box", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", opts=child)
        self.subnet = aws.ec2.Subnet(
            "subnet", vpc_id=self.vpc.id, cidr_block="10.0.1.0/24", opts=child
        )
        self.secret = k8s.core.v1.Secret(
            "secret",
            string_data={"password": pulumi.Output.secret("hunter2")},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.subnet]),
        )
        self.topic = k8s.apiextensions.CustomResource(
            "topic", api_version="kafka.strimzi.io/v1", kind="KafkaTopic",
            spec={"partitions": 3}, opts=child,
        )
        self.register_outputs({})


def _program() -> None:
    zones = aws.get_availability_zones()
    _Box(f"box-{len(zones.names)}")


def test_records_parent_dependencies_and_inputs() -> None:
    graph = plan_program(_program)
    box = graph.named("box-6")
    subnet = graph.named("subnet")
    assert box.parent is None and not box.custom
    assert subnet.parent == box.urn
    assert graph.named("vpc").urn in subnet.dependencies
    assert subnet.inputs["vpcId"].startswith("vpc-")
    assert subnet.urn in graph.named("secret").dependencies
    assert graph.named("topic").type == "kubernetes:kafka.strimzi.io/v1:KafkaTopic"


def test_secrets_are_masked() -> None:
    graph = plan_program(_program)
    assert masked_secret(graph.named("secret").inputs["stringData"])
    assert "hunter2" not in graph.to_json()


def test_two_runs_are_byte_identical() -> None:
    assert plan_program(_program).to_json() == plan_program(_program).to_json()


def test_json_contract() -> None:
    data = json.loads(plan_program(_program).to_json())
    assert set(data) == {"resources", "summary"}
    for resource in data["resources"]:
        assert set(resource) == {
            "urn", "type", "name", "parent", "dependencies", "provider", "inputs"
        }
    assert data["summary"]["resources"] == len(data["resources"]) == 5
