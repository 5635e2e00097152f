"""config -> Args: the platform's settings as the components' own value types.

The components in ``platform/`` never read the app's config models; a blueprint maps them here.
"""

from __future__ import annotations

from marketplace_kit.config import (
    DocumentDbConfig,
    EventBusConfig,
    ObservabilityConfig,
    PostgresConfig,
    ServiceSpec,
)
from marketplace_kit.platform.datastores import DocumentDbSettings, PostgresSettings
from marketplace_kit.platform.eventbus import KafkaSettings
from marketplace_kit.platform.observability import TelemetrySettings
from marketplace_kit.platform.service import Requests, Scaling, Workload


def kafka(config: EventBusConfig) -> KafkaSettings:
    """The event bus section."""
    return KafkaSettings(brokers=config.brokers, broker_storage_gib=config.broker_storage_gib,
                         partitions=config.partitions, retention_hours=config.retention_hours)


def telemetry(config: ObservabilityConfig) -> TelemetrySettings:
    """The observability section."""
    return TelemetrySettings(logs=config.logs, traces=config.traces,
                             metrics_retention_days=config.metrics_retention_days)


def postgres(config: PostgresConfig) -> PostgresSettings:
    """The datastores.postgres section."""
    return PostgresSettings(instance_class=config.instance_class, storage_gib=config.storage_gib,
                            multi_az=config.multi_az,
                            backup_retention_days=config.backup_retention_days)


def documentdb(config: DocumentDbConfig) -> DocumentDbSettings:
    """The datastores.documentdb section."""
    return DocumentDbSettings(instance_class=config.instance_class, instances=config.instances)


def workload(spec: ServiceSpec) -> Workload:
    """A service.yaml."""
    r, s = spec.resources, spec.replicas
    return Workload(
        name=spec.name, version=spec.version, port=spec.port, datastore=spec.datastore,
        publishes=tuple(spec.publishes), consumes=tuple(spec.consumes),
        replicas=Scaling(min=s.min, max=s.max, cpu_target=s.cpu_target),
        resources=Requests(cpu=r.cpu, memory=r.memory, cpu_limit=r.cpu_limit,
                           memory_limit=r.memory_limit),
        image=spec.image,
        slo=spec.slo.objectives(),
        sends=tuple(spec.sends),
    )
