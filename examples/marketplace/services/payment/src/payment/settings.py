"""Settings from the environment (pydantic-settings); every variable is documented in README.md.

The names are the kit's container contract (``marketplace_kit.contract.container``): the platform's
Deployment sets exactly these. Secrets arrive as read-only files named by ``*_FILE`` variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from payment import token_cache


def read_secret_file(path: Path) -> str:
    """A mounted secret's value (surrounding whitespace stripped)."""
    return path.read_text(encoding="utf-8").strip()


class Settings(BaseSettings):
    """Configuration of payment, read from environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "payment"
    host: str = "0.0.0.0"  # the container's port is what the platform exposes
    port: int = 8004
    route_prefix: str = "/payment"
    log_level: str = "INFO"
    shutdown_timeout: float = Field(10.0, description="seconds to drain on SIGTERM")
    request_timeout: float = Field(
        10.0, gt=0, description="seconds a request may take before it is answered with 504"
    )
    max_concurrent_requests: int = Field(
        100, ge=1, description="requests in progress; one more is answered 503 at once"
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector base URL (port 4318); unset: off"
    )
    auth_jwks_url: str | None = Field(
        None, description="the issuer's JWK Set (public keys); unset: auth off (see auth.py)"
    )
    auth_jwt_issuer: str = Field("marketplace", description="the iss claim tokens must carry")
    auth_jwt_audience: str = Field("marketplace", description="the aud claim tokens must carry")
    auth_jwks_cache_seconds: float = Field(300.0, gt=0, description="JWK Set cache lifetime")
    auth_jwks_cooldown_seconds: float = Field(
        10.0, ge=0, description="least seconds between refetches on an unknown key id"
    )
    auth_jwks_timeout: float = Field(5.0, gt=0, description="seconds to fetch the JWK Set")
    auth_token_cache_size: int = Field(
        token_cache.DEFAULT_SIZE, ge=0,
        description="verified tokens remembered (signature checked once per token; 0: none)",
    )
    auth_crud_roles: list[str] = Field(
        default_factory=lambda: ["admin"], description="roles the entity API accepts (auth on)"
    )
    database_url: str = Field(
        "", description="postgresql://user:password@host:5432/db (local runs)"
    )
    database_url_file: Path | None = Field(
        None, description="file holding the database URL (the platform's)"
    )
    db_pool_min_size: int = 2
    db_pool_max_size: int = 10
    db_connect_timeout: float = Field(
        5.0, gt=0, description="seconds to open a connection before answering 503"
    )
    db_statement_timeout: float = Field(
        5.0, gt=0, description="seconds a statement (lock waits included) may run: then 503"
    )
    db_acquire_timeout: float = Field(
        2.0, gt=0, description="seconds to wait for a pooled connection: then 503"
    )
    migrate_on_start: bool = True
    idempotency_key_hours: int = Field(
        24, ge=1, description="how long an Idempotency-Key's first response is replayed"
    )
    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_enable_idempotence: bool = Field(
        True, description="idempotent producer; turn off only for brokers without InitProducerId"
    )
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_sasl_password_file: Path | None = Field(
        None, description="file holding the KafkaUser's password"
    )
    kafka_ssl_cafile: Path | None = Field(
        None, description="PEM file of the CA that signed the brokers' certificates"
    )
    kafka_request_timeout_ms: int = 10000
    relay_batch_size: int = Field(100, ge=1, le=1000)
    relay_poll_interval: float = Field(0.5, gt=0, description="seconds between outbox polls")
    relay_linger: float = Field(0.02, ge=0, description="seconds to gather a batch after a wake")
    outbox_retention_hours: int = Field(24, ge=1, description="sent events kept for audit")
    kafka_group_id: str = "payment"
    consumer_max_attempts: int = Field(3, ge=1, description="tries before the dead-letter topic")
    consumer_retry_backoff: float = Field(0.5, ge=0, description="first retry delay, doubled")
    consumer_max_backoff: float = Field(
        10.0, gt=0, description="longest pause between retries while a dependency is down"
    )
    consumer_event_timeout: float = Field(
        30.0, gt=0, description="seconds one event's handling may take: then retried as an outage"
    )

    @model_validator(mode="after")
    def _secret_files(self) -> Settings:
        """Read the secrets the platform mounts as files (a file wins over a plain value)."""
        if self.database_url_file is not None:
            self.database_url = read_secret_file(self.database_url_file)
        if not self.database_url:
            raise ValueError("set DATABASE_URL or DATABASE_URL_FILE")
        if self.kafka_sasl_password_file is not None:
            self.kafka_sasl_password = SecretStr(
                read_secret_file(self.kafka_sasl_password_file)
            )
        return self
