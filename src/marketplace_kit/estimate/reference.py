"""The seed's design as a hand-made plan, to compare a blueprint's cost against.

EKS, three on-demand t3.medium nodes, managed Kafka (MSK, 3 x kafka.m5.large with 100 GB each)
and one NAT gateway (with its public IPv4 address) per availability zone, over three zones.
"""

from __future__ import annotations

from typing import Any

from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

_PREFIX = "urn:pulumi:seed::seed::"


def _res(type_: str, name: str, inputs: dict[str, Any] | None = None) -> PlannedResource:
    return PlannedResource(f"{_PREFIX}{type_}::{name}", type_, name, None, (), None, inputs or {})


def seed_design(region: str = "us-east-1") -> ResourceGraph:
    """The seed's design, priced like any plan by ``estimate.cost.estimate``."""
    resources = [
        _res("aws:eks/cluster:Cluster", "eks"),
        _res("aws:eks/nodeGroup:NodeGroup", "workers", {
            "instanceTypes": ["t3.medium"], "capacityType": "ON_DEMAND", "diskSize": 20,
            "scalingConfig": {"desiredSize": 3, "minSize": 3, "maxSize": 3},
        }),
        _res("aws:msk/cluster:Cluster", "kafka", {
            "numberOfBrokerNodes": 3,
            "brokerNodeGroupInfo": {"instanceType": "kafka.m5.large",
                                    "storageInfo": {"ebsStorageInfo": {"volumeSize": 100}}},
        }),
    ]
    for az in "abc":
        resources.append(_res("aws:ec2/eip:Eip", f"nat-ip-{az}"))
        resources.append(_res("aws:ec2/natGateway:NatGateway", f"nat-{az}"))
        resources.append(_res("aws:ec2/subnet:Subnet", f"public-{az}",
                              {"availabilityZone": f"{region}{az}"}))
    return ResourceGraph(resources)
