"""Monthly cost of a plan: every resource priced from the shipped table, assumptions in view.

A resource is either priced (one or more lines), known to be free (IAM, subnets, Kubernetes
objects that only use node capacity), or *unpriced*: listed as such, never silently zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from marketplace_kit.estimate.data import Assumption, PriceTable, price_table
from marketplace_kit.fit.pods import release_facts, replicas_of, running
from marketplace_kit.fit.quantity import millicores as millicores_of
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.inputs import availability_zones, dig, gib, kind, load_balancer
from marketplace_kit.platform import versions


@dataclass(frozen=True)
class CostLine:
    """One charge of one resource."""

    resource: str
    type: str
    item: str
    monthly_usd: float
    source: str


# Which size the estimate prices the scaling parts at: node groups at their minimum, desired or
# maximum size; at "maximum" Karpenter's NodePools are full up to their CPU limits too.
Capacity = Literal["minimum", "desired", "maximum"]
_NODE_GROUP_SIZE = {"minimum": "minSize", "desired": "desiredSize", "maximum": "maxSize"}


@dataclass
class CostReport:
    """The estimate: lines, what could not be priced, and the assumptions behind it."""

    region: str
    checked: str
    lines: list[CostLine]
    unpriced: list[tuple[str, str, str]]  # (resource, type, why)
    assumptions: list[Assumption]
    free: int = 0
    used_assumptions: set[str] = field(default_factory=set)
    capacity: Capacity = "desired"

    @property
    def total(self) -> float:
        """Monthly total in USD (priced lines only)."""
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def to_dict(self) -> dict[str, Any]:
        """The estimate as JSON-ready data."""
        return {
            "region": self.region,
            "capacity": self.capacity,
            "currency": "USD",
            "prices_checked": self.checked,
            "monthly_total_usd": self.total,
            "lines": [
                {
                    "resource": line.resource,
                    "type": line.type,
                    "item": line.item,
                    "monthly_usd": round(line.monthly_usd, 2),
                    "source": line.source,
                }
                for line in self.lines
            ],
            "unpriced": [{"resource": n, "type": t, "why": w} for n, t, w in self.unpriced],
            "free_resources": self.free,
            "assumptions": {
                a.name: {"value": a.value, "note": a.note}
                for a in self.assumptions
                if a.name in self.used_assumptions
            },
        }


class _Unpriced(Exception):
    """A resource the table has no price for (message: why)."""


class _Context:
    """What pricers share: the table, the graph, the month, and which assumptions got used."""

    def __init__(
        self, graph: ResourceGraph, prices: PriceTable, today: date, capacity: Capacity
    ) -> None:
        self.graph = graph
        self.prices = prices
        self.today = today
        self.capacity = capacity
        self.used: set[str] = {"hours_per_month"}  # behind every line: always shown

    def assume(self, name: str) -> float:
        self.used.add(name)
        return self.prices.assume(name)

    def resource(self, urn: str) -> PlannedResource | None:
        try:
            return self.graph.get(urn)
        except KeyError:
            return None

    @property
    def hours(self) -> float:
        return self.assume("hours_per_month")

    def line(self, r: PlannedResource, item: str, usd: float, source: str) -> CostLine:
        return CostLine(r.name, r.type, item, usd, source)

    def hourly(self, r: PlannedResource, item: str, key: str, count: float = 1) -> CostLine:
        price = self.prices.price(key)
        return self.line(r, item, count * price.usd * self.hours, price.source)

    def item_price(self, table: str, item: str) -> tuple[float, str]:
        price = self.prices.item(table, item)
        if price is None:
            raise _Unpriced(f"no {table} price for {item!r} in {self.prices.region}")
        return price.usd, price.source

    def ebs(self, r: PlannedResource, what: str, gib_: float, count: float = 1) -> CostLine:
        price = self.prices.price("ebs_gp3_gb_month")
        return self.line(r, f"{what}: {count:g} x {gib_:g} GiB gp3", count * gib_ * price.usd,
                         price.source)


Pricer = Callable[[PlannedResource, _Context], list[CostLine]]


def _node_group(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    types = list(r.inputs.get("instanceTypes") or [])
    count = float(dig(r.inputs, "scalingConfig", _NODE_GROUP_SIZE[ctx.capacity], default=0) or 0)
    if not types:
        raise _Unpriced("no instanceTypes (set them on the node group to be priced)")
    spot = r.inputs.get("capacityType") == "SPOT"
    if spot:  # spot picks among the types: their mean on-demand price, less the spot savings
        prices = [ctx.item_price("ec2_instance_hour", t) for t in types]
        hourly = sum(p for p, _ in prices) / len(prices) * (1 - ctx.assume("spot_savings"))
        source, what = prices[0][1], f"{count:g} x spot ({'/'.join(types)})"
    else:  # on-demand launches the first type
        hourly, source = ctx.item_price("ec2_instance_hour", types[0])
        what = f"{count:g} x {types[0]} on-demand"
    lines = [ctx.line(r, what, count * hourly * ctx.hours, source)]
    disk = r.inputs.get("diskSize") or _launch_template_disk(r, ctx)
    if disk is None:
        disk = ctx.assume("node_disk_gib")
    lines.append(ctx.ebs(r, "node root volumes", float(disk), count))
    return lines


def _launch_template_disk(r: PlannedResource, ctx: _Context) -> float | None:
    for dep in r.dependencies:
        template = ctx.resource(dep)
        if template is not None and template.type == "aws:ec2/launchTemplate:LaunchTemplate":
            sizes = [
                dig(m, "ebs", "volumeSize")
                for m in template.inputs.get("blockDeviceMappings") or []
            ]
            found = [float(s) for s in sizes if s]
            if found:
                return sum(found)
    return None


def _nat(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    gateways = len(ctx.graph.of_type(r.type))
    share = ctx.assume("nat_data_gb_per_month") / gateways
    data = ctx.prices.price("nat_gateway_gb")
    return [
        ctx.hourly(r, "NAT gateway hours", "nat_gateway_hour"),
        ctx.line(r, f"NAT data: {share:g} GB processed", share * data.usd, data.source),
    ]


def _endpoint(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    if r.inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    azs = len(r.inputs.get("subnetIds") or []) or 1
    return [ctx.hourly(r, f"interface endpoint in {azs} AZ", "interface_endpoint_az_hour", azs)]


def _rds(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    klass = str(r.inputs.get("instanceClass", ""))
    hourly, source = ctx.item_price("rds_instance_hour", klass)
    factor = ctx.prices.price("rds_multi_az_factor").usd if r.inputs.get("multiAz") else 1.0
    az = "Multi-AZ" if factor > 1 else "single-AZ"
    storage = float(r.inputs.get("allocatedStorage") or 20)
    per_gb = ctx.prices.price("rds_gp3_gb_month")
    lines = [
        ctx.line(r, f"{klass} {az}", hourly * factor * ctx.hours, source),
        ctx.line(r, f"storage: {storage:g} GB {az}", storage * per_gb.usd * factor, per_gb.source),
    ]
    if r.inputs.get("manageMasterUserPassword"):
        secret = ctx.prices.price("secret_month")
        lines.append(ctx.line(r, "master password secret", secret.usd, secret.source))
    return lines


def _docdb_cluster(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    gb, ios = ctx.assume("docdb_storage_gb"), ctx.assume("docdb_io_millions")
    storage, io = ctx.prices.price("docdb_storage_gb_month"), ctx.prices.price("docdb_io_million")
    return [
        ctx.line(r, f"storage: {gb:g} GB", gb * storage.usd, storage.source),
        ctx.line(r, f"I/O: {ios:g} million requests", ios * io.usd, io.source),
    ]


def _docdb_instance(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    klass = str(r.inputs.get("instanceClass", ""))
    hourly, source = ctx.item_price("docdb_instance_hour", klass)
    return [ctx.line(r, klass, hourly * ctx.hours, source)]


def _msk(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    brokers = float(r.inputs.get("numberOfBrokerNodes") or 0)
    info = r.inputs.get("brokerNodeGroupInfo") or {}
    klass = str(info.get("instanceType", ""))
    hourly, source = ctx.item_price("msk_broker_hour", klass)
    size = dig(info, "storageInfo", "ebsStorageInfo", "volumeSize")
    size = float(size) if size else ctx.assume("msk_broker_storage_gib")
    storage = ctx.prices.price("msk_storage_gb_month")
    return [
        ctx.line(r, f"{brokers:g} x {klass} broker", brokers * hourly * ctx.hours, source),
        ctx.line(r, f"broker storage: {brokers:g} x {size:g} GB", brokers * size * storage.usd,
                 storage.source),
    ]


def _log_group(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    gb = ctx.assume("log_ingestion_gb_per_month")
    price = ctx.prices.price("logs_ingestion_gb")
    return [ctx.line(r, f"log ingestion: {gb:g} GB", gb * price.usd, price.source)]


def _eks_cluster(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    """The control plane: the extended-support rate once its version left standard support."""
    version = str(r.inputs.get("version", ""))
    window = versions.EKS_CALENDAR.get(version)
    if window is not None and ctx.today > window.standard_end:
        return [ctx.hourly(r, f"EKS control plane, Kubernetes {version} in extended support",
                           "eks_extended_support_hour")]
    return [ctx.hourly(r, "EKS control plane", "eks_cluster_hour")]


def _flat_month(key: str, item: str) -> Pricer:
    def pricer(r: PlannedResource, ctx: _Context) -> list[CostLine]:
        price = ctx.prices.price(key)
        return [ctx.line(r, item, price.usd, price.source)]

    return pricer


def _flat_hourly(key: str, item: str) -> Pricer:
    def pricer(r: PlannedResource, ctx: _Context) -> list[CostLine]:
        return [ctx.hourly(r, item, key)]

    return pricer


AWS_PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/eip:Eip": _flat_hourly("public_ipv4_hour", "public IPv4 address"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
    "aws:rds/instance:Instance": _rds,
    "aws:docdb/cluster:Cluster": _docdb_cluster,
    "aws:docdb/clusterInstance:ClusterInstance": _docdb_instance,
    "aws:msk/cluster:Cluster": _msk,
    "aws:kms/key:Key": _flat_month("kms_key_month", "customer managed key"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:secretsmanager/secret:Secret": _flat_month("secret_month", "secret"),
}

# AWS resources with no charge of their own (what runs on them is priced elsewhere).
AWS_FREE_MODULES = {"iam"}
AWS_FREE_TYPES = {
    f"aws:{token}"
    for token in (
        "ec2/vpc:Vpc", "ec2/subnet:Subnet", "ec2/internetGateway:InternetGateway",
        "ec2/routeTable:RouteTable", "ec2/routeTableAssociation:RouteTableAssociation",
        "ec2/route:Route", "ec2/securityGroup:SecurityGroup",
        "ec2/securityGroupRule:SecurityGroupRule", "ec2/launchTemplate:LaunchTemplate",
        "vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        "ec2/defaultSecurityGroup:DefaultSecurityGroup", "ec2/networkAcl:NetworkAcl",
        "eks/addon:Addon", "eks/accessEntry:AccessEntry",
        "eks/accessPolicyAssociation:AccessPolicyAssociation",
        "eks/podIdentityAssociation:PodIdentityAssociation",
        "rds/subnetGroup:SubnetGroup", "rds/parameterGroup:ParameterGroup",
        "docdb/subnetGroup:SubnetGroup", "docdb/clusterParameterGroup:ClusterParameterGroup",
        "kms/alias:Alias", "secretsmanager/secretVersion:SecretVersion",
        "cloudwatch/logStream:LogStream",
        # Karpenter's interruption queue: long polling stays inside SQS's free million
        # requests a month; EventBridge rules on AWS service events are free.
        "sqs/queue:Queue", "sqs/queuePolicy:QueuePolicy",
        "cloudwatch/eventRule:EventRule", "cloudwatch/eventTarget:EventTarget",
    )
}


def _kubernetes(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    """Kubernetes objects cost nothing themselves, except volumes and cloud load balancers."""
    spec = r.inputs.get("spec") or {}
    k = kind(r)
    lines: list[CostLine] = []
    lb = load_balancer(r)
    if lb is not None:
        lines.extend(_load_balancer(r, ctx, *lb))
    if k == "PersistentVolumeClaim":
        size = gib(dig(spec, "resources", "requests", "storage"))
        if size is None:
            raise _Unpriced("no storage request")
        lines.append(ctx.ebs(r, "volume", size))
    elif k == "StatefulSet":
        for template in spec.get("volumeClaimTemplates") or []:
            size = gib(dig(template, "spec", "resources", "requests", "storage"))
            if size:
                lines.append(ctx.ebs(r, "volume per replica", size, float(spec.get("replicas", 1))))
    elif k == "KafkaNodePool":
        size = _strimzi_storage(spec.get("storage") or {})
        if size:
            lines.append(ctx.ebs(r, "broker volumes", size, float(spec.get("replicas", 1))))
    elif k == "Kafka":
        kafka = spec.get("kafka") or {}
        size = _strimzi_storage(kafka.get("storage") or {})
        if size:
            lines.append(ctx.ebs(r, "broker volumes", size, float(kafka.get("replicas", 1))))
    elif r.type == "kubernetes:helm.sh/v3:Release":
        lines.extend(_release_volumes(r, ctx))
    elif k == "NodePool" and ctx.capacity == "maximum":
        lines.extend(_node_pool_at_limit(r, ctx))
    return lines


def _node_pool_at_limit(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    """A Karpenter NodePool full up to its CPU limit: vCPUs at the general-purpose rate (spot
    less the spot savings), a root volume per 2-vCPU node."""
    cpu = millicores_of(dig(r.inputs, "spec", "limits", "cpu")) / 1000
    if not cpu:
        raise _Unpriced("no spec.limits.cpu: a NodePool without a limit has no maximum")
    requirements = dig(r.inputs, "spec", "template", "spec", "requirements", default=[]) or []
    spot = any(q.get("key") == "karpenter.sh/capacity-type" and q.get("values") == ["spot"]
               for q in requirements)
    price = ctx.prices.price("karpenter_vcpu_hour")
    factor = 1 - ctx.assume("spot_savings") if spot else 1.0
    nodes = -(-cpu // 2)
    what = "spot" if spot else "on-demand"
    return [ctx.line(r, f"Karpenter at its limit: {cpu:g} vCPU {what}",
                     cpu * price.usd * factor * ctx.hours, price.source),
            ctx.ebs(r, "Karpenter node root volumes", _node_class_disk(ctx), nodes)]


def _node_class_disk(ctx: _Context) -> float:
    """The root volume of Karpenter's nodes (its EC2NodeClass), else the assumed node disk."""
    for r in ctx.graph:
        if kind(r) == "EC2NodeClass":
            for mapping in dig(r.inputs, "spec", "blockDeviceMappings", default=[]) or []:
                size = gib(dig(mapping, "ebs", "volumeSize"))
                if size:
                    return size
    return ctx.assume("node_disk_gib")

def _release_volumes(r: PlannedResource, ctx: _Context) -> list[CostLine]:
    """A release's volumes from the generated chart facts: each workload's claims x its
    replicas, and the claims it renders by themselves; no facts: the release is unpriced."""
    notes: list[str] = []
    found = release_facts(r, notes)
    if found is None:
        raise _Unpriced(notes[0])
    lines = []
    for workload in running(found["workloads"]):
        for claim in workload["volumes"]:
            size = gib(claim["size"])
            if size is None:
                raise _Unpriced(f"{workload['name']}: volume {claim['name']} has no size")
            count = float(replicas_of(workload))
            lines.append(ctx.ebs(r, f"{workload['kind']} {workload['name']} volumes", size,
                                 count))
    for claim in found["claims"]:
        size = gib(claim["size"])
        if size is None:
            raise _Unpriced(f"claim {claim['name']} has no size")
        lines.append(ctx.ebs(r, f"claim {claim['name']}", size))
    return lines


def _strimzi_storage(storage: dict[str, Any]) -> float:
    if storage.get("type") == "jbod":
        return sum(_strimzi_storage(v) for v in storage.get("volumes") or [])
    if storage.get("type") == "persistent-claim":
        return gib(storage.get("size")) or 0.0
    return 0.0


def _load_balancer(r: PlannedResource, ctx: _Context, lb: str, public: bool) -> list[CostLine]:
    if lb == "classic":
        gb = ctx.assume("lb_data_gb_per_month")
        data = ctx.prices.price("clb_gb")
        lines = [ctx.hourly(r, "classic load balancer hours", "clb_hour"),
                 ctx.line(r, f"load balancer data: {gb:g} GB", gb * data.usd, data.source)]
    else:
        nlcu = ctx.assume("nlb_nlcu")
        lines = [ctx.hourly(r, "network load balancer hours", "nlb_hour"),
                 ctx.hourly(r, f"NLB capacity: {nlcu:g} NLCU", "nlb_nlcu_hour", nlcu)]
    if public:
        azs = availability_zones(ctx.graph)
        lines.append(ctx.hourly(r, f"load balancer public IPv4 x {azs}", "public_ipv4_hour", azs))
    return lines


def _pricer(r: PlannedResource) -> Pricer | None:
    """The pricer of a resource; None when it is free; KeyError when nothing is known."""
    if not r.custom or r.type.startswith("pulumi:"):
        return None
    if r.type in AWS_PRICERS:
        return AWS_PRICERS[r.type]
    provider, _, rest = r.type.partition(":")
    if provider == "aws":
        if r.type in AWS_FREE_TYPES or rest.split("/", 1)[0] in AWS_FREE_MODULES:
            return None
        raise KeyError(r.type)
    if provider == "kubernetes":
        return _kubernetes
    if provider in ("random", "tls", "command"):
        return None
    raise KeyError(r.type)


def estimate(
    graph: ResourceGraph, region: str, today: date | None = None, capacity: Capacity = "desired"
) -> CostReport:
    """Price every resource of a plan in a region (support windows judged on ``today``; node
    groups and Karpenter at ``capacity``)."""
    prices = price_table(region)
    ctx = _Context(graph, prices, today or date.today(), capacity)
    lines: list[CostLine] = []
    unpriced: list[tuple[str, str, str]] = []
    free = 0
    for r in graph:
        try:
            pricer = _pricer(r)
        except KeyError:
            unpriced.append((r.name, r.type, "no price rule for this type"))
            continue
        if pricer is None:
            free += 1
            continue
        try:
            found = pricer(r, ctx)
        except _Unpriced as exc:
            unpriced.append((r.name, r.type, str(exc)))
            continue
        lines.extend(found)
        free += not found
    return CostReport(
        region=region,
        checked=prices.checked,
        lines=lines,
        unpriced=unpriced,
        assumptions=list(prices.assumptions.values()),
        free=free,
        used_assumptions=ctx.used,
        capacity=capacity,
    )
