"""The platform Deployment -> service process seam, crossed for real.

The reference marketplace is planned through the real program (what ``plan`` and ``up`` see);
each service's rendered Deployment is turned into a local process start the way a kubelet would:
its env exactly (no variable added), its Secret volumes written as files to a temp dir (the
secret values made here, playing the operators: a database per service, a SCRAM user per
KafkaUser, the cluster CA, the issuer's ES256 signing key), paths remapped only under the
mounted directories, endpoints pointed at the local servers (the JWKS URL at the local user
service), the container port mapped to a free host port. The entity APIs are called with an
admin token signed by that key, so every verifier fetches the issuer's JWK Set over the
Deployment's AUTH_JWKS_URL. The five services then start in parallel against the real
PostgreSQL, Apache Kafka configured as the rendered ``Kafka`` resource configures Strimzi's
listener (TLS with the cluster CA, SCRAM-SHA-512, ACLs enforced by the broker; each service's
credential and ACLs applied from its rendered ``KafkaUser`` by ``support.kafka.apply_kafka_user``)
and an OTLP/HTTP sink; the probe paths the Deployment declares must answer 200, an entity
created through the API must reach its topic, each service may use exactly the topics and group
its own answers declare, and spans must arrive over the contract's OTLP protocol.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from confluent_kafka.admin import AdminClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from support import kafka
from support.service_process import ServiceProcess, wait_until

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import load_platform
from marketplace_kit.contract import container as contract
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.devenv import Postgres, free_port
from marketplace_kit.devenv.kafka import KafkaCluster
from marketplace_kit.plan import ResourceGraph
from marketplace_kit.render import Manifest, helm_releases, manifests
from marketplace_kit.scaffold.answers import answers_from_file
from marketplace_kit.scaffold.render import plural

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "marketplace" / "marketplace.yaml"
SERVICES = CONFIG.parent / "services"
NAMES = ("catalog", "notification", "order", "payment", "user")
SAMPLES = {"str": "seam", "int": 7, "float": 1.5, "bool": True, "decimal": "19.99",
           "datetime": "2024-01-01T03:04:05+00:00", "date": "2024-01-01",
           "uuid": "00000000-0000-4000-8000-000000000001"}


# --- the rendered side ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return plan_platform(load_platform(CONFIG))


@pytest.fixture(scope="module")
def rendered(graph: ResourceGraph) -> list[Manifest]:
    return manifests(graph)


def of_kind(objects: list[Manifest], kind: str) -> dict[str, dict[str, Any]]:
    return {m.name: m.object for m in objects if m.kind == kind}


# --- the local stand-ins for the cluster ----------------------------------------------------


class OtlpSink(ThreadingHTTPServer):
    """Records every OTLP/HTTP export: (path, content type, body)."""

    def __init__(self) -> None:
        self.exports: list[tuple[str, str, bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.exports.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@dataclass
class Cluster:
    """What the operators would have made: Secret values by (Secret, key), topics, users."""

    postgres: Postgres
    broker: KafkaCluster
    admin: AdminClient
    kafka_users: dict[str, dict[str, Any]]  # the rendered KafkaUsers by name
    sink: OtlpSink
    root: Path
    users: dict[str, str] = field(default_factory=dict)  # KafkaUser -> its Secret's password
    signing_keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    vapid_keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # local port of each service

    def admin_token(self, issuer: str, audience: str) -> str:
        """A token signed with the issuer's signing key, as the user service would mint it."""
        (kid_file, key), = self.signing_keys.items()
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "sub": str(uuid.uuid4()), "iat": now,
                  "exp": now + 600, "roles": ["admin"], "email": "admin@example.com"}
        return jwt.encode(claims, key, algorithm="ES256",
                          headers={"kid": kid_file.removesuffix(".pem")})

    def secret(self, name: str, key: str) -> str:
        """The value of ``key`` in Secret ``name``, made the way its operator makes it."""
        if key == "url":  # Datastores: <service>-db, a database and role per service
            database = name.removesuffix("-db").replace("-", "_")
            return self.postgres.create_database(f"seam_{database}")  # unique in the session
        if key == "password":  # Strimzi's User Operator: a Secret named after the KafkaUser
            if name not in self.users:
                self.users[name] = secrets.token_urlsafe(24)
                kafka.apply_kafka_user(self.admin, self.kafka_users[name], self.users[name])
            return self.users[name]
        if key == "ca.crt":  # Strimzi's Cluster Operator: <cluster>-cluster-ca-cert
            return kafka.tls_of(self.broker).ca.read_text()
        if key == contract.VAPID_MOUNT.key:  # <service>-vapid: the service's VAPID key (push)
            self.vapid_keys[name] = self.vapid_keys.get(name) or ec.generate_private_key(
                ec.SECP256R1())
            return self.vapid_keys[name].private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()
        if key.endswith(".pem"):  # TokenSigningKeys: <issuer>-signing-keys, <kid>.pem each
            self.signing_keys[key] = self.signing_keys.get(key) or ec.generate_private_key(
                ec.SECP256R1())
            return self.signing_keys[key].private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()
        raise AssertionError(f"Secret {name} key {key}: not an object of the contract")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres,
            rendered: list[Manifest]) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("seam")
    (resource,) = of_kind(rendered, "Kafka").values()
    config = kafka.broker_config(resource, nodes=1)
    sink = OtlpSink()
    try:
        with kafka.secure_kafka(root / "kafka", config=config) as broker:
            admin = kafka.admin_client(broker)
            yield Cluster(postgres, broker, admin, of_kind(rendered, "KafkaUser"), sink, root)
    finally:
        sink.shutdown()


# --- Deployment -> process --------------------------------------------------------------------


@dataclass
class Pod:
    """A service started from its Deployment; ``port`` is the host port of the container's."""

    name: str
    container: dict[str, Any]
    process: ServiceProcess

    def probe(self, kind: str) -> str:
        probe = self.container[kind]["httpGet"]
        assert probe["port"] == int(self.env_value(contract.PORT.name))
        return f"{self.process.base_url}{probe['path']}"

    def env_value(self, name: str) -> str:
        (value,) = [e["value"] for e in self.container["env"] if e["name"] == name]
        return str(value)


def local_environment(deployment: dict[str, Any], cluster: Cluster, port: int) -> dict[str, str]:
    """The container's env as a local process gets it (see the module docstring)."""
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    name = deployment["metadata"]["name"]
    files = cluster.root / name
    mounted: dict[str, Path] = {}
    volumes = {v["name"]: v for v in pod["volumes"]}
    plain = {e["name"]: e.get("value") for e in container["env"]}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        target = files / mount["name"]
        target.mkdir(parents=True, exist_ok=True)
        if "secret" in volume:
            assert mount.get("readOnly") is True, f"{name}: Secret {mount['name']} is writable"
            secret = volume["secret"]
            # Without items, every key of the Secret is a file: the signing keys, <kid>.pem.
            items = secret.get("items") or [{"key": f"{plain[contract.AUTH_SIGNING_KID]}.pem",
                                             "path": f"{plain[contract.AUTH_SIGNING_KID]}.pem"}]
            for item in items:
                value = cluster.secret(secret["secretName"], item["key"])
                (target / item["path"]).write_text(value, encoding="utf-8")
        mounted[mount["mountPath"]] = target
    env: dict[str, str] = {}
    for entry in container["env"]:
        assert set(entry) == {"name", "value"}, f"{name}: {entry['name']} is not a plain value"
        variable, value = contract.by_name(entry["name"]), str(entry["value"])
        if variable.kind == "path":
            (prefix,) = [p for p in mounted if value == p or value.startswith(f"{p}/")]
            value = str(mounted[prefix]) + value.removeprefix(prefix)
        elif variable == contract.KAFKA_BOOTSTRAP_SERVERS:
            value = cluster.broker.bootstrap_servers
        elif variable == contract.OTEL_EXPORTER_OTLP_ENDPOINT:
            assert urlsplit(value).port == contract.OTLP_PORT
            value = f"http://127.0.0.1:{cluster.sink.server_address[1]}"
        elif variable.name == contract.AUTH_JWKS_URL:  # http://<service>.<ns>.svc...:port/...
            url = urlsplit(value)
            local = cluster.ports[str(url.hostname).split(".")[0]]
            value = url._replace(netloc=f"127.0.0.1:{local}").geturl()
        elif variable == contract.PORT:
            value = str(port)  # the container port mapped to a free host port
        env[variable.name] = value
    return env


def create_topics(cluster: Cluster, topics: dict[str, dict[str, Any]]) -> None:
    """The rendered KafkaTopics as Strimzi's Topic Operator creates them (replicas capped at
    the one local broker)."""
    kafka.create_topics(cluster.admin, {
        spec.get("topicName", name): (
            spec["partitions"], 1,
            {k: str(min(int(v), 1) if k == "min.insync.replicas" else v)
             for k, v in spec.get("config", {}).items()})
        for name, spec in ((n, t["spec"]) for n, t in topics.items())})


@pytest.fixture(scope="module")
def pods(rendered: list[Manifest], cluster: Cluster) -> Iterator[dict[str, Pod]]:
    deployments = of_kind(rendered, "Deployment")
    create_topics(cluster, of_kind(rendered, "KafkaTopic"))
    started: dict[str, Pod] = {}
    cluster.ports.update({name: free_port() for name in NAMES})
    for name in NAMES:
        port = cluster.ports[name]
        env = local_environment(deployments[name], cluster, port)
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        process = ServiceProcess(SERVICES / name, env, port=port,
                                 log_file=cluster.root / f"{name}.log")  # not in the repo
        started[name] = Pod(name, container, process)
    try:
        with ThreadPoolExecutor(len(started)) as pool:
            for future in [pool.submit(p.process.start, 90.0) for p in started.values()]:
                future.result()
        yield started
    finally:
        for pod in started.values():
            pod.process.stop()


# --- the tests ----------------------------------------------------------------------------


def test_the_secrets_the_deployments_mount_are_made_by_the_platform(
    rendered: list[Manifest],
) -> None:
    deployments = of_kind(rendered, "Deployment")
    made = set(of_kind(rendered, "Secret")) | set(of_kind(rendered, "KafkaUser"))
    made |= {f"{k}-cluster-ca-cert" for k in of_kind(rendered, "Kafka")}
    for name in NAMES:
        volumes = deployments[name]["spec"]["template"]["spec"]["volumes"]
        secrets = {v["secret"]["secretName"] for v in volumes if "secret" in v}
        assert secrets and secrets <= made, (name, secrets - made)


def test_the_collector_receives_the_contracts_otlp_protocol(graph: ResourceGraph) -> None:
    (collector,) = [r for r in helm_releases(graph) if r.name == "otel-collector"]
    protocols = collector.values["config"]["receivers"]["otlp"]["protocols"]
    assert protocols == {"http": {"endpoint": f"0.0.0.0:{contract.OTLP_PORT}"}}


@pytest.mark.parametrize("name", NAMES)
def test_probes_answer_with_the_deployments_environment(pods: dict[str, Pod], name: str) -> None:
    pod = pods[name]
    assert httpx.get(pod.probe("livenessProbe"), timeout=5).status_code == 200

    def ready() -> bool:
        return httpx.get(pod.probe("readinessProbe"), timeout=5).status_code == 200

    wait_until(ready, 60, f"{name} readiness ({pod.process.log.read_text()[-1500:]})")


def admin(pods: dict[str, Pod], cluster: Cluster) -> dict[str, str]:
    """A bearer token for the entity (admin) APIs, with the iss/aud the Deployments set."""
    user = pods["user"]
    token = cluster.admin_token(user.env_value(contract.AUTH_JWT_ISSUER),
                                user.env_value(contract.AUTH_JWT_AUDIENCE))
    return {"Authorization": f"Bearer {token}"}


def test_the_notification_service_pushes_with_the_mounted_vapid_key(
    pods: dict[str, Pod], cluster: Cluster
) -> None:
    pod = pods["notification"]
    assert pod.env_value(contract.VAPID_PRIVATE_KEY_FILE.name) == contract.VAPID_MOUNT.path
    answer = httpx.get(f"{pod.process.base_url}/notification/me/push-subscriptions",
                       headers=admin(pods, cluster), timeout=10)
    assert answer.status_code == 200, answer.text
    public = cluster.vapid_keys["notification-vapid"].public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    expected = base64.urlsafe_b64encode(public).rstrip(b"=").decode()
    assert answer.json()["application_server_key"] == expected


def entity_payload(name: str) -> tuple[str, dict[str, Any]]:
    answers = answers_from_file(SERVICES / name / ".marketplace-kit.yaml")
    assert answers.entity is not None
    path = f"{answers.spec().route_prefix}/{plural(answers.entity)}"
    return path, {f.name: SAMPLES[f.type] for f in answers.fields}


async def find_on_topic(cluster: Cluster, topic: str, needle: str, timeout: float) -> bool:
    tls = kafka.tls_of(cluster.broker)
    consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", enable_auto_commit=False,
                                **kafka.client_options(cluster.broker, tls.admin,
                                                       tls.admin_password))
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                if any(needle in (r.value or b"").decode() for r in records):
                    return True
        return False
    finally:
        await consumer.stop()


@pytest.mark.parametrize("name", NAMES)
def test_an_entity_written_through_the_api_reaches_the_topic(
    pods: dict[str, Pod], cluster: Cluster, name: str
) -> None:
    pod = pods[name]
    path, body = entity_payload(name)
    created = httpx.post(f"{pod.process.base_url}{path}", json=body, timeout=10,
                         headers=admin(pods, cluster))
    assert created.status_code == 201, created.text
    (spec,) = [s for s in load_platform(CONFIG).services if s.name == name]
    if not spec.publishes:
        return  # notification publishes nothing: its API write is the span checked below
    identifier = json.loads(created.text)["id"]
    assert asyncio.run(find_on_topic(cluster, spec.publishes[0], identifier, 30)), (
        f"{identifier} not on {spec.publishes[0]}:\n{pod.process.log.read_text()[-2000:]}")


def declared_uses(name: str) -> tuple[list[str], list[str], str]:
    """What the service's own answers say it writes and reads, and its group."""
    answers = answers_from_file(SERVICES / name / ".marketplace-kit.yaml")
    writes = [*answers.publishes, *(dead_letter_topic(t) for t in answers.consumes)]
    return writes, list(answers.consumes), name


async def refused_uses(cluster: Cluster, user: str, password: str,
                       writes: list[str], reads: list[str], group: str) -> list[str]:
    """Each write and read (in ``group``) ``user`` is refused by the broker, as "op topic"."""
    options = kafka.client_options(cluster.broker, user, password)
    refused = []
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **options)
    await producer.start()
    try:
        for topic in writes:
            try:
                await asyncio.wait_for(producer.send_and_wait(topic, b"acl-probe"), 20)
            except KafkaError as error:
                refused.append(f"write {topic}: {type(error).__name__}")
    finally:
        await producer.stop()
    for topic in reads:
        consumer = AIOKafkaConsumer(topic, group_id=group, enable_auto_commit=False,
                                    auto_offset_reset="latest", **options)
        try:
            await consumer.start()
            await asyncio.wait_for(consumer.getone(), 3)
        except TimeoutError:
            pass  # joined and fetched: nothing new to read
        except KafkaError as error:
            refused.append(f"read {topic} as {group}: {type(error).__name__}")
        finally:
            await consumer.stop()
    return refused


@pytest.mark.parametrize("name", NAMES)
def test_each_service_may_use_exactly_its_declared_topics_and_group(
    pods: dict[str, Pod], cluster: Cluster, rendered: list[Manifest], name: str
) -> None:
    writes, reads, group = declared_uses(name)
    password = cluster.users[name]
    assert asyncio.run(refused_uses(cluster, name, password, writes, reads, group)) == []
    topics = {t["spec"].get("topicName", n) for n, t in of_kind(rendered, "KafkaTopic").items()}
    (other,) = sorted(topics - set(writes) - set(reads))[:1]
    refused = asyncio.run(refused_uses(cluster, name, password, [other], [other], group))
    assert refused == [f"write {other}: TopicAuthorizationFailedError",
                       f"read {other} as {group}: TopicAuthorizationFailedError"], refused
    if reads:  # another service's group
        others = asyncio.run(refused_uses(cluster, name, password, [], reads[:1], "intruder"))
        assert others == [f"read {reads[0]} as intruder: GroupAuthorizationFailedError"], others


def test_the_acl_check_fails_when_a_kafka_user_loses_a_topic_it_uses(cluster: Cluster) -> None:
    writes, reads, group = declared_uses("order")
    user = json.loads(json.dumps(cluster.kafka_users["order"]))
    lost = writes[0]
    user["metadata"]["name"] = group = "order-lost-a-topic"  # same rules, another principal
    acls = user["spec"]["authorization"]["acls"]
    user["spec"]["authorization"]["acls"] = [
        rule if rule["resource"]["type"] != "group" else
        {**rule, "resource": {**rule["resource"], "name": group}}
        for rule in acls if rule["resource"].get("name") != lost]
    password = secrets.token_urlsafe(12)
    kafka.apply_kafka_user(cluster.admin, user, password)
    refused = asyncio.run(refused_uses(cluster, group, password, writes, reads, group))
    assert refused == [f"write {lost}: TopicAuthorizationFailedError"], refused


def test_the_broker_refuses_a_wrong_password_and_a_client_without_the_ca(
    pods: dict[str, Pod], cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password and a client not speaking TLS are refused by the broker (its log says
    why). A client without the cluster CA cannot verify the broker's certificate and drops the
    handshake itself: TLS has the server prove itself, so the broker has nothing to refuse."""
    log = cluster.broker.node_dir(0) / "kafka.log"

    def attempt(refusal_logged: bool, **options: Any) -> str:
        """How the attempt ended and the broker's reason for refusing it."""
        seen = len(log.read_bytes())

        async def connect() -> str:
            producer = AIOKafkaProducer(request_timeout_ms=5000, **options)
            try:
                await asyncio.wait_for(producer.start(), 30)
                return "connected"
            except KafkaError as error:
                return type(error).__name__
            finally:
                await producer.stop()

        def reasons() -> list[str]:
            return re.findall(r"Failed authentication with \S+ \(channelId=\S+\) \((.*?)\)",
                              log.read_bytes()[seen:].decode(errors="replace"))

        outcome = asyncio.run(connect())
        if refusal_logged:  # the broker logs a refusal when it closes the channel
            wait_until(reasons, 15, f"the broker's reason for refusing {outcome}")
        return f"{outcome}: {(reasons() or ['nothing logged'])[0]}"

    right = kafka.client_options(cluster.broker, "order", cluster.users["order"])
    assert attempt(False, **right) == "connected: nothing logged"
    wrong = {**right, "sasl_plain_password": "not-the-secret"}
    assert attempt(True, **wrong) == (
        "KafkaConnectionError: Authentication failed during authentication due to invalid "
        "credentials with SASL mechanism SCRAM-SHA-512")
    plain = {k: v for k, v in right.items() if k != "ssl_context"} | {
        "security_protocol": "SASL_PLAINTEXT"}
    assert attempt(True, **plain) == "KafkaConnectionError: SSL handshake failed"
    caplog.clear()
    without_ca = {**right, "ssl_context": ssl.create_default_context()}  # the system CAs only
    assert attempt(False, **without_ca) == "KafkaConnectionError: nothing logged"
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_spans_arrive_over_otlp_http(pods: dict[str, Pod], cluster: Cluster) -> None:
    for name, pod in pods.items():  # a traced request each (the probes are not traced)
        path, _ = entity_payload(name)
        listed = httpx.get(f"{pod.process.base_url}{path}", timeout=10,
                           headers=admin(pods, cluster))
        assert listed.status_code == 200, listed.text

    def exported() -> set[str]:
        seen = {name for name in NAMES for path, kind, body in list(cluster.sink.exports)
                if path == contract.OTLP_TRACES_PATH and kind == "application/x-protobuf"
                and name.encode() in body}
        return seen if seen == set(NAMES) else set()

    wait_until(exported, 30, "an OTLP/HTTP export from every service")
