"""The object names the platform itself gives in the workload namespace, where every service's
objects live too: one definition, read by the components that create them and by the config,
which refuses a service whose objects would take one of these names. Pure data.

A service ``<name>`` has objects named ``<name>`` (Deployment, Service, ServiceAccount, policies,
route, its KafkaUser and that user's Secret) and ``<name><suffix>`` for each suffix below.
"""

from __future__ import annotations

POSTGRES = "postgres"  # target local: StatefulSet, Service and NetworkPolicy of the database
POSTGRES_ADMIN = "postgres-admin"  # target local: the database's admin Secret
DB_BOOTSTRAP = "db-bootstrap"  # the Job creating each service's database, its SA and policy
DB_BOOTSTRAP_SQL = f"{DB_BOOTSTRAP}-sql"  # its script (ConfigMap)
API_DOCS = "api-docs"  # the API document server (gateway.api_docs)
API_DOCS_CONFIG_MAPS = tuple(f"{API_DOCS}-{part}" for part in ("site", "assets", "nginx"))
KAFKA_CLUSTER = "events"  # the Kafka resource; Strimzi names what it creates "<cluster>-..."
KAFKA_POD_MONITOR = "kafka-resources"  # the brokers' and exporter's PodMonitor
KAFKA_NODE_POOLS = ("controller", "broker")  # KafkaNodePools, named after their Strimzi roles

# What a service's own stack names its objects: <name>, its dashboard, its VAPID key Secret.
STACK_SUFFIXES = ("", "-dashboard", "-vapid")
DB_SECRET_SUFFIX = "-db"  # the platform's Secret with the service's database credentials
SIGNING_KEYS_SUFFIX = "-signing-keys"  # the token issuer's keys (a platform Secret)
SERVICE_SUFFIXES = (*STACK_SUFFIXES, DB_SECRET_SUFFIX, SIGNING_KEYS_SUFFIX)

FIXED = frozenset((POSTGRES, POSTGRES_ADMIN, DB_BOOTSTRAP, DB_BOOTSTRAP_SQL, API_DOCS,
                   *API_DOCS_CONFIG_MAPS, KAFKA_CLUSTER, KAFKA_POD_MONITOR,
                   *KAFKA_NODE_POOLS))
# Strimzi's derived names (<cluster>-kafka, -kafka-bootstrap, -entity-operator, -broker, ...).
DERIVED_PREFIX = f"{KAFKA_CLUSTER}-"


def service_objects(service: str) -> tuple[str, ...]:
    """Every object name of a service ``service`` in the workload namespace."""
    return tuple(f"{service}{suffix}" for suffix in SERVICE_SUFFIXES)


def taken_by_platform(service: str) -> str | None:
    """What of the platform's a service named ``service`` would collide with (None: nothing)."""
    if service in FIXED:
        return f"the platform's own {service!r} objects in the workload namespace"
    if service.startswith(DERIVED_PREFIX):
        return (f"the objects Strimzi names {DERIVED_PREFIX}* after the Kafka cluster "
                f"{KAFKA_CLUSTER!r}")
    return None
