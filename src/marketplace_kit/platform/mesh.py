"""ServiceMesh: Istio (base, istiod by revision, ingress gateway) via Helm, STRICT mTLS, tracing to
OTel. How revisions are named and injected: ``mesh_revision.py``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.contract import container
from marketplace_kit.core.addon import AddOn
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform import namespaces, versions
from marketplace_kit.platform.helm import chart_release, present
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    chart_revision,
    injection_labels,
    istio_revision,
    istiod_release,
    istiod_version,
    revision_version,
)
from marketplace_kit.platform.meta import labels, metadata

ADDON = AddOn(
    name="mesh", component="ServiceMesh", exports=("ServiceMesh", "ServiceMeshArgs"),
    group="mesh & gateway", section="mesh",
    notes="Istio: ingress gateway replicas (2+ also gets a PodDisruptionBudget)",
    needs=("provider", "ready"),
    provides=("crds_ready", "ready", "workload_namespace", "ingress_namespace"),
    after=("observability",),
)

SYSTEM_NAMESPACE = namespaces.MESH
INGRESS_NAMESPACE = namespaces.INGRESS
GATEWAY_RELEASE = "istio-ingressgateway"
# The gateway chart labels its pods ``istio: <release name without the istio- prefix>``.
GATEWAY_SELECTOR = {"istio": "ingressgateway"}
TRACING_PROVIDER = "otel"


# On EKS: a Network Load Balancer (the in-tree controller's default is a Classic ELB) spread
# across every AZ; it is the platform's only public entry point, so its scheme is stated rather
# than left to a controller's default (the AWS Load Balancer Controller defaults to internal).
AWS_NLB: dict[str, str] = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}
# The gateway Service's ports: HTTP and HTTPS only. The chart's default list also publishes the
# status port 15021 (Envoy health and stats) on the load balancer.
GATEWAY_PORTS: list[dict[str, Any]] = [
    {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80},
    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443},
]


@dataclass
class ServiceMeshArgs:
    """Options of the mesh; every default is the one the blueprints use unless they say.

    Attributes:
        workload_namespace: Namespace of the services (created here, sidecar injection on).
        revisions: The istiod revisions installed, each its Helm release ``istiod-<revision>``
            with the chart's ``revision`` value, at the Istio version its name stands for
            (``mesh_revision.revision_version``); ``IN_PLACE``: the release ``istiod`` an earlier
            kit installed without a revision, at ``in_place_version``. Default: the pinned Istio's
            revision only. Two during an upgrade's canary (the old beside the new).
        injection_revision: The revision whose sidecars the workload namespace gets (labelled
            ``istio.io/rev=<revision>``, or ``istio-injection=enabled`` for ``IN_PLACE``) and
            the ingress gateway runs; one of ``revisions``.
        in_place_version: The Istio version of an ``IN_PLACE`` istiod (its chart's version).
        gateway_replicas: Ingress gateway replicas; 2 or more also get a PodDisruptionBudget.
        tracing_host: OTLP/HTTP collector Service the proxies send spans to; None: no tracing.
        tracing_port: Port of that collector (the container contract's OTLP/HTTP port).
        tracing_sampling_percent: Share of requests traced.
        istiod_values: Helm values merged over the istiod defaults.
        gateway_values: Helm values merged over the gateway defaults.
        load_balancer_annotations: Annotations of the gateway's LoadBalancer Service (``AWS_NLB``
            on EKS).
        depends_on: What must exist first (the cluster's ``ready``).
        load_balancer_depends_on: What the gateway's load balancer sits on
            (``Foundation.edge``): destroy deletes the gateway, and its load balancer, first.
        charts: Install the Istio charts (base, istiod, gateway); False: they are installed
            separately (nothing downloaded; the mesh's objects depend on nothing for them).
    """

    workload_namespace: str
    revisions: tuple[str, ...] = (istio_revision(versions.ISTIO),)
    injection_revision: str = istio_revision(versions.ISTIO)
    in_place_version: str = versions.ISTIO
    gateway_replicas: int = 1
    tracing_host: str | None = None
    tracing_port: int = container.OTLP_PORT
    tracing_sampling_percent: float = 10.0
    istiod_values: dict[str, Any] = field(default_factory=dict)
    gateway_values: dict[str, Any] = field(default_factory=dict)
    # Annotations of the gateway's LoadBalancer Service (e.g. AWS_NLB for an NLB on EKS).
    load_balancer_annotations: dict[str, str] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    load_balancer_depends_on: list[pulumi.Resource] = field(default_factory=list)
    charts: bool = True

    def __post_init__(self) -> None:
        if not self.revisions or len(set(self.revisions)) != len(self.revisions):
            raise ConfigError(f"mesh: revisions {list(self.revisions)}; fix: name each installed "
                              "istiod revision once")
        if self.injection_revision not in self.revisions:
            raise ConfigError(f"mesh: injection revision {self.injection_revision!r} is not "
                              f"installed ({', '.join(self.revisions)}); fix: add it to revisions")
        for revision in self.revisions:
            if revision != IN_PLACE and revision_version(revision) is None:
                raise ConfigError(f"mesh: revision {revision!r} names no Istio version; fix: "
                                  f"name it after one ({istio_revision(versions.ISTIO)!r})")

    def revision_chart(self, revision: str) -> versions.Chart:
        """The istiod chart a revision installs (the pin's, at the revision's version)."""
        version = istiod_version(revision, self.in_place_version)
        return replace(versions.ISTIOD, version=version or versions.ISTIO)


class ServiceMesh(pulumi.ComponentResource):
    """Istio by revision, with sidecar injection on the workload namespace and mesh-wide STRICT
    mTLS.

    ``base`` carries the CRDs (its chart ships them as templates, so Helm upgrades them) and
    points Istio's default validation at the injection revision; ``crds_ready`` is what every
    Istio custom resource depends on, ``ready`` what every workload with a sidecar depends on
    (the injection webhook lives in istiod). ``istiods``: the istiod release of each revision.
    """

    def __init__(
        self, name: str, args: ServiceMeshArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:ServiceMesh", name, None, opts)
        self.base = chart_release(
            args.charts, "istio-base", versions.ISTIO_BASE, namespace=SYSTEM_NAMESPACE, parent=self,
            defaults={"defaultRevision": args.injection_revision}, depends_on=args.depends_on,
        )
        self.injection_revision = args.injection_revision
        self.istiods = {
            revision: chart_release(
                args.charts, istiod_release(revision), args.revision_chart(revision),
                namespace=SYSTEM_NAMESPACE, parent=self,
                defaults={**self._istiod_defaults(args), **chart_revision(revision)},
                values=args.istiod_values, depends_on=present([self.base]),
            )
            for revision in args.revisions
        }
        self.istiod = self.istiods[args.injection_revision]
        self.ingress_namespace = k8s.core.v1.Namespace(
            "ingress-namespace",
            metadata=metadata(INGRESS_NAMESPACE, None, "gateway"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        replicas = args.gateway_replicas
        self.gateway = chart_release(
            args.charts, GATEWAY_RELEASE, versions.ISTIO_GATEWAY, namespace=INGRESS_NAMESPACE,
            parent=self,
            defaults={
                **chart_revision(args.injection_revision),
                "replicaCount": replicas,
                "autoscaling": {"minReplicas": replicas, "maxReplicas": max(5, replicas)},
                "labels": labels("ingress-gateway", "gateway"),
                "service": {
                    "annotations": dict(args.load_balancer_annotations),
                    "ports": [dict(p) for p in GATEWAY_PORTS],
                },
            },
            values=args.gateway_values,
            create_namespace=False,
            # pods are injected by istiod; the load balancer sits on the public network
            depends_on=present([self.istiod, self.ingress_namespace,
                                *args.load_balancer_depends_on]),
        )
        self.gateway_pdb: k8s.policy.v1.PodDisruptionBudget | None = None
        if replicas >= 2:
            pdb_spec = k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                min_available=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(GATEWAY_SELECTOR)),
            )
            self.gateway_pdb = k8s.policy.v1.PodDisruptionBudget(
                "istio-ingressgateway-pdb",
                metadata=metadata("istio-ingressgateway", INGRESS_NAMESPACE, "gateway"),
                spec=pdb_spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.ingress_namespace]),
            )
        self.workload_namespace = k8s.core.v1.Namespace(
            "workload-namespace",
            metadata=metadata(
                args.workload_namespace, None, "workloads",
                extra_labels=injection_labels(args.injection_revision),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        crd_opts = pulumi.ResourceOptions(parent=self, depends_on=present([self.base]))
        self.peer_authentication = k8s.apiextensions.CustomResource(
            "mesh-mtls-strict",
            api_version=versions.ISTIO_SECURITY_API,
            kind="PeerAuthentication",
            metadata=metadata("default", SYSTEM_NAMESPACE, "mesh"),
            spec={"mtls": {"mode": "STRICT"}},
            opts=crd_opts,
        )
        self.telemetry: k8s.apiextensions.CustomResource | None = None
        if args.tracing_host:
            self.telemetry = k8s.apiextensions.CustomResource(
                "mesh-tracing",
                api_version=versions.ISTIO_TELEMETRY_API,
                kind="Telemetry",
                metadata=metadata("mesh-default", SYSTEM_NAMESPACE, "mesh"),
                spec={
                    "tracing": [
                        {
                            "providers": [{"name": TRACING_PROVIDER}],
                            "randomSamplingPercentage": args.tracing_sampling_percent,
                        }
                    ]
                },
                opts=crd_opts,
            )
        self.crds_ready: list[pulumi.Resource] = present([self.base])
        self.ready: list[pulumi.Resource] = present([self.istiod, self.workload_namespace])
        self.gateway_selector = dict(GATEWAY_SELECTOR)
        self.register_outputs(
            {"workload_namespace": args.workload_namespace, "istio_version": versions.ISTIO,
             "injection_revision": args.injection_revision}
        )

    @staticmethod
    def _istiod_defaults(args: ServiceMeshArgs) -> dict[str, Any]:
        mesh_config: dict[str, Any] = {"enableTracing": bool(args.tracing_host)}
        if args.tracing_host:
            mesh_config["extensionProviders"] = [
                {
                    "name": TRACING_PROVIDER,
                    "opentelemetry": {"service": args.tracing_host, "port": args.tracing_port,
                                      "http": {"path": container.OTLP_TRACES_PATH,
                                               "timeout": "5s"}},
                }
            ]
        # The istiod chart's values are top-level since 1.24 (``autoscaleMin``, not
        # ``pilot.autoscaleMin``, which the chart ignores). The image hub is pinned: a packaged
        # chart's default is set at build time, and 1.31+ images are only on Docker Hub.
        return {"meshConfig": mesh_config, "autoscaleMin": 1,
                "global": {"hub": versions.ISTIO_HUB}}
