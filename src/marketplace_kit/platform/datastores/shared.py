"""What every data-store module shares: names, UIDs, the Args and settings, pod security."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform import workload_names

MASTER_USER = "platform_admin"
LOCAL_ADMIN_USER = "postgres"
BOOTSTRAP = workload_names.DB_BOOTSTRAP
POSTGRES_UID = 999  # the postgres user of the official image (the StatefulSet's data owner)
JOB_UID = 10001  # the bootstrap Job's containers: a high UID, no write access to anything
PASSWORDS_DIR = "/secrets"  # the Job's read-only view of the passwords (one file per database)
ADMIN_PASSWORD_FILE = f"{PASSWORDS_DIR}/postgres-admin"  # local target: the admin's password
JOB_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"},
                 "limits": {"cpu": "200m", "memory": "128Mi"}}


@dataclass(frozen=True)
class DatabaseClient:
    """A service and the kind of store it asked for.

    Attributes:
        name: Service name (its database, role and Secret).
        kind: ``postgres`` or ``documentdb``.
    """

    name: str
    kind: Literal["postgres", "documentdb"]

    @property
    def database(self) -> str:
        """Its database and role name (a SQL identifier)."""
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class PostgresSettings:
    """The shared PostgreSQL: RDS on aws, a StatefulSet on local.

    Attributes:
        instance_class: RDS instance class (aws).
        storage_gib: Allocated storage (RDS) or volume size (local), 20 or more.
        multi_az: A standby in a second availability zone (aws).
        backup_retention_days: Automated backups kept (1 to 35; DocumentDB uses it too).
    """

    instance_class: str = "db.t4g.medium"
    storage_gib: int = 20
    multi_az: bool = False
    backup_retention_days: int = 7


@dataclass(frozen=True)
class DocumentDbSettings:
    """Amazon DocumentDB, created only when a client asks for ``documentdb``.

    Attributes:
        instance_class: DocumentDB instance class.
        instances: Instances in the cluster (1 to 16).
    """

    instance_class: str = "db.t4g.medium"
    instances: int = 1


@dataclass
class DatastoresArgs:
    """Options of the data stores.

    Attributes:
        foundation: The cluster below (target, VPC, subnets, node security group, OIDC).
        namespace: Where the per-service Secrets and the bootstrap Job live.
        clients: Services and the store each asked for.
        postgres: The shared PostgreSQL.
        documentdb: DocumentDB, created only when a client asks for it.
        name: Prefix of the AWS resource names.
        production: Deletion protection and final snapshots (named uniquely per deployment).
        lift_deletion_protection: Turn deletion protection off (only after the user confirmed
            a destroy: ``marketplace-kit destroy`` sets it for the run before the destroy).
        performance_insights: RDS Performance Insights.
        deployers: Who may use the data stores' key directly besides RDS (the platform's
            admins or its deployer; see ``principals.key_users``).
        depends_on: What must exist first (the namespace).
    """

    foundation: Foundation
    namespace: str
    clients: list[DatabaseClient]
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    documentdb: DocumentDbSettings = field(default_factory=DocumentDbSettings)
    name: str = "marketplace"
    production: bool = False
    lift_deletion_protection: bool = False
    performance_insights: bool = False
    deployers: list[str] = field(default_factory=list)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


@dataclass
class Engine:
    """What a PostgreSQL engine hands the bootstrap Job: where it is and how to log in.

    Attributes:
        host: The server's host name.
        admin_env: The Job's admin login variables (user, TLS mode, where the password is).
        init: Init containers that fetch the admin password first (aws: from Secrets Manager).
        ready: What must exist before the Job runs (the instance or the StatefulSet).
    """

    host: pulumi.Input[str]
    admin_env: list[dict[str, Any]]
    init: list[dict[str, Any]]
    ready: pulumi.Resource
