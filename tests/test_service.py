"""MarketplaceService under the mocks: hardened Deployment, Service, HPA, PDB, IRSA, monitoring."""

from __future__ import annotations

import json

import pulumi
import pytest
from support.incluster import depends_on, fake_foundation, plan, validate_all

from marketplace_kit.blueprints.settings import workload
from marketplace_kit.config import ServiceSpec
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform.service import (
    KafkaAccess,
    MarketplaceService,
    MarketplaceServiceArgs,
    image_of,
)

ORDER = ServiceSpec(name="order", version="1.4.2", port=8080, path="/orders",
                    publishes=["order-events"], consumes=["payment-events"],
                    replicas={"min": 2, "max": 8, "cpu_target": 65})


def _graph(spec: ServiceSpec = ORDER, target: str = "aws") -> ResourceGraph:
    def body() -> None:
        foundation = fake_foundation(target)  # type: ignore[arg-type]
        mesh = pulumi.CustomResource("test:index:Istiod", "istiod", {})
        crd = pulumi.CustomResource("test:index:PrometheusStack", "kube-prometheus-stack", {})
        MarketplaceService(
            spec.name,
            MarketplaceServiceArgs(
                spec=spec, namespace="shop", foundation=foundation,
                image_registry="123456789012.dkr.ecr.us-east-1.amazonaws.com",
                db_secret=f"{spec.name}-db",
                kafka=KafkaAccess("events-kafka-bootstrap.shop.svc:9093", spec.name,
                                  "events-cluster-ca-cert"),
                otlp_host="otel-collector.observability.svc.cluster.local",
                depends_on=[mesh], monitoring_depends_on=[crd],
            ),
            pulumi.ResourceOptions(providers=[foundation.provider]),
        )

    return plan(body)


@pytest.fixture(scope="module")
def order() -> ResourceGraph:
    return _graph()


def test_deployment_is_hardened_and_pinned(order: ResourceGraph) -> None:
    deployment = order.named("order-deployment").inputs
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/order:1.4.2"
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                      "limits": {"cpu": "500m", "memory": "512Mi"}}
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
    assert pod["serviceAccountName"] == "order"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.4.2"


def test_secrets_are_read_only_files_named_by_the_contract(order: ResourceGraph) -> None:
    pod = order.named("order-deployment").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}  # every entry is a plain value
    assert env["DATABASE_URL_FILE"] == "/etc/marketplace/db/url"
    assert env["KAFKA_SASL_PASSWORD_FILE"] == "/etc/marketplace/kafka-user/password"
    assert env["KAFKA_SSL_CAFILE"] == "/etc/marketplace/kafka-ca/ca.crt"
    assert env["KAFKA_SASL_USERNAME"] == "order"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "events-kafka-bootstrap.shop.svc:9093"
    assert env["KAFKA_GROUP_ID"] == "order"  # the group its ACL allows
    assert not {"DATABASE_URL", "KAFKA_SASL_PASSWORD"} & set(env)
    volumes = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    assert volumes["db"] == {"secretName": "order-db", "defaultMode": 0o440,
                             "items": [{"key": "url", "path": "url"}]}
    assert volumes["kafka-user"]["secretName"] == "order"
    assert volumes["kafka-ca"]["secretName"] == "events-cluster-ca-cert"
    mounts = {m["name"]: m for m in container["volumeMounts"] if m["name"] in volumes}
    assert all(m["readOnly"] for m in mounts.values()) and len(mounts) == 3


def test_hpa_and_pdb(order: ResourceGraph) -> None:
    hpa = order.named("order-hpa")
    assert hpa.type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    spec = hpa.inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 8)
    assert spec["metrics"][0]["resource"] == {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 65}
    }
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "order"}
    assert order.named("order-pdb").inputs["spec"]["minAvailable"] == 1
    single = _graph(ServiceSpec(name="solo", replicas={"min": 1, "max": 2}, datastore="none"))
    assert single.named("solo-pdb").inputs["spec"]["maxUnavailable"] == 1


def test_irsa_only_with_oidc(order: ResourceGraph) -> None:
    account = order.named("order-sa").inputs
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]
    trust = order.named("order-role").inputs["assumeRolePolicy"]
    assert "system:serviceaccount:shop:order" in trust
    local = _graph(target="local")
    assert "annotations" not in local.named("order-sa").inputs["metadata"]
    assert not local.of_type("aws:iam/role:Role")


def test_monitoring_and_dashboard(order: ResourceGraph) -> None:
    monitor = order.named("order-monitor")
    assert monitor.type == "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
    assert depends_on(order, monitor, order.named("kube-prometheus-stack"))
    dashboard = order.named("order-dashboard").inputs
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    panels = json.loads(dashboard["data"]["order.json"])["panels"]
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Golden signals", "Event flow"]
    titles = " | ".join(p["title"] for p in panels).lower()
    for word in ("traffic", "errors", "latency", "saturation", "published", "consumed",
                 "dead-letter", "outbox backlog", "consumer lag"):
        assert word in titles
    legends = {t["legendFormat"] for p in panels for t in p.get("targets", [])}
    assert {"p50", "p99"} <= legends
    assert 'consumergroup="order"' in panels[-1]["targets"][0]["expr"]


def test_alerting_rules_follow_the_slo() -> None:
    spec = ServiceSpec.model_validate({
        "name": "order", "publishes": ["order-events"], "consumes": ["payment-events"],
        "slo": {"availability": 99.9, "latency_ms": 250, "latency_target": 95},
    })
    graph = _graph(workload(spec))  # type: ignore[arg-type]  # the blueprint's mapping
    rules = graph.named("order-rules")
    assert rules.type == "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
    assert depends_on(graph, rules, graph.named("kube-prometheus-stack"))
    groups = rules.inputs["spec"]["groups"]
    alerts = {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}
    assert set(alerts) == {
        "ServiceAvailabilityFastBurn", "ServiceAvailabilitySlowBurn", "ServiceLatencyFastBurn",
        "ServiceLatencySlowBurn", "OutboxBacklogStale", "DeadLetterTopicNotEmpty",
        "ConsumerLagHigh",
    }
    assert "(14.4 * 0.001)" in alerts["ServiceAvailabilityFastBurn"]["expr"]
    assert "(14.4 * 0.05)" in alerts["ServiceLatencyFastBurn"]["expr"]
    records = [r["expr"] for g in groups for r in g["rules"] if "record" in r]
    assert any('le="0.25"' in expr for expr in records)
    assert 'topic=~"payment-events\\\\.dlq"' in alerts["DeadLetterTopicNotEmpty"]["expr"]
    # No datastore: no outbox alert; nothing consumed: no lag or dead-letter alerts.
    edge = _graph(ServiceSpec(name="edge", datastore="none", publishes=["edge-events"]))
    names = {r.get("alert") for g in edge.named("edge-rules").inputs["spec"]["groups"]
             for r in g["rules"]}
    assert not names & {"OutboxBacklogStale", "DeadLetterTopicNotEmpty", "ConsumerLagHigh"}


def test_workload_waits_for_the_mesh(order: ResourceGraph) -> None:
    assert depends_on(order, order.named("order-deployment"), order.named("istiod"))


def test_image_choice() -> None:
    assert image_of(ORDER, "") == "order:1.4.2"
    pinned = ServiceSpec(name="x", image="ghcr.io/acme/x@sha256:" + "a" * 64)
    assert image_of(pinned, "registry.example.com") == pinned.image


def test_objects_validate(order: ResourceGraph) -> None:
    assert validate_all(order) == 8  # SA, Deployment, Service, HPA, PDB, monitor, dashboard, rules
