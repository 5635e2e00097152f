"""Pulumi ComponentResources for the marketplace platform, one layer per module.

Imports are lazy: ``from marketplace_kit.platform import Network`` loads pulumi-aws only then.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Network": "network",
    "NetworkArgs": "network",
    "Cluster": "cluster",
    "ClusterArgs": "cluster",
    "LocalCluster": "cluster",
    "LocalClusterArgs": "cluster",
    "NodeGroupArgs": "cluster",
    "ServiceMesh": "mesh",
    "ServiceMeshArgs": "mesh",
    "ApiGateway": "gateway",
    "ApiGatewayArgs": "gateway",
    "Route": "gateway",
    "EventBus": "eventbus",
    "EventBusArgs": "eventbus",
    "KafkaClient": "eventbus",
    "Datastores": "datastores",
    "DatastoresArgs": "datastores",
    "DatabaseClient": "datastores",
    "Observability": "observability",
    "ObservabilityArgs": "observability",
    "MarketplaceService": "service",
    "MarketplaceServiceArgs": "service",
    "KafkaAccess": "service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'marketplace_kit.platform' has no attribute {name!r}")
    return getattr(importlib.import_module(f"marketplace_kit.platform.{module}"), name)
