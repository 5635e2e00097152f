"""What the platform gives a service that ``sends`` SMS and push (under the SDK mocks).

SMS: an inline policy on the service's IRSA role allowing ``sns:Publish`` and nothing else, and
``SMS_PROVIDER=sns`` (no role, as on target local: no SMS env). Push: a VAPID P-256 key in a
Secret, mounted read-only, its path in ``VAPID_PRIVATE_KEY_FILE``. The notification service
reads exactly the contract's names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from support.iam_eval import evaluate
from support.incluster import fake_foundation, plan

from marketplace_kit.config import ServiceSpec, load_service
from marketplace_kit.contract import container as contract
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform.service import (
    KafkaAccess,
    MarketplaceService,
    MarketplaceServiceArgs,
)

SERVICE = Path(__file__).resolve().parent.parent / "examples/marketplace/services/notification"
SPEC = ServiceSpec(name="notification", port=8005, consumes=["order-events"],
                   sends=["sms", "push"])


def graph(spec: ServiceSpec, target: str) -> ResourceGraph:
    def body() -> None:
        from marketplace_kit.blueprints.settings import workload

        foundation = fake_foundation(target)  # type: ignore[arg-type]
        MarketplaceService(spec.name, MarketplaceServiceArgs(
            spec=workload(spec), namespace="shop", foundation=foundation,
            db_secret=f"{spec.name}-db",
            kafka=KafkaAccess("events-kafka-bootstrap.shop.svc:9093", spec.name, "ca")),
            pulumi.ResourceOptions(providers=[foundation.provider]))

    return plan(body)


@pytest.fixture(scope="module")
def aws() -> ResourceGraph:
    return graph(SPEC, "aws")


def container(g: ResourceGraph) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = g.named("notification-deployment").inputs["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def test_the_role_may_publish_sms_and_nothing_else(aws: ResourceGraph) -> None:
    (policy,) = aws.of_type("aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sns:Publish"], "NotResource": "arn:*:sns:*:*:*"}]}
    # phone numbers (no ARN) only: no topic or application endpoint, in any partition
    assert evaluate(document, "sns:Publish", "*") == "Allow"
    for topic in ("arn:aws:sns:eu-west-1:123456789012:orders",
                  "arn:aws-cn:sns:cn-north-1:123456789012:orders",
                  "arn:aws:sns:eu-west-1:123456789012:app/GCM/shop/1a2b"):
        assert evaluate(document, "sns:Publish", topic) == "ImplicitDeny", topic
    role = aws.named("notification-role")
    assert role.urn in policy.dependencies  # on this service's own role
    _, main = container(aws)
    env = {e["name"]: e["value"] for e in main["env"]}
    assert env[contract.SMS_PROVIDER.name] == "sns"


def test_the_vapid_key_is_a_mounted_secret(aws: ResourceGraph) -> None:
    secret = aws.named("notification-vapid")
    assert secret.inputs["metadata"]["name"] == "notification-vapid"
    # the key never shows in a plan: only the key names do (what charts and pods read)
    assert secret.inputs["stringData"] == {"private.pem": "[secret]"}
    pod, main = container(aws)
    env = {e["name"]: e["value"] for e in main["env"]}
    assert env["VAPID_PRIVATE_KEY_FILE"] == "/etc/marketplace/vapid/private.pem"
    assert {"name": "vapid", "mountPath": "/etc/marketplace/vapid",
            "readOnly": True} in main["volumeMounts"]
    assert {"name": "vapid", "secret": {"secretName": "notification-vapid", "defaultMode": 0o440,
            "items": [{"key": "private.pem", "path": "private.pem"}]}} in pod["volumes"]
    (key,) = aws.of_type("tls:index/privateKey:PrivateKey")
    assert (key.inputs["algorithm"], key.inputs["ecdsaCurve"]) == ("ECDSA", "P256")


def test_without_a_role_there_is_no_sms_env() -> None:
    local = graph(SPEC, "local")
    assert local.of_type("aws:iam/rolePolicy:RolePolicy") == []
    _, main = container(local)
    names = {e["name"] for e in main["env"]}
    assert contract.SMS_PROVIDER.name not in names and "VAPID_PRIVATE_KEY_FILE" in names


def test_a_service_that_sends_nothing_gets_nothing() -> None:
    plain = graph(SPEC.model_copy(update={"sends": []}), "aws")
    assert plain.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert plain.of_type("tls:index/privateKey:PrivateKey") == []


def test_the_notification_service_declares_and_reads_the_contract() -> None:
    assert load_service(SERVICE / "service.yaml").sends == ["sms", "push"]
    source = (SERVICE / "src/notification/channel_settings.py").read_text()
    for variable in contract.CHANNEL_ENV:
        assert f"    {variable.field}:" in source, variable.name
