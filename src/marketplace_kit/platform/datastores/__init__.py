"""Datastores: RDS PostgreSQL (+ DocumentDB on demand) on aws, in-cluster PostgreSQL on local.

Credentials never appear in the program: the RDS master password is generated and kept by AWS
Secrets Manager (``manage_master_user_password``); each service's password is a
``pulumi_random`` secret. Each service gets a Kubernetes Secret ``<service>-db`` (host, port,
dbname, username, password, url). One bootstrap Job creates every service's role and database
idempotently, reading the master password at run time (aws: from Secrets Manager through an
IRSA role; local: from the admin Secret).

One module per part: ``rds`` (RDS PostgreSQL), ``documentdb``, ``aws`` (what those two share),
``local`` (the in-cluster PostgreSQL), ``bootstrap`` (per-service Secrets and the bootstrap Job),
``shared`` (Args, settings, names); the ``Datastores`` component is here, beside its add-on
declaration.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform.datastores.aws import kms_key
from marketplace_kit.platform.datastores.bootstrap import (
    BOOTSTRAP_SQL,
    MASTER_PASSWORD_SED,
    bootstrap_job,
    bootstrap_job_spec,
    bootstrap_network_policy,
    bootstrap_shell,
    service_secrets,
)
from marketplace_kit.platform.datastores.documentdb import documentdb
from marketplace_kit.platform.datastores.local import local_postgres, postgres_statefulset_spec
from marketplace_kit.platform.datastores.rds import rds_postgres
from marketplace_kit.platform.datastores.shared import (
    ADMIN_PASSWORD_FILE,
    BOOTSTRAP,
    JOB_RESOURCES,
    JOB_UID,
    LOCAL_ADMIN_USER,
    MASTER_USER,
    PASSWORDS_DIR,
    POSTGRES_UID,
    DatabaseClient,
    DatastoresArgs,
    DocumentDbSettings,
    PostgresSettings,
)

ADDON = AddOn(
    name="datastores", component="Datastores",
    exports=("Datastores", "DatastoresArgs", "DatabaseClient", "PostgresSettings",
             "DocumentDbSettings"), group="data stores",
    section="datastores", notes="RDS PostgreSQL (one database per service) and DocumentDB",
    needs=("target", "vpc_id", "vpc_cidr", "private_subnet_ids", "node_security_group_id",
           "oidc_provider_arn", "oidc_issuer_url"),
    provides=("secret_names", "ready"), after=("mesh",),
    priced=("aws:rds/instance:Instance", "aws:docdb/cluster:Cluster",
            "aws:docdb/clusterInstance:ClusterInstance", "aws:secretsmanager/secret:Secret"),
)

class Datastores(pulumi.ComponentResource):
    """One PostgreSQL for every service (a database and role each), DocumentDB when asked."""

    def __init__(
        self, name: str, args: DatastoresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:Datastores", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        postgres_clients = [c for c in args.clients if c.kind == "postgres"]
        document_clients = [c for c in args.clients if c.kind == "documentdb"]
        self.secret_names: dict[str, str] = {}
        self.ready: list[pulumi.Resource] = []
        self.instance: aws.rds.Instance | None = None
        self.docdb: aws.docdb.Cluster | None = None
        role: aws.iam.Role | None = None
        if args.foundation.target == "aws":
            self.kms_key = kms_key(args, self)
            rds = rds_postgres(args, self.kms_key, self)
            self.instance, self.master_secret_arn = rds.instance, rds.master_secret_arn
            self.bootstrap_role, engine = rds.bootstrap_role, rds.engine
            role = rds.bootstrap_role
            if document_clients:
                self.docdb, secrets = documentdb(args, document_clients, self.kms_key, self,
                                                 k8s_opts)
                self.secret_names.update(secrets)
        else:
            self.statefulset, engine = local_postgres(args, self, k8s_opts)
        if postgres_clients:
            self.secret_names.update(
                service_secrets(args, postgres_clients, engine.host, self, k8s_opts))
            self.ready.append(bootstrap_job(args, postgres_clients, engine, self.secret_names,
                                            role, self, k8s_opts))
        self.register_outputs({"secrets": self.secret_names})


__all__ = [
    "ADDON",
    "ADMIN_PASSWORD_FILE",
    "BOOTSTRAP",
    "BOOTSTRAP_SQL",
    "JOB_RESOURCES",
    "JOB_UID",
    "LOCAL_ADMIN_USER",
    "MASTER_PASSWORD_SED",
    "MASTER_USER",
    "PASSWORDS_DIR",
    "POSTGRES_UID",
    "DatabaseClient",
    "Datastores",
    "DatastoresArgs",
    "DocumentDbSettings",
    "PostgresSettings",
    "bootstrap_job_spec",
    "bootstrap_network_policy",
    "bootstrap_shell",
    "postgres_statefulset_spec",
]
