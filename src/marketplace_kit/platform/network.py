"""Network: a VPC over 2 or 3 AZs with public and private subnets ready for EKS.

Per AZ a public subnet (load balancers, NAT) and a private one (nodes, pods, databases), tagged
for the AWS Load Balancer Controller; an internet gateway; NAT single (cheap) or per AZ (no
cross-AZ dependency); one route table per private subnet; an S3 gateway endpoint so image layers
and backups bypass NAT; the VPC's default security group stripped of its rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from marketplace_kit.core.addon import AddOn
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform.cidr import SubnetLayout, carve_subnets, check_layout

ADDON = AddOn(
    name="network", component="Network", exports=("Network", "NetworkArgs"), group="network",
    layer="foundation", section="network",
    notes="VPC: CIDR (/16 to /20), availability zones (2 or 3), NAT single or per_az",
    provides=("vpc_id", "vpc_cidr", "private_subnet_ids"), targets=("aws",),
    priced=("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/vpcEndpoint:VpcEndpoint"),
)

NatMode = Literal["single", "per_az"]


@dataclass
class NetworkArgs:
    """How to lay out the network.

    ``cluster_name`` goes into the ``kubernetes.io/cluster/<name>`` tags. AZs default to the
    first ``az_count`` available zones of the region; subnet CIDRs default to
    :func:`~marketplace_kit.platform.cidr.carve_subnets` of ``cidr``.

    Attributes:
        cluster_name: EKS cluster the subnets are tagged for (``kubernetes.io/cluster/<name>``).
        cidr: VPC CIDR, /16 to /20.
        az_count: Availability zones used (2 or 3) when ``availability_zones`` is None.
        availability_zones: Zone names to use; None: the region's first ``az_count`` zones.
        nat: ``single`` NAT gateway (cheaper) or one ``per_az`` (survives a zone outage).
        public_subnet_cidrs: Public subnet CIDRs, one per zone; None: carved from ``cidr``.
        private_subnet_cidrs: Private subnet CIDRs, one per zone; None: carved from ``cidr``.
        tags: Tags on every AWS resource.
    """

    cluster_name: str
    cidr: str = "10.0.0.0/16"
    az_count: int = 2
    availability_zones: Sequence[str] | None = None
    nat: NatMode = "single"
    public_subnet_cidrs: Sequence[str] | None = None
    private_subnet_cidrs: Sequence[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def layout(self) -> SubnetLayout:
        """The validated subnet layout (raises ConfigError with a one-line fix)."""
        if self.nat not in ("single", "per_az"):
            raise ConfigError(f"network: nat {self.nat!r} is unknown; fix: use single or per_az")
        if self.public_subnet_cidrs is None and self.private_subnet_cidrs is None:
            return carve_subnets(self.cidr, self.az_count)
        return check_layout(
            self.cidr, self.public_subnet_cidrs or (), self.private_subnet_cidrs or (),
            self.az_count,
        )


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets per AZ, NAT, routes and an S3 endpoint."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: list[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    public_route_table_id: pulumi.Output[str]
    private_route_table_ids: list[pulumi.Output[str]]
    s3_endpoint_id: pulumi.Output[str]
    # What internet-facing load balancers sit on (public subnets, the internet gateway and its
    # route): what Kubernetes makes there must depend on these, so destroy deletes it first.
    edge: list[pulumi.Resource]
    # The nodes' way out (NAT gateways, private routes): controllers on the nodes call AWS
    # through it until the last node is gone (the EBS CSI driver deleting volumes, Karpenter).
    egress: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        layout = args.layout()  # validate before registering anything
        super().__init__("marketplace-kit:platform:Network", name, None, opts)
        invoke = pulumi.InvokeOptions(parent=self)
        zones = self._zones(args, invoke)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

        def tags(label: str, *extra: Mapping[str, str]) -> dict[str, str]:
            merged = {**args.tags, "Name": f"{name}-{label}"}
            for more in extra:
                merged.update(more)
            return merged

        self.vpc_cidr = str(layout.vpc)
        self.availability_zones = zones
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=self.vpc_cidr,
            enable_dns_hostnames=True,  # required for the EKS private endpoint
            enable_dns_support=True,
            tags=tags("vpc", cluster_tag),
            opts=child,
        )
        self.vpc_id = vpc.id
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=tags("default-deny"), opts=child
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child
        )

        public = [
            aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=zone,
                tags=tags(f"public-{zone}", cluster_tag, {"kubernetes.io/role/elb": "1"}),
                opts=child,
            )
            for zone, cidr in zip(zones, layout.public, strict=True)
        ]
        private = [
            aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=zone,
                tags=tags(
                    f"private-{zone}", cluster_tag, {"kubernetes.io/role/internal-elb": "1"}
                ),
                opts=child,
            )
            for zone, cidr in zip(zones, layout.private, strict=True)
        ]
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]

        public_rt = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=vpc.id, tags=tags("public"), opts=child
        )
        self.edge = [igw, *public]
        self.egress = []
        internet = aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        self.edge.append(internet)
        for zone, subnet in zip(zones, public, strict=True):
            self.edge.append(aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", route_table_id=public_rt.id, subnet_id=subnet.id,
                opts=child,
            ))
        self.public_route_table_id = public_rt.id

        nat_zones = zones if args.nat == "per_az" else zones[:1]
        nats = []
        for zone, subnet in zip(nat_zones, public, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags(f"nat-{zone}"),
                              opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    tags=tags(f"nat-{zone}"),
                    # AWS: a NAT gateway needs the VPC's internet gateway attached first.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        self.nat_gateway_ids = [n.id for n in nats]
        self.egress += nats

        private_rts = []
        for i, (zone, subnet) in enumerate(zip(zones, private, strict=True)):
            rt = aws.ec2.RouteTable(
                f"{name}-private-{zone}", vpc_id=vpc.id, tags=tags(f"private-{zone}"), opts=child
            )
            self.egress.append(aws.ec2.Route(
                f"{name}-private-{zone}-nat",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[i if args.nat == "per_az" else 0].id,
                opts=child,
            ))
            self.egress.append(aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", route_table_id=rt.id, subnet_id=subnet.id, opts=child
            ))
            private_rts.append(rt)
        self.private_route_table_ids = [rt.id for rt in private_rts]

        region = aws.get_region(opts=invoke).region
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=self.private_route_table_ids,
            tags=tags("s3"),
            opts=child,
        )
        self.s3_endpoint_id = s3.id

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
            }
        )

    def _zones(self, args: NetworkArgs, invoke: pulumi.InvokeOptions) -> list[str]:
        """The AZ names: given ones, else the region's first available zones (no opt-in ones)."""
        if args.availability_zones is not None:
            zones = list(args.availability_zones)
        else:
            found = aws.get_availability_zones(
                state="available",
                filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
                opts=invoke,
            )
            zones = sorted(found.names)[: args.az_count]
        if len(zones) != args.az_count or len(set(zones)) != len(zones):
            raise ConfigError(
                f"network: {args.az_count} availability zones needed, got {zones}; "
                "fix: list that many distinct zones or pick a region that has them"
            )
        return zones
