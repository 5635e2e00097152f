"""ApiGateway under the mocks: TLS, redirect, routes, destination defaults, rate limit."""

from __future__ import annotations

import pulumi
from support.incluster import depends_on, fake_foundation, plan, validate_all

from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform.gateway import ApiGateway, ApiGatewayArgs, Route


def _graph() -> ResourceGraph:
    def body() -> None:
        provider = fake_foundation("local").provider
        crds = pulumi.CustomResource("test:index:IstioBase", "istio-base", {})
        ApiGateway(
            "gateway",
            ApiGatewayArgs(
                workload_namespace="shop",
                routes=[Route("catalog", "/products", 8000), Route("order", "/orders", 8080)],
                hosts=["shop.example.com"],
                tls_secret="shop-tls",
                rate_limit_per_second=50,
                depends_on=[crds],
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return plan(body)


def test_gateway_tls_and_redirect() -> None:
    graph = _graph()
    gateway = graph.named("gateway", "kubernetes:networking.istio.io/v1:Gateway")
    http, https = gateway.inputs["spec"]["servers"]
    assert http["port"]["number"] == 80 and http["tls"] == {"httpsRedirect": True}
    assert https["port"] == {"number": 443, "name": "https", "protocol": "HTTPS"}
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "shop-tls"}
    assert https["hosts"] == ["shop.example.com"]
    assert depends_on(graph, gateway, graph.named("istio-base"))


def test_one_route_per_service() -> None:
    graph = _graph()
    routes = graph.of_type("kubernetes:networking.istio.io/v1:VirtualService")
    assert sorted(r.name for r in routes) == ["catalog-route", "order-route"]
    catalog = graph.named("catalog-route").inputs["spec"]
    assert catalog["gateways"] == ["istio-ingress/marketplace"]
    (http,) = catalog["http"]
    assert http["match"] == [{"uri": {"prefix": "/products"}}]
    assert http["route"][0]["destination"] == {
        "host": "catalog.shop.svc.cluster.local", "port": {"number": 8000}
    }
    assert http["timeout"] == "15s" and http["retries"]["attempts"] == 3
    rule = graph.named("order-destination").inputs["spec"]
    assert rule["host"] == "order.shop.svc.cluster.local"
    assert rule["trafficPolicy"]["tls"] == {"mode": "ISTIO_MUTUAL"}
    assert rule["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5


def test_local_rate_limit_on_the_gateway() -> None:
    graph = _graph()
    spec = graph.named("gateway-rate-limit").inputs["spec"]
    assert spec["workloadSelector"] == {"labels": {"istio": "ingressgateway"}}
    (patch,) = spec["configPatches"]
    assert patch["match"]["context"] == "GATEWAY"
    config = patch["patch"]["value"]["typed_config"]
    assert config["token_bucket"]["max_tokens"] == 50
    assert config["token_bucket"]["fill_interval"] == "1s"


def test_objects_validate() -> None:
    assert validate_all(_graph()) == 6
