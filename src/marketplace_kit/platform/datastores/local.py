"""The in-cluster PostgreSQL (target local): a StatefulSet with a generated admin password, a
Service, and a NetworkPolicy that admits the services and the bootstrap Job only."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from marketplace_kit.platform import versions, workload_names
from marketplace_kit.platform.datastores.shared import (
    ADMIN_PASSWORD_FILE,
    BOOTSTRAP,
    LOCAL_ADMIN_USER,
    PASSWORDS_DIR,
    POSTGRES_UID,
    DatastoresArgs,
    Engine,
)
from marketplace_kit.platform.meta import NO_SIDECAR, labels, metadata, restricted_container


def local_postgres(
    args: DatastoresArgs, parent: pulumi.Resource, k8s_opts: pulumi.ResourceOptions
) -> tuple[k8s.apps.v1.StatefulSet, Engine]:
    """The StatefulSet, its admin Secret, Service and NetworkPolicy: (StatefulSet, what the
    bootstrap Job needs)."""
    ns = args.namespace
    password = random.RandomPassword(
        "postgres-admin-password", length=32, special=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    admin = k8s.core.v1.Secret(
        "postgres-admin",
        metadata=metadata(workload_names.POSTGRES_ADMIN, ns, "datastore"),
        string_data={"username": LOCAL_ADMIN_USER, "password": password.result},
        opts=k8s_opts,
    )
    selector = {"app.kubernetes.io/name": "postgres"}
    k8s.core.v1.Service(
        "postgres-service",
        metadata=metadata(workload_names.POSTGRES, ns, "datastore"),
        spec={
            "selector": selector,
            "ports": [{"name": "tcp-postgres", "port": 5432, "targetPort": 5432}],
        },
        opts=k8s_opts,
    )
    k8s.networking.v1.NetworkPolicy(
        "postgres-netpol",
        metadata=metadata(workload_names.POSTGRES, ns, "datastore"),
        spec={"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress", "Egress"],
              # The services and the bootstrap Job of this namespace; no egress at all.
              "ingress": [{"from": [{"podSelector": {"matchLabels": {
                  "app.kubernetes.io/component": "service"}}},
                  {"podSelector": {"matchLabels": {"app.kubernetes.io/name": BOOTSTRAP}}}],
                  "ports": [{"protocol": "TCP", "port": 5432}]}],
              "egress": []},
        opts=k8s_opts,
    )
    statefulset = k8s.apps.v1.StatefulSet(
        "postgres",
        metadata=metadata(workload_names.POSTGRES, ns, "datastore", version=versions.POSTGRES),
        spec=postgres_statefulset_spec(args.postgres.storage_gib),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[admin, *args.depends_on]),
    )
    admin_env: list[dict[str, Any]] = [
        {"name": "PGUSER", "value": LOCAL_ADMIN_USER},
        {"name": "PGSSLMODE", "value": "disable"},
        {"name": "ADMIN_PASSWORD_FILE", "value": ADMIN_PASSWORD_FILE},
    ]
    return statefulset, Engine(f"postgres.{ns}.svc.cluster.local", admin_env, [],
                               ready=statefulset)


def postgres_statefulset_spec(storage_gib: int) -> dict[str, Any]:
    """One in-cluster PostgreSQL (target local): pinned image, non-root, a volume claim."""
    selector = {"app.kubernetes.io/name": "postgres"}
    return {
        "serviceName": "postgres",
        "replicas": 1,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {
                "labels": {**labels("postgres", "datastore", versions.POSTGRES), **NO_SIDECAR}
            },
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {"fsGroup": POSTGRES_UID,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": "postgres",
                        "image": versions.POSTGRES_IMAGE,
                        "imagePullPolicy": "Always",
                        "ports": [{"name": "tcp-postgres", "containerPort": 5432}],
                        "env": [
                            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                            {"name": "POSTGRES_USER", "value": LOCAL_ADMIN_USER},
                            # The official image reads *_FILE: the password stays a file.
                            {"name": "POSTGRES_PASSWORD_FILE", "value": ADMIN_PASSWORD_FILE},
                        ],
                        "readinessProbe": {
                            "exec": {"command": ["pg_isready", "-U", LOCAL_ADMIN_USER]},
                            "periodSeconds": 5,
                        },
                        "livenessProbe": {
                            "exec": {"command": ["pg_isready", "-U", LOCAL_ADMIN_USER]},
                            "periodSeconds": 20,
                            "failureThreshold": 6,
                        },
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "256Mi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                        "securityContext": restricted_container(POSTGRES_UID),
                        "volumeMounts": [
                            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
                            {"name": "run", "mountPath": "/var/run/postgresql"},
                            {"name": "tmp", "mountPath": "/tmp"},
                            {"name": "admin", "mountPath": PASSWORDS_DIR, "readOnly": True},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "run", "emptyDir": {}},
                    {"name": "admin", "secret": {
                        "secretName": "postgres-admin", "defaultMode": 0o440,
                        "items": [{"key": "password", "path": "postgres-admin"}]}},
                    {"name": "tmp", "emptyDir": {}},
                ],
            },
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
                },
            }
        ],
    }
