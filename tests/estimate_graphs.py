"""Small hand-made plans (and the real blueprints, planned once) for the estimate tests."""

from __future__ import annotations

from functools import cache
from typing import Any

from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

PREFIX = "urn:pulumi:test::proj::"


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    deps: tuple[str, ...] = (),
    parent: str | None = None,
    provider: str | None = None,
    custom: bool = True,
) -> PlannedResource:
    """A planned resource with a URN derived from its type and name."""
    return PlannedResource(
        urn=f"{PREFIX}{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        dependencies=deps,
        provider=provider,
        inputs=inputs or {},
        custom=custom,
    )


def seed_design() -> ResourceGraph:
    """The seed's design: EKS, 3 on-demand t3.medium, MSK 3 x kafka.m5.large, one NAT per AZ."""
    resources = [
        res("aws:eks/cluster:Cluster", "eks"),
        res(
            "aws:eks/nodeGroup:NodeGroup", "workers",
            {"instanceTypes": ["t3.medium"], "capacityType": "ON_DEMAND", "diskSize": 20,
             "scalingConfig": {"desiredSize": 3, "minSize": 3, "maxSize": 3}},
        ),
        res(
            "aws:msk/cluster:Cluster", "kafka",
            {"numberOfBrokerNodes": 3,
             "brokerNodeGroupInfo": {"instanceType": "kafka.m5.large",
                                     "storageInfo": {"ebsStorageInfo": {"volumeSize": 100}}}},
        ),
    ]
    for az in "abc":
        resources.append(res("aws:ec2/eip:Eip", f"nat-ip-{az}"))
        resources.append(res("aws:ec2/natGateway:NatGateway", f"nat-{az}"))
        resources.append(
            res("aws:ec2/subnet:Subnet", f"public-{az}", {"availabilityZone": f"us-east-1{az}"})
        )
    return ResourceGraph(resources)


@cache
def blueprint(name: str) -> ResourceGraph:
    """The plan of a built-in blueprint (planned once per test session)."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform

    return plan_platform(default_platform(name))
