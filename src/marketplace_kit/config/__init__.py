"""Typed configuration: ``marketplace.yaml`` (the platform) and ``services/*/service.yaml``.

One module per section of the files (``network``, ``cluster``, ``gateway``, ``eventbus``,
``datastores``, ``observability``, ``tokens``, ``deploy_access``, ``platform``, ``service``), the
strict base they share (``base``), the presets the blueprints lay under them (``presets``) and the
reading and cross-checks (``loading``). Every public name is importable from here, as before.
Every error names the file, the key and the fix, on one line (``ConfigError``).
"""

from __future__ import annotations

from marketplace_kit.config.base import (
    DNS_LABEL,
    DOCUMENTDB_FIX,
    DOCUMENTDB_REFUSED,
    KEY_ID,
    PLATFORM_FILE,
    PUBLIC_ROUTE,
    REGION_NAME,
    ConfigModel,
    numbers_only,
    refuse_documentdb,
)
from marketplace_kit.config.cluster import (
    DEFAULT_LOG_TYPES,
    MAX_PUBLIC_ACCESS_CIDRS,
    ClusterConfig,
    LogType,
    NodeGroupConfig,
)
from marketplace_kit.config.datastores import (
    DatastoresConfig,
    DocumentDbConfig,
    PostgresConfig,
)
from marketplace_kit.config.deploy_access import (
    DeployAccessConfig,
)
from marketplace_kit.config.eventbus import (
    EventBusConfig,
)
from marketplace_kit.config.gateway import (
    GatewayConfig,
    MeshConfig,
)
from marketplace_kit.config.loading import (
    IMAGE_DIGEST,
    Platform,
    check_digests,
    check_placement,
    check_services,
    default_platform,
    load_platform,
    load_service,
    next_free_port,
    parse_mapping,
    parse_platform,
    parse_service,
    read_yaml,
)
from marketplace_kit.config.network import (
    NetworkConfig,
)
from marketplace_kit.config.observability import (
    ObservabilityConfig,
)
from marketplace_kit.config.platform import (
    PlatformConfig,
)
from marketplace_kit.config.service import (
    Replicas,
    Resources,
    ServiceSpec,
    Slo,
)
from marketplace_kit.config.tokens import (
    TokensConfig,
)
from marketplace_kit.validation.names import SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE

__all__ = [
    "DEFAULT_LOG_TYPES",
    "DNS_LABEL",
    "DOCUMENTDB_FIX",
    "DOCUMENTDB_REFUSED",
    "IMAGE_DIGEST",
    "KEY_ID",
    "MAX_PUBLIC_ACCESS_CIDRS",
    "PLATFORM_FILE",
    "PUBLIC_ROUTE",
    "REGION_NAME",
    "SERVICE_FILE",
    "SERVICE_NAME",
    "ClusterConfig",
    "ConfigModel",
    "DatastoresConfig",
    "DeployAccessConfig",
    "DocumentDbConfig",
    "EventBusConfig",
    "GatewayConfig",
    "LogType",
    "MeshConfig",
    "NetworkConfig",
    "NodeGroupConfig",
    "ObservabilityConfig",
    "Platform",
    "PlatformConfig",
    "PostgresConfig",
    "Replicas",
    "Resources",
    "ServiceSpec",
    "Slo",
    "TokensConfig",
    "check_digests",
    "check_placement",
    "check_services",
    "default_platform",
    "load_platform",
    "load_service",
    "next_free_port",
    "numbers_only",
    "parse_mapping",
    "parse_platform",
    "parse_service",
    "read_yaml",
    "refuse_documentdb",
]
