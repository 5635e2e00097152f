"""Blueprint presets: the defaults each blueprint lays under the user's marketplace.yaml.

Pure data (no Pulumi import) so config loading stays fast. The user's file is deep-merged over
the preset of the blueprint it names, then validated.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # Cheapest sensible AWS footprint: 2 AZs, one NAT, spot workers, one Kafka broker.
    "dev": {
        "target": "aws",
        "network": {"azs": 2, "nat": "single"},
        "cluster": {
            "on_demand": {"instance_types": ["t3.medium"], "min": 1, "desired": 1, "max": 2},
            "spot": {"instance_types": ["t3.large", "t3a.large", "m5.large"], "min": 1,
                     "desired": 2, "max": 4},
        },
        "eventbus": {"brokers": 1},
        "datastores": {"postgres": {"instance_class": "db.t4g.micro", "multi_az": False}},
        "observability": {"logs": "loki"},
        "mesh": {"gateway_replicas": 1},
    },
    # Highly available: 3 AZs, NAT per AZ, on-demand core nodes, 3 brokers, Multi-AZ RDS.
    "production": {
        "target": "aws",
        "network": {"azs": 3, "nat": "per_az"},
        "cluster": {
            "on_demand": {"instance_types": ["m6i.large"], "min": 3, "desired": 3, "max": 6},
            "spot": {"instance_types": ["m6i.large", "m5.large", "m6a.large"], "min": 0,
                     "desired": 2, "max": 10},
        },
        "eventbus": {"brokers": 3},
        "datastores": {"postgres": {"instance_class": "db.m6g.large", "multi_az": True}},
        "observability": {"logs": "opensearch"},
        "mesh": {"gateway_replicas": 2},
    },
    # An existing kubeconfig context (kind, k3d, minikube): one broker, in-cluster PostgreSQL.
    "local": {
        "target": "local",
        "eventbus": {"brokers": 1},
        "observability": {"logs": "loki"},
        "mesh": {"gateway_replicas": 1},
    },
}

