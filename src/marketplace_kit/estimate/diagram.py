"""The architecture of a plan as a diagram: Mermaid (renders on GitHub) or Graphviz DOT.

Resources are grouped by the platform component that owns them (network, cluster, mesh and
gateway, event bus, data stores, observability, services). The event bus shows every topic with
its publishers and consumers, read from the KafkaUser ACLs the plan creates, or from the
services' specs when the plan has no ACL for a service.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from marketplace_kit.errors import KitError
from marketplace_kit.estimate.addon_groups import AddOnGroups, declared
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.inputs import component_type, dig, kind, load_balancer

WRITE_OPS = {"Write", "All"}
READ_OPS = {"Read", "All"}


class DiagramService(Protocol):
    """What the diagram reads of a service spec (the config's ``ServiceSpec`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def publishes(self) -> Sequence[str]: ...
    @property
    def consumes(self) -> Sequence[str]: ...
    @property
    def datastore(self) -> str: ...


@dataclass
class Diagram:
    """Nodes per group, and labelled edges between node ids."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)  # group -> {id: label}
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # groups' drawing order (the add-ons')

    def add(self, group: str, node_id: str, label: str) -> str:
        self.groups.setdefault(group, {})[node_id] = label
        return node_id

    def link(self, a: str, b: str, label: str = "") -> None:
        if (a, b, label) not in self.edges:
            self.edges.append((a, b, label))

    def has(self, node_id: str) -> bool:
        return any(node_id in nodes for nodes in self.groups.values())

    def _rank(self, group: str) -> int:
        return self.order.index(group) if group in self.order else len(self.order)

    def to_mermaid(self) -> str:
        """Mermaid flowchart text."""
        lines = ["flowchart LR"]
        for i, group in enumerate(sorted(self.groups, key=self._rank)):
            lines.append(f'  subgraph g{i}["{_mermaid_text(group)}"]')
            for node_id, label in self.groups[group].items():
                lines.append(f'    {node_id}["{_mermaid_text(label)}"]')
            lines.append("  end")
        for a, b, label in self.edges:
            arrow = f' -->|"{_mermaid_text(label)}"| ' if label else " --> "
            lines.append(f"  {a}{arrow}{b}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """Graphviz DOT text."""
        lines = ["digraph platform {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
        for i, group in enumerate(sorted(self.groups, key=self._rank)):
            lines.append(f'  subgraph cluster_{i} {{ label="{_dot_text(group)}";')
            for node_id, label in self.groups[group].items():
                lines.append(f'    {node_id} [label="{_dot_text(label)}"];')
            lines.append("  }")
        for a, b, label in self.edges:
            attrs = f' [label="{_dot_text(label)}"]' if label else ""
            lines.append(f"  {a} -> {b}{attrs};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _id(prefix: str, name: str) -> str:
    return prefix + "_" + "".join(c if c.isalnum() else "_" for c in name)


def _group_of(graph: ResourceGraph, r: PlannedResource, groups: AddOnGroups) -> str | None:
    owner = component_type(graph, r) if r.custom else r.type
    return groups.component_group.get(owner.rsplit(":", 1)[-1])


def build(graph: ResourceGraph, services: Sequence[DiagramService] = (),
          groups: AddOnGroups | None = None) -> Diagram:
    """The diagram of a plan (``services``: specs used where the plan has no ACLs; ``groups``:
    the add-ons' groups, by default as declared)."""
    groups = groups or declared()
    d = Diagram(order=groups.order)
    _network(graph, d)
    for r in graph:
        group = _group_of(graph, r, groups)
        if group is None or not r.custom:
            continue
        label = _label(r)
        if label:
            d.add(group, _id("r", r.urn.rsplit("::", 1)[-1] + "_" + r.type.rsplit(":", 1)[-1]),
                  label)
    _services(graph, d, services)
    _wiring(d)
    return d


def _count(graph: ResourceGraph, type_: str, word: str) -> int:
    return sum(1 for r in graph.of_type(type_) if word in r.name)


def _network(graph: ResourceGraph, d: Diagram) -> None:
    for vpc in graph.of_type("aws:ec2/vpc:Vpc"):
        d.add("network", "vpc", f"VPC {vpc.inputs.get('cidrBlock', '')}".strip())
    public = _count(graph, "aws:ec2/subnet:Subnet", "public")
    private = len(graph.of_type("aws:ec2/subnet:Subnet")) - public
    nats = len(graph.of_type("aws:ec2/natGateway:NatGateway"))
    if public:
        d.add("network", "public_subnets", f"{public} public subnets")
    if private:
        d.add("network", "private_subnets", f"{private} private subnets")
    if nats:
        d.add("network", "nat", f"{nats} NAT gateway{'s' * (nats > 1)}")


def _label(r: PlannedResource) -> str | None:
    """The node label of a resource worth drawing (None: not drawn on its own)."""
    i, k = r.inputs, kind(r)
    if r.type == "aws:eks/cluster:Cluster":
        return f"EKS {i.get('version', '')}".strip()
    if r.type == "aws:eks/nodeGroup:NodeGroup":
        size = dig(i, "scalingConfig", "desiredSize", default="?")
        types = "/".join(i.get("instanceTypes") or [])
        return f"node group {r.name}\n{size} x {types} {str(i.get('capacityType', '')).lower()}"
    if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
        return f"endpoint {str(i.get('serviceName', r.name)).rsplit('.', 1)[-1]}"
    if r.type == "aws:rds/instance:Instance":
        az = "Multi-AZ" if i.get("multiAz") else "single-AZ"
        return f"RDS {i.get('engine', '')} {i.get('instanceClass', '')} {az}"
    if r.type == "aws:docdb/cluster:Cluster":
        return "DocumentDB"
    if r.type == "kubernetes:helm.sh/v3:Release":
        lb = load_balancer(r)
        extra = f"\n{'public ' if lb and lb[1] else ''}{lb[0].upper()}" if lb else ""
        return f"{i.get('chart', r.name)} {i.get('version', '')}".strip() + extra
    if k == "Kafka":
        return f"Kafka {dig(i, 'spec', 'kafka', 'version', default='')}".strip()
    if k == "KafkaNodePool":
        roles = "/".join(dig(i, "spec", "roles", default=[]) or [])
        return f"{dig(i, 'spec', 'replicas', default='?')} x {roles or r.name}"
    if k == "KafkaTopic":
        return None  # drawn by _services, with its publishers and consumers
    if k == "Gateway":
        servers = dig(i, "spec", "servers", default=[]) or []
        hosts = ", ".join(dict.fromkeys(h for s in servers for h in s.get("hosts") or []))
        return f"Istio Gateway {hosts}".strip()
    if k == "PeerAuthentication":
        return f"mTLS {dig(i, 'spec', 'mtls', 'mode', default='')}".strip()
    return None


def _services(graph: ResourceGraph, d: Diagram, specs: Sequence[DiagramService]) -> None:
    """Services, topics, and publisher -> topic -> consumer edges."""
    topics = {_k8s_name(r) for r in graph if kind(r) == "KafkaTopic"}
    for topic in sorted(topics):
        d.add("event bus", _id("topic", topic), f"topic {topic}")
    acl_users: set[str] = set()
    for r in graph:
        if kind(r) != "KafkaUser":
            continue
        user = _owner_name(graph, r)
        acl_users.add(user)
        for acl in dig(r.inputs, "spec", "authorization", "acls", default=[]) or []:
            topic = dig(acl, "resource", "name")
            if dig(acl, "resource", "type") != "topic" or topic not in topics:
                continue
            ops = set(acl.get("operations") or [])
            service = d.add("services", _id("svc", user), user)
            if ops & WRITE_OPS:
                d.link(service, _id("topic", topic), "publishes")
            if ops & READ_OPS:
                d.link(_id("topic", topic), service, "consumes")
    for spec in specs:
        service = d.add("services", _id("svc", spec.name), spec.name)
        if spec.name not in acl_users:
            for topic in spec.publishes:
                d.add("event bus", _id("topic", topic), f"topic {topic}")
                d.link(service, _id("topic", topic), "publishes")
            for topic in spec.consumes:
                d.add("event bus", _id("topic", topic), f"topic {topic}")
                d.link(_id("topic", topic), service, "consumes")
        store = {"postgres": "postgres", "documentdb": "documentdb"}.get(spec.datastore)
        if store:
            d.link(service, store, "")
    for r in graph:
        if not r.custom and r.type.rsplit(":", 1)[-1] == "MarketplaceService":
            d.add("services", _id("svc", r.name), r.name)


def _k8s_name(r: PlannedResource) -> str:
    return str(dig(r.inputs, "metadata", "name", default=r.name))


def _owner_name(graph: ResourceGraph, r: PlannedResource) -> str:
    """The service a resource belongs to: its MarketplaceService component, else its name."""
    for ancestor in graph.ancestors(r.urn):
        if ancestor.type.rsplit(":", 1)[-1] == "MarketplaceService":
            return ancestor.name
    return _k8s_name(r)


def _wiring(d: Diagram) -> None:
    """The fixed edges between layers: traffic in through the gateway to the services."""
    nodes = {label.split("\n")[0]: node for g in d.groups.values() for node, label in g.items()}
    gateway = next((n for label, n in nodes.items() if label.startswith("gateway ")), None)
    cluster = next((n for label, n in nodes.items() if label.startswith("EKS")), None)
    if d.has("nat") and d.has("private_subnets"):
        d.link("private_subnets", "nat", "egress")
    if cluster and d.has("private_subnets"):
        d.link(cluster, "private_subnets", "nodes in")
    rds = next((n for label, n in nodes.items() if label.startswith("RDS")), None)
    docdb = next((n for label, n in nodes.items() if label.startswith("DocumentDB")), None)
    edges = []
    for a, b, label in d.edges:  # services -> "postgres"/"documentdb" placeholders
        target = {"postgres": rds, "documentdb": docdb}.get(b, b)
        if target:
            edges.append((a, target, label))
    d.edges = edges
    if gateway:
        d.add("internet", "users", "users")
        d.link("users", gateway, "HTTPS")
        for node in d.groups.get("services", {}):
            d.link(gateway, node, "route")


def render(diagram: Diagram, fmt: str) -> bytes:
    """The diagram as mermaid text, or SVG/PNG through Graphviz ``dot`` (KitError without it)."""
    if fmt == "mermaid":
        return diagram.to_mermaid().encode()
    dot = shutil.which("dot")
    if dot is None:
        raise KitError(
            "Graphviz `dot` is not installed; fix: install graphviz (e.g. apt-get install "
            "graphviz) or use --format mermaid"
        )
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=diagram.to_dot().encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise KitError(f"dot failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    return done.stdout
