"""The container contract: everything the platform gives a service container.

``platform/service.py`` builds each Deployment's environment, volumes, ports and probes from
these definitions, and the service template's settings, Kafka and tracing code are rendered
from the same objects (``scaffold`` passes this module to Jinja as ``contract``), so the two
sides cannot drift. ``tests/test_container_seam.py`` starts each generated service with exactly
the environment and files of its rendered Deployment.

Secrets never travel as environment variables: the platform mounts each Secret read-only and
names the file in a ``*_FILE`` variable; the service reads the file at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["value", "endpoint", "path", "secret"]


@dataclass(frozen=True)
class Env:
    """One environment variable of the contract.

    ``kind`` says how a test may adapt it to a local machine: an ``endpoint`` (host:port or URL)
    may be pointed at a local server, a ``path`` is remapped only under a mounted directory, a
    ``value`` is used as is; a ``secret`` is never set by the platform (local runs only).
    """

    name: str
    meaning: str
    kind: Kind = "value"

    @property
    def field(self) -> str:
        """The settings field that reads it (pydantic-settings matches case-insensitively)."""
        return self.name.lower()


@dataclass(frozen=True)
class SecretMount:
    """A Secret mounted read-only as files; ``env`` names the file of ``key``."""

    volume: str
    directory: str
    key: str
    env: Env

    @property
    def path(self) -> str:
        """The mounted file's path in the container."""
        return f"{self.directory}/{self.key}"


# --- process ------------------------------------------------------------------------------
SERVICE_NAME = Env("SERVICE_NAME", "the service's name (logs, metrics, traces)")
PORT = Env("PORT", "the HTTP port the container listens on")

# --- database -----------------------------------------------------------------------------
DATABASE_URL = Env("DATABASE_URL", "postgresql://user:password@host:5432/db (local runs)",
                   "secret")
DATABASE_URL_FILE = Env("DATABASE_URL_FILE", "file holding the database URL (the platform's)",
                        "path")

# --- Kafka (Strimzi: SASL_SSL + SCRAM-SHA-512, cluster CA from its Secret) -----------------
KAFKA_BOOTSTRAP_SERVERS = Env("KAFKA_BOOTSTRAP_SERVERS", "brokers, host:port[,host:port]",
                              "endpoint")
KAFKA_SECURITY_PROTOCOL = Env("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT (local) or SASL_SSL")
KAFKA_SASL_MECHANISM = Env("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512 with SASL_SSL")
KAFKA_SASL_USERNAME = Env("KAFKA_SASL_USERNAME", "the service's KafkaUser")
KAFKA_SASL_PASSWORD = Env("KAFKA_SASL_PASSWORD", "the KafkaUser's password (local runs)",
                          "secret")
KAFKA_SASL_PASSWORD_FILE = Env("KAFKA_SASL_PASSWORD_FILE",
                               "file holding the KafkaUser's password", "path")
KAFKA_SSL_CAFILE = Env("KAFKA_SSL_CAFILE",
                       "PEM file of the CA that signed the brokers' certificates", "path")
KAFKA_GROUP_ID = Env("KAFKA_GROUP_ID", "the consumer group (the service's name)")

# --- tracing (OTLP over HTTP/protobuf on 4318, one protocol everywhere) --------------------
OTLP_PROTOCOL = "http/protobuf"
OTLP_PORT = 4318
OTLP_TRACES_PATH = "/v1/traces"
OTEL_EXPORTER_OTLP_ENDPOINT = Env("OTEL_EXPORTER_OTLP_ENDPOINT",
                                  f"OTLP/HTTP collector base URL (port {OTLP_PORT}); unset: off",
                                  "endpoint")
OTEL_EXPORTER_OTLP_PROTOCOL = Env("OTEL_EXPORTER_OTLP_PROTOCOL", f"always {OTLP_PROTOCOL}")
OTEL_SERVICE_NAME = Env("OTEL_SERVICE_NAME", "service.name of the spans")

# --- probes, metrics, writable paths -------------------------------------------------------
LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"  # the app's Prometheus endpoint, on PORT
# Istio merges the app's metrics into the sidecar's plain-HTTP endpoint: what Prometheus scrapes.
MESH_METRICS_PORT = 15020
MESH_METRICS_PATH = "/stats/prometheus"
# Ports the Istio sidecar (and its control plane) owns in every pod: Envoy admin 15000, outbound
# 15001, debug 15004, inbound 15006, HBONE 15008/15009, istiod 15010-15017, merged metrics 15020,
# health 15021, DNS 15053, Envoy stats 15090. The app's PORT must be none of them.
SIDECAR_PORTS = range(15000, 15091)
TMP_DIR = "/tmp"  # the only writable path (read-only root file system)

# --- mounted Secrets -----------------------------------------------------------------------
SECRETS_ROOT = "/etc/marketplace"
DATABASE_MOUNT = SecretMount("db", f"{SECRETS_ROOT}/db", "url", DATABASE_URL_FILE)
KAFKA_PASSWORD_MOUNT = SecretMount("kafka-user", f"{SECRETS_ROOT}/kafka-user", "password",
                                   KAFKA_SASL_PASSWORD_FILE)
KAFKA_CA_MOUNT = SecretMount("kafka-ca", f"{SECRETS_ROOT}/kafka-ca", "ca.crt", KAFKA_SSL_CAFILE)
MOUNTS = (DATABASE_MOUNT, KAFKA_PASSWORD_MOUNT, KAFKA_CA_MOUNT)

# --- Kafka security the platform sets -------------------------------------------------------
KAFKA_PROTOCOL = "SASL_SSL"
KAFKA_MECHANISM = "SCRAM-SHA-512"

# --- tokens (the issuer signs; every other service verifies against its JWKS) ------------
# Plain names (str): platform/tokens.py and the template's auth settings use them directly.
# Where the issuer's private keys are mounted: one ``<kid>.pem`` (PKCS#8, ES256) per key.
AUTH_SIGNING_KEYS_DIR = "AUTH_SIGNING_KEYS_DIR"
# Pins the key id that signs (default: the newest key already active; a key id of the form
# KID_FORMAT names when it starts signing). The others stay published until their tokens expire.
AUTH_SIGNING_KID = "AUTH_SIGNING_KID"
KID_FORMAT = "%Y%m%dT%H%M%SZ"
# The issuer's JWK Set, fetched by every other service.
AUTH_JWKS_URL = "AUTH_JWKS_URL"
# The ``iss`` and ``aud`` every token carries and every service checks.
AUTH_JWT_ISSUER = "AUTH_JWT_ISSUER"
AUTH_JWT_AUDIENCE = "AUTH_JWT_AUDIENCE"
AUTH_TOKEN_TTL_SECONDS = "AUTH_TOKEN_TTL_SECONDS"
# The mount path of the signing-key Secret in the issuer's pod (read-only, mode 0440).
SIGNING_KEYS_MOUNT = "/var/run/secrets/marketplace/signing-keys"
# Paths under the issuer's route prefix.
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"

AUTH_ENV = (
    Env(AUTH_SIGNING_KEYS_DIR, "directory of the issuer's <kid>.pem signing keys (mounted)",
        "path"),
    Env(AUTH_SIGNING_KID, "pins the key id that signs (default: the newest active key)"),
    Env(AUTH_JWKS_URL, "the issuer's JWK Set URL (every other service)", "endpoint"),
    Env(AUTH_JWT_ISSUER, "the iss every token carries"),
    Env(AUTH_JWT_AUDIENCE, "the aud every token carries"),
    Env(AUTH_TOKEN_TTL_SECONDS, "token lifetime (the issuer)"),
)

# --- notification channels (a service whose service.yaml ``sends`` sms or push) -----------
# SMS through Amazon SNS: on EKS the credentials come from IRSA (EKS's webhook sets AWS_ROLE_ARN
# and AWS_WEB_IDENTITY_TOKEN_FILE, and AWS_REGION); local runs give a key and an endpoint.
SMS_PROVIDER = Env("SMS_PROVIDER", "sns: SMS through Amazon SNS Publish; off: no SMS")
AWS_REGION = Env("AWS_REGION", "the region of SNS and STS")
AWS_ENDPOINT_URL_SNS = Env("AWS_ENDPOINT_URL_SNS", "SNS endpoint (local runs: the SMS sink)",
                           "endpoint")
AWS_ACCESS_KEY_ID = Env("AWS_ACCESS_KEY_ID", "an access key (local runs; EKS: IRSA)", "secret")
AWS_SECRET_ACCESS_KEY_FILE = Env("AWS_SECRET_ACCESS_KEY_FILE",
                                 "file holding its secret key (local runs)", "path")
# Web Push: the VAPID key pair identifies the application server to the browsers' push services.
VAPID_PRIVATE_KEY_FILE = Env("VAPID_PRIVATE_KEY_FILE", "PEM file of the VAPID P-256 key", "path")
VAPID_SUBJECT = Env("VAPID_SUBJECT", "the VAPID sub claim: mailto: or https: contact")
PUSH_ENDPOINT_HOSTS = Env("PUSH_ENDPOINT_HOSTS",
                          "JSON list of push service hosts subscriptions may point at")
VAPID_MOUNT = SecretMount("vapid", f"{SECRETS_ROOT}/vapid", "private.pem", VAPID_PRIVATE_KEY_FILE)
CHANNEL_ENV = (SMS_PROVIDER, AWS_REGION, AWS_ENDPOINT_URL_SNS, AWS_ACCESS_KEY_ID,
               AWS_SECRET_ACCESS_KEY_FILE, VAPID_PRIVATE_KEY_FILE, VAPID_SUBJECT,
               PUSH_ENDPOINT_HOSTS)
# What the service's role may do to send SMS (a phone number has no ARN: Resource "*").
SMS_IAM_ACTIONS = ("sns:Publish",)

ENV = (
    SERVICE_NAME, PORT, DATABASE_URL, DATABASE_URL_FILE, KAFKA_BOOTSTRAP_SERVERS,
    KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD,
    KAFKA_SASL_PASSWORD_FILE, KAFKA_SSL_CAFILE, KAFKA_GROUP_ID, OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, *AUTH_ENV,
)


def by_name(name: str) -> Env:
    """The contract's variable ``name`` (KeyError if the contract has none)."""
    return {e.name: e for e in (*ENV, *CHANNEL_ENV)}[name]


def otlp_endpoint(host: str) -> str:
    """The OTLP base URL of a collector host (the exporter appends OTLP_TRACES_PATH)."""
    return f"http://{host}:{OTLP_PORT}"
