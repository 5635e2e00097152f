"""Apache Kafka as Strimzi runs it, for the tests: the real broker (`.ci/parts/kafka.sh`) with
the rendered ``Kafka`` resource's listener (TLS with a cluster CA, SCRAM-SHA-512, ACLs) and
its ``config``, and ``apply_kafka_user``: what Strimzi's User Operator does with a rendered
``KafkaUser`` (a SCRAM credential and exactly its ACLs), through the Admin API.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import secrets
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from marketplace_kit.devenv.kafka import SCRAM, KafkaCluster, KafkaTls
from marketplace_kit.devenv.ports import LOOPBACK
from marketplace_kit.platform.eventbus import LISTENER
from support.real_parts import real_part

ADMIN_TIMEOUT = 30.0

# --- certificates ---------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A cluster CA and a server certificate for 127.0.0.1/localhost signed by it, as Strimzi's
    Cluster Operator makes them; returns the (ca, cert, key) PEM paths (key in PKCS#8)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("cluster-ca")).issuer_name(_name("cluster-ca"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# --- the broker as the rendered Kafka resource configures it ---------------------------------


def broker_config(kafka: Mapping[str, Any], nodes: int) -> dict[str, object]:
    """The rendered ``Kafka``'s ``spec.kafka.config``, replication capped at ``nodes``; fails
    unless its one listener is what this broker serves (TLS, SCRAM-SHA-512, simple ACLs)."""
    spec = kafka["spec"]["kafka"]
    (listener,) = spec["listeners"]
    served = {"name": LISTENER, "tls": True, "authentication": {"type": "scram-sha-512"}}
    assert {k: listener.get(k) for k in served} == served, listener
    assert spec["authorization"] == {"type": "simple"}, spec["authorization"]
    capped = ("replication.factor", "min.isr", "min.insync.replicas")
    return {key: min(int(value), nodes) if key.endswith(capped) else value
            for key, value in spec["config"].items()}


def secure_kafka(directory: Path, *, nodes: int = 1,
                 config: Mapping[str, object] | None = None) -> KafkaCluster:
    """A Kafka cluster (not started) with a fresh cluster CA and admin password."""
    ca, cert, key = write_certificates(directory / "ca")
    tls = KafkaTls(ca, cert, key, admin_password=secrets.token_urlsafe(18))
    return KafkaCluster(real_part("kafka-libs"), java=str(real_part("java")), nodes=nodes,
                        tls=tls, config=config, directory=directory)


def tls_of(cluster: KafkaCluster) -> KafkaTls:
    assert cluster.tls is not None, "a secure cluster (secure_kafka)"
    return cluster.tls


def client_options(cluster: KafkaCluster, user: str, password: str,
                   ca: Path | None = None) -> dict[str, object]:
    """aiokafka options for ``user`` (TLS verified against ``ca``, the cluster CA by default)."""
    return {
        "bootstrap_servers": cluster.bootstrap_servers,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": SCRAM,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
        "ssl_context": ssl.create_default_context(cafile=str(ca or tls_of(cluster).ca)),
    }


def admin_client(cluster: KafkaCluster) -> AdminClient:
    """The Admin API as the super user (what Strimzi's operators act as)."""
    tls = tls_of(cluster)
    config: dict[str, Any] = {
        "bootstrap.servers": cluster.bootstrap_servers, "security.protocol": "SASL_SSL",
        "sasl.mechanism": SCRAM, "sasl.username": tls.admin,
        "sasl.password": tls.admin_password, "ssl.ca.location": str(tls.ca),
        "logger": logging.getLogger("rdkafka"),  # not librdkafka's own lines on stderr
    }
    return AdminClient(config)


def set_password(admin: AdminClient, user: str, password: str) -> None:
    """Create or change ``user``'s SCRAM-SHA-512 credential."""
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    upsert = UserScramCredentialUpsertion(user, info, password.encode())
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(timeout=ADMIN_TIMEOUT)


_RESOURCE = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP,
             "cluster": ResourceType.BROKER, "transactionalId": ResourceType.TRANSACTIONAL_ID}
_PATTERN = {"literal": ResourcePatternType.LITERAL, "prefix": ResourcePatternType.PREFIXED}


def acl_bindings(user: Mapping[str, Any]) -> list[AclBinding]:
    """The ACLs of a rendered ``KafkaUser`` as the broker stores them (principal User:<name>,
    any host, allow unless the rule says deny)."""
    principal = f"User:{user['metadata']['name']}"
    bindings = []
    for rule in user["spec"]["authorization"]["acls"]:
        resource = rule["resource"]
        allow = rule.get("type", "allow") == "allow"
        for operation in rule["operations"]:
            bindings.append(AclBinding(
                _RESOURCE[resource["type"]], resource.get("name", "kafka-cluster"),
                _PATTERN[resource.get("patternType", "literal")], principal,
                rule.get("host", "*"), AclOperation[operation.upper()],
                AclPermissionType.ALLOW if allow else AclPermissionType.DENY))
    return bindings


def apply_kafka_user(admin: AdminClient, user: Mapping[str, Any], password: str) -> None:
    """Make the broker hold what a rendered ``KafkaUser`` says, as Strimzi's User Operator does:
    its SCRAM-SHA-512 credential (``password``, the value of its Secret) and exactly its ACLs
    (the missing ones added, then those it no longer has deleted)."""
    assert user["kind"] == "KafkaUser", user["kind"]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    assert user["spec"]["authorization"]["type"] == "simple"
    set_password(admin, user["metadata"]["name"], password)
    principal = f"User:{user['metadata']['name']}"
    every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY,  # type: ignore[arg-type]
                             principal, None, AclOperation.ANY, AclPermissionType.ANY)  # type: ignore[arg-type]
    held = admin.describe_acls(every).result(timeout=ADMIN_TIMEOUT)
    wanted = acl_bindings(user)
    if wanted:  # added before anything is taken away: no moment without the ACLs kept
        for future in admin.create_acls(wanted).values():
            future.result(timeout=ADMIN_TIMEOUT)
    stale = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host,
                              b.operation, b.permission_type) for b in held if b not in wanted]
    if stale:
        for future in admin.delete_acls(stale).values():
            future.result(timeout=ADMIN_TIMEOUT)


Topics = Mapping[str, tuple[int, int, dict[str, str]]]


def create_topics(admin: AdminClient, topics: Topics) -> None:
    """Topics by name: (partitions, replicas, config); one already there is fine."""
    new = [NewTopic(name, partitions, replicas, config=config)
           for name, (partitions, replicas, config) in topics.items()]
    for future in admin.create_topics(new, operation_timeout=ADMIN_TIMEOUT).values():
        try:
            future.result(timeout=ADMIN_TIMEOUT)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise
