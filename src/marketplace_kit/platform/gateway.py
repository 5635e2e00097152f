"""ApiGateway: the Istio Gateway (TLS, HTTP->HTTPS), one route per service, a local rate limit,
and token checks at the edge.

The gateway owns the whole routing table: one VirtualService (path prefix) and one
DestinationRule (ISTIO_MUTUAL, outlier detection) per service, next to the Gateway they bind to.
With a token issuer, a RequestAuthentication on the gateway pods refuses any token not signed by
the issuer's keys (inline JWK Set, ``iss``, ``aud``, ``exp``) and an AuthorizationPolicy lets a
request through only with a valid token, or on a route its service declares public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh import GATEWAY_SELECTOR, INGRESS_NAMESPACE
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="gateway", component="ApiGateway",
    exports=("ApiGateway", "ApiGatewayArgs", "Route", "OpenRoute", "TokenIssuer"),
    group="mesh & gateway", section="gateway",
    notes="hosts, TLS secret and rate limit of the ingress", after=("mesh",),
)


@dataclass(frozen=True)
class OpenRoute:
    """A route the gateway lets through without a token.

    Attributes:
        method: HTTP method; ``*`` is any.
        path: Path under the service's prefix; ending in ``/*`` covers everything below it.
    """

    method: str
    path: str

    @classmethod
    def parse(cls, text: str) -> OpenRoute:
        """``"GET /products/*"`` -> OpenRoute("GET", "/products/*")."""
        method, _, path = text.partition(" ")
        return cls(method, path)


@dataclass(frozen=True)
class Route:
    """One service behind the gateway.

    Attributes:
        service: Service name (its Kubernetes Service in the workload namespace).
        prefix: URL path prefix routed to it.
        port: Port of its Service.
        public: Routes open without a token (when the platform has a token issuer).
    """

    service: str
    prefix: str
    port: int
    public: tuple[OpenRoute, ...] = ()


@dataclass(frozen=True)
class TokenIssuer:
    """Who signs the platform's tokens, as the gateway checks them.

    Attributes:
        issuer: The ``iss`` tokens carry.
        audience: The ``aud`` tokens carry.
        jwks: The issuer's public keys, a JWK Set as JSON (inlined: istiod need not reach the
            issuer through the mesh's mTLS).
        prefix: The issuer's route (its JWKS and discovery document are public).
    """

    issuer: str
    audience: str
    jwks: pulumi.Input[str]
    prefix: str


@dataclass(frozen=True)
class RoutePolicy:
    """Defaults every route gets (timeouts and retries in the VirtualService).

    Attributes:
        timeout: Request timeout.
        retry_attempts: Retries of a failed request.
        per_try_timeout: Timeout of each try.
        retry_on: Envoy retry conditions.
        outlier_consecutive_5xx: 5xx responses in a row that eject a pod.
        outlier_interval: How often outliers are evaluated.
        outlier_ejection_time: Base ejection time.
        outlier_max_ejection_percent: Most pods of a service ejected at once.
    """

    timeout: str = "15s"
    retry_attempts: int = 3
    per_try_timeout: str = "5s"
    retry_on: str = "5xx,reset,connect-failure,retriable-4xx"
    outlier_consecutive_5xx: int = 5
    outlier_interval: str = "10s"
    outlier_ejection_time: str = "30s"
    outlier_max_ejection_percent: int = 50


@dataclass
class ApiGatewayArgs:
    """Options of the ingress.

    Attributes:
        workload_namespace: Namespace of the services' VirtualServices and DestinationRules.
        routes: One route per service.
        hosts: Hosts the Gateway serves.
        tls_secret: A ``kubernetes.io/tls`` Secret in ``istio-ingress``.
        rate_limit_per_second: Local rate limit of the gateway (requests per second).
        policy: Timeouts, retries and outlier detection of every route.
        name: Name of the Gateway object.
        tokens: The token issuer: every route then needs a valid token except each route's
            ``public`` ones. None: no token checks at the edge.
        depends_on: What must exist first (the mesh's CRDs and namespaces).
        route_objects: False: each service's own stack creates its VirtualService and
            DestinationRule (``route_resources``); the routes still shape the token policy.
    """

    workload_namespace: str
    routes: list[Route]
    hosts: list[str] = field(default_factory=lambda: ["*"])
    tls_secret: str = "marketplace-gateway-tls"
    rate_limit_per_second: int = 100
    policy: RoutePolicy = RoutePolicy()
    name: str = "marketplace"
    tokens: TokenIssuer | None = None
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    route_objects: bool = True


class ApiGateway(pulumi.ComponentResource):
    """The public entry point of the platform."""

    def __init__(
        self, name: str, args: ApiGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:ApiGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        self.gateway_ref = f"{INGRESS_NAMESPACE}/{args.name}"
        self.gateway = k8s.apiextensions.CustomResource(
            "gateway",
            api_version=versions.ISTIO_NETWORKING_API,
            kind="Gateway",
            metadata=metadata(args.name, INGRESS_NAMESPACE, "gateway"),
            spec=gateway_spec(args.hosts, args.tls_secret),
            opts=child,
        )
        self.rate_limit = k8s.apiextensions.CustomResource(
            "gateway-rate-limit",
            api_version=versions.ISTIO_ENVOYFILTER_API,
            kind="EnvoyFilter",
            metadata=metadata(f"{args.name}-local-ratelimit", INGRESS_NAMESPACE, "gateway"),
            spec=rate_limit_spec(args.rate_limit_per_second),
            opts=child,
        )
        self.virtual_services: dict[str, k8s.apiextensions.CustomResource] = {}
        self.destination_rules: dict[str, k8s.apiextensions.CustomResource] = {}
        for route in args.routes if args.route_objects else []:
            vs, dr = route_resources(route, args.workload_namespace, args.hosts,
                                     self.gateway_ref, args.policy, child)
            self.virtual_services[route.service] = vs
            self.destination_rules[route.service] = dr
        self.request_authentication: k8s.apiextensions.CustomResource | None = None
        self.authorization_policy: k8s.apiextensions.CustomResource | None = None
        if args.tokens is not None:
            self.request_authentication = k8s.apiextensions.CustomResource(
                "gateway-jwt",
                api_version=versions.ISTIO_SECURITY_API,
                kind="RequestAuthentication",
                metadata=metadata(f"{args.name}-jwt", INGRESS_NAMESPACE, "gateway"),
                spec=request_authentication_spec(args.tokens),
                opts=child,
            )
            self.authorization_policy = k8s.apiextensions.CustomResource(
                "gateway-require-token",
                api_version=versions.ISTIO_SECURITY_API,
                kind="AuthorizationPolicy",
                metadata=metadata(f"{args.name}-require-token", INGRESS_NAMESPACE, "gateway"),
                spec=authorization_policy_spec(args.routes, args.tokens),
                opts=child,
            )
        self.register_outputs({"gateway": self.gateway_ref})


def route_resources(
    route: Route, namespace: str, hosts: list[str], gateway_ref: str, policy: RoutePolicy,
    opts: pulumi.ResourceOptions,
) -> tuple[k8s.apiextensions.CustomResource, k8s.apiextensions.CustomResource]:
    """One service's VirtualService (its path prefix on the gateway) and DestinationRule."""
    host = f"{route.service}.{namespace}.svc.cluster.local"
    virtual_service = k8s.apiextensions.CustomResource(
        f"{route.service}-route",
        api_version=versions.ISTIO_NETWORKING_API,
        kind="VirtualService",
        metadata=metadata(route.service, namespace, "route"),
        spec=virtual_service_spec(route, host, hosts, gateway_ref, policy),
        opts=opts,
    )
    destination_rule = k8s.apiextensions.CustomResource(
        f"{route.service}-destination",
        api_version=versions.ISTIO_NETWORKING_API,
        kind="DestinationRule",
        metadata=metadata(route.service, namespace, "route"),
        spec=destination_rule_spec(host, policy),
        opts=opts,
    )
    return virtual_service, destination_rule


def gateway_spec(hosts: list[str], tls_secret: str) -> dict[str, Any]:
    """HTTPS on 443 with the TLS secret; HTTP on 80 only redirects to HTTPS."""
    return {
        "selector": dict(GATEWAY_SELECTOR),
        "servers": [
            {
                "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                "hosts": list(hosts),
                "tls": {"httpsRedirect": True},
            },
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": list(hosts),
                "tls": {"mode": "SIMPLE", "credentialName": tls_secret},
            },
        ],
    }


def virtual_service_spec(
    route: Route, host: str, hosts: list[str], gateway: str, policy: RoutePolicy
) -> dict[str, Any]:
    """The service's path prefix on the gateway, with timeout and retries."""
    return {
        "hosts": list(hosts),
        "gateways": [gateway],
        "http": [
            {
                "name": route.service,
                "match": [{"uri": {"prefix": route.prefix}}],
                "route": [{"destination": {"host": host, "port": {"number": route.port}}}],
                "timeout": policy.timeout,
                "retries": {
                    "attempts": policy.retry_attempts,
                    "perTryTimeout": policy.per_try_timeout,
                    "retryOn": policy.retry_on,
                },
            }
        ],
    }


def destination_rule_spec(host: str, policy: RoutePolicy) -> dict[str, Any]:
    """Mesh mTLS to the service and ejection of hosts that keep failing."""
    return {
        "host": host,
        "trafficPolicy": {
            "tls": {"mode": "ISTIO_MUTUAL"},
            "outlierDetection": {
                "consecutive5xxErrors": policy.outlier_consecutive_5xx,
                "interval": policy.outlier_interval,
                "baseEjectionTime": policy.outlier_ejection_time,
                "maxEjectionPercent": policy.outlier_max_ejection_percent,
            },
        },
    }


def rate_limit_spec(per_second: int) -> dict[str, Any]:
    """Envoy's local rate limit (token bucket per gateway pod) on the ingress gateway."""
    always = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}
    return {
        "workloadSelector": {"labels": dict(GATEWAY_SELECTOR)},
        "configPatches": [
            {
                "applyTo": "HTTP_FILTER",
                "match": {
                    "context": "GATEWAY",
                    "listener": {
                        "filterChain": {
                            "filter": {"name": "envoy.filters.network.http_connection_manager"}
                        }
                    },
                },
                "patch": {
                    "operation": "INSERT_BEFORE",
                    "value": {
                        "name": "envoy.filters.http.local_ratelimit",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http."
                            "local_ratelimit.v3.LocalRateLimit",
                            "stat_prefix": "http_local_rate_limiter",
                            "token_bucket": {
                                "max_tokens": per_second,
                                "tokens_per_fill": per_second,
                                "fill_interval": "1s",
                            },
                            "filter_enabled": {"runtime_key": "local_rate_limit_enabled", **always},
                            "filter_enforced": {
                                "runtime_key": "local_rate_limit_enforced", **always
                            },
                        },
                    },
                },
            }
        ],
    }


def request_authentication_spec(tokens: TokenIssuer) -> dict[str, Any]:
    """Tokens at the gateway must be the issuer's: signature (inline JWK Set), iss, aud, exp.
    A request without a token passes this check; the AuthorizationPolicy decides about it. The
    token is kept for the services, which verify it again."""
    return {
        "selector": {"matchLabels": dict(GATEWAY_SELECTOR)},
        "jwtRules": [
            {
                "issuer": tokens.issuer,
                "audiences": [tokens.audience],
                "jwks": tokens.jwks,
                "forwardOriginalToken": True,
            }
        ],
    }


def open_paths(route: Route, tokens: TokenIssuer) -> list[tuple[str, str]]:
    """(method, full path) of every route of ``route`` open without a token."""
    opened = [(r.method, route.prefix.rstrip("/") + r.path) for r in route.public]
    if route.prefix == tokens.prefix:  # the issuer's keys and discovery document
        opened.append(("GET", tokens.prefix.rstrip("/") + "/.well-known/*"))
    return opened


def authorization_policy_spec(routes: list[Route], tokens: TokenIssuer) -> dict[str, Any]:
    """ALLOW on the gateway: any request with a valid token, or one to a public route; Istio
    denies everything else (403) once an ALLOW policy selects the workload."""
    operations = []
    for route in routes:
        for method, path in open_paths(route, tokens):
            operation: dict[str, Any] = {"paths": [path]}
            if method != "*":
                operation["methods"] = [method]
            operations.append({"operation": operation})
    rules: list[dict[str, Any]] = [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]
    if operations:
        rules.append({"to": operations})
    return {
        "selector": {"matchLabels": dict(GATEWAY_SELECTOR)},
        "action": "ALLOW",
        "rules": rules,
    }
