"""Network: CIDR math and the VPC layout under the SDK mocks."""

from __future__ import annotations

from ipaddress import IPv4Network
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace_kit.errors import ConfigError
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.plan.fakes import fake_id
from marketplace_kit.platform import Network, NetworkArgs
from marketplace_kit.platform.cidr import carve_subnets, check_layout

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"


def _plan(args: NetworkArgs) -> ResourceGraph:
    return plan_program(lambda: Network("net", args))


def _subnets(graph: ResourceGraph, kind: str) -> list:
    return [s for s in graph.of_type(SUBNET) if s.name.startswith(f"net-{kind}-")]


# --- CIDR math ---------------------------------------------------------------------------


@given(prefix=st.integers(16, 24), azs=st.integers(2, 3), octet=st.integers(0, 255))
def test_carved_subnets_fit_the_vpc_and_never_overlap(prefix: int, azs: int, octet: int) -> None:
    vpc = IPv4Network((f"10.{octet}.0.0", prefix), strict=False)
    layout = carve_subnets(vpc, azs)
    subnets = layout.public + layout.private
    assert len(layout.public) == len(layout.private) == azs
    assert all(s.subnet_of(vpc) and s.prefixlen <= 28 for s in subnets)
    assert not any(a.overlaps(b) for a, b in combinations(subnets, 2))
    assert all(p.num_addresses > q.num_addresses for p in layout.private for q in layout.public)


def test_default_layout_of_a_slash_16() -> None:
    layout = carve_subnets("10.0.0.0/16", 3)
    assert [str(s) for s in layout.private] == ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
    assert [str(s) for s in layout.public] == ["10.0.192.0/20", "10.0.208.0/20", "10.0.224.0/20"]


@pytest.mark.parametrize(
    ("vpc", "public", "private", "azs", "problem"),
    [
        ("10.0.0.0/26", None, None, 2, "leaves no room"),
        ("10.0.0.0/8", None, None, 2, "leaves no room"),
        ("10.0.0.0/16", None, None, 4, "4 availability zones"),
        ("10.0.0.1/16", None, None, 2, "not an IPv4 CIDR"),
        ("fd00::/56", None, None, 2, "IPv6"),
        ("banana", None, None, 2, "not an IPv4 CIDR"),
        ("10.0.0.0/16", ["10.0.0.0/24", "10.0.1.0/24"], ["10.1.0.0/24", "10.0.3.0/24"], 2,
         "private subnet 10.1.0.0/24 is outside the VPC"),
        ("10.0.0.0/16", ["10.0.0.0/24", "10.0.1.0/24"], ["10.0.0.128/25", "10.0.3.0/24"], 2,
         "overlap"),
        ("10.0.0.0/16", ["10.0.0.0/24"], ["10.0.2.0/24", "10.0.3.0/24"], 2, "1 public subnets"),
        ("10.0.0.0/16", ["10.0.0.0/29", "10.0.1.0/24"], ["10.0.2.0/24", "10.0.3.0/24"], 2,
         "smaller than AWS allows"),
    ],
)
def test_bad_layouts_fail_with_one_line(
    vpc: str, public: list[str] | None, private: list[str] | None, azs: int, problem: str
) -> None:
    with pytest.raises(ConfigError) as failure:
        if public is None:
            carve_subnets(vpc, azs)
        else:
            check_layout(vpc, public, private or [], azs)
    message = str(failure.value)
    assert problem in message and "fix:" in message and "\n" not in message
    assert message.startswith("network: ")


def test_explicit_subnets_are_used() -> None:
    graph = _plan(
        NetworkArgs(
            cluster_name="shop",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            public_subnet_cidrs=["10.0.0.0/24", "10.0.1.0/24"],
            private_subnet_cidrs=["10.0.16.0/20", "10.0.32.0/20"],
        )
    )
    assert sorted(s.inputs["cidrBlock"] for s in graph.of_type(SUBNET)) == [
        "10.0.0.0/24", "10.0.1.0/24", "10.0.16.0/20", "10.0.32.0/20",
    ]
    assert {s.inputs["availabilityZone"] for s in graph.of_type(SUBNET)} == {
        "eu-west-1a", "eu-west-1b"
    }


def test_invalid_layout_registers_nothing() -> None:
    registered: list[str] = []

    def program() -> None:
        registered.append("started")
        Network("net", NetworkArgs(cluster_name="shop", cidr="10.0.0.0/12"))

    with pytest.raises(ConfigError, match="leaves no room"):
        plan_program(program)
    assert registered == ["started"]


def test_too_few_zones_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="2 availability zones needed"):
        _plan(NetworkArgs(cluster_name="shop", availability_zones=["us-east-1a"]))


# --- the VPC under mocks -----------------------------------------------------------------


@pytest.fixture(scope="module")
def single() -> ResourceGraph:
    return _plan(NetworkArgs(cluster_name="shop", az_count=2, nat="single", tags={"team": "x"}))


@pytest.fixture(scope="module")
def per_az() -> ResourceGraph:
    return _plan(NetworkArgs(cluster_name="shop", az_count=3, nat="per_az"))


def test_one_public_and_one_private_subnet_per_zone(single: ResourceGraph) -> None:
    public, private = _subnets(single, "public"), _subnets(single, "private")
    assert len(public) == len(private) == 2
    zones = [s.inputs["availabilityZone"] for s in public]
    assert sorted(zones) == sorted(s.inputs["availabilityZone"] for s in private)
    assert len(set(zones)) == 2


def test_subnet_tags_for_eks_load_balancers(single: ResourceGraph) -> None:
    for subnet in _subnets(single, "public"):
        tags = subnet.inputs["tags"]
        assert tags["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in tags
        assert tags["kubernetes.io/cluster/shop"] == "shared"
        assert tags["team"] == "x"
        assert not subnet.inputs.get("mapPublicIpOnLaunch", False)
    for subnet in _subnets(single, "private"):
        tags = subnet.inputs["tags"]
        assert tags["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in tags
        assert tags["kubernetes.io/cluster/shop"] == "shared"


def test_vpc_has_dns_for_the_private_eks_endpoint(single: ResourceGraph) -> None:
    vpc = single.named("net-vpc")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] and vpc.inputs["enableDnsSupport"]
    default_sg = single.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0]
    assert "ingress" not in default_sg.inputs and "egress" not in default_sg.inputs


def test_single_nat_serves_every_private_route_table(single: ResourceGraph) -> None:
    nats = single.of_type(NAT)
    assert len(nats) == 1 and len(single.of_type("aws:ec2/eip:Eip")) == 1
    public_ids = {fake_id(SUBNET, s.name) for s in _subnets(single, "public")}
    assert nats[0].inputs["subnetId"] in public_ids
    assert single.named("net-igw").urn in nats[0].dependencies
    nat_id = fake_id(NAT, nats[0].name)
    private_routes = [r for r in single.of_type(ROUTE) if r.name.endswith("-nat")]
    assert len(private_routes) == 2
    assert all(r.inputs["natGatewayId"] == nat_id for r in private_routes)
    internet = single.named("net-public-internet")
    assert internet.inputs["gatewayId"] == fake_id(
        "aws:ec2/internetGateway:InternetGateway", "net-igw"
    )
    assert internet.inputs["destinationCidrBlock"] == "0.0.0.0/0"


def test_nat_per_zone_keeps_traffic_in_its_zone(per_az: ResourceGraph) -> None:
    nats = per_az.of_type(NAT)
    assert len(nats) == 3 and len(per_az.of_type("aws:ec2/eip:Eip")) == 3
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        route = per_az.named(f"net-private-{zone}-nat")
        assert route.inputs["natGatewayId"] == fake_id(NAT, f"net-nat-{zone}")
        assert route.inputs["routeTableId"] == fake_id(ROUTE_TABLE, f"net-private-{zone}")
        nat = per_az.named(f"net-nat-{zone}", NAT)
        assert nat.inputs["subnetId"] == fake_id(SUBNET, f"net-public-{zone}")


def test_every_subnet_is_associated_with_its_route_table(per_az: ResourceGraph) -> None:
    associations = per_az.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    pairs = {(a.inputs["subnetId"], a.inputs["routeTableId"]) for a in associations}
    public_rt = fake_id(ROUTE_TABLE, "net-public")
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        assert (fake_id(SUBNET, f"net-public-{zone}"), public_rt) in pairs
        assert (
            fake_id(SUBNET, f"net-private-{zone}"), fake_id(ROUTE_TABLE, f"net-private-{zone}")
        ) in pairs
    assert len(pairs) == 6


def test_s3_gateway_endpoint_on_private_route_tables(per_az: ResourceGraph) -> None:
    endpoint = per_az.named("net-s3")
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert sorted(endpoint.inputs["routeTableIds"]) == sorted(
        fake_id(ROUTE_TABLE, f"net-private-{z}") for z in ("us-east-1a", "us-east-1b", "us-east-1c")
    )


def test_children_are_parented_to_the_component(per_az: ResourceGraph) -> None:
    component = per_az.named("net", "marketplace-kit:platform:Network")
    assert all(r.parent == component.urn for r in per_az if r is not component)
