"""Datastores: RDS PostgreSQL (+ DocumentDB on demand) on aws, in-cluster PostgreSQL on local.

Credentials never appear in the program: the RDS master password is generated and kept by AWS
Secrets Manager (``manage_master_user_password``); each service's password is a
``pulumi_random`` secret. Each service gets a Kubernetes Secret ``<service>-db`` (host, port,
dbname, username, password, url). One bootstrap Job creates every service's role and database
idempotently, reading the master password at run time (aws: from Secrets Manager through an
IRSA role; local: from the admin Secret).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.errors import KitError
from marketplace_kit.platform import iam, versions
from marketplace_kit.platform.meta import NO_SIDECAR, labels, metadata

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

MASTER_USER = "platform_admin"
LOCAL_ADMIN_USER = "postgres"
BOOTSTRAP = "db-bootstrap"
POSTGRES_UID = 999  # the postgres user of the official image (the StatefulSet's data owner)
JOB_UID = 10001  # the bootstrap Job's containers: a high UID, no write access to anything
PASSWORDS_DIR = "/secrets"  # the Job's read-only view of the passwords (one file per database)
ADMIN_PASSWORD_FILE = f"{PASSWORDS_DIR}/postgres-admin"  # local target: the admin's password
JOB_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"},
                 "limits": {"cpu": "200m", "memory": "128Mi"}}

# Idempotent: creates the role and database once, (re)sets the role's password every run.
# Variables: role, db, password (psql -v). The GRANT lets a non-superuser master (RDS, PG16+)
# create a database owned by the role it just created.
BOOTSTRAP_SQL = """\
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \\gexec
SELECT format('GRANT %I TO %I', :'role', current_user) \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \\gexec
"""


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
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class Datastores(pulumi.ComponentResource):
    """One PostgreSQL for every service (a database and role each), DocumentDB when asked."""

    def __init__(
        self, name: str, args: DatastoresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:Datastores", name, None, opts)
        self._args = args
        self._k8s_opts = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        postgres_clients = [c for c in args.clients if c.kind == "postgres"]
        document_clients = [c for c in args.clients if c.kind == "documentdb"]
        self.secret_names: dict[str, str] = {}
        self.ready: list[pulumi.Resource] = []
        self.instance: aws.rds.Instance | None = None
        self.docdb: aws.docdb.Cluster | None = None
        if args.foundation.target == "aws":
            self.kms_key = aws.kms.Key(
                "datastores-key",
                description=f"{args.name} data stores (RDS, DocumentDB) encryption",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                opts=pulumi.ResourceOptions(parent=self),
            )
            host, admin_env, init = self._rds(args)
            if document_clients:
                self._documentdb(args, document_clients)
        else:
            host, admin_env, init = self._local_postgres(args)
        if postgres_clients:
            self._per_service(args, postgres_clients, host)
            self.ready.append(self._bootstrap(args, postgres_clients, host, admin_env, init))
        self.register_outputs({"secrets": self.secret_names})

    # --- aws ----------------------------------------------------------------------------

    @property
    def _protected(self) -> bool:
        return self._args.production and not self._args.lift_deletion_protection

    def _final_snapshot(self, engine: str) -> pulumi.Output[str] | None:
        """A final snapshot name unique per deployment (a second destroy+up+destroy works)."""
        if not self._args.production:
            return None
        suffix = random.RandomId(
            f"{engine}-final-snapshot-suffix", byte_length=4,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return pulumi.Output.concat(f"{self._args.name}-{engine}-final-", suffix.hex)

    def _security_group(self, name: str, port: int) -> aws.ec2.SecurityGroup:
        """A group that admits ``port`` from the cluster's nodes only."""
        f = self._args.foundation
        if f.vpc_id is None or f.node_security_group_id is None:
            raise KitError("target aws needs a Foundation with vpc_id and node_security_group_id")
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=f.vpc_id,
            description=f"{name}: port {port} from the cluster nodes only",
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-nodes",
            security_group_id=group.id,
            referenced_security_group_id=f.node_security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return group

    def _rds(self, args: DatastoresArgs) -> tuple[pulumi.Input[str], list[dict[str, Any]],
                                                   list[dict[str, Any]]]:
        cfg, f = args.postgres, args.foundation
        subnets = aws.rds.SubnetGroup(
            "postgres-subnets",
            name=f"{args.name}-postgres",
            subnet_ids=f.private_subnet_ids,
            description="private subnets",
            opts=pulumi.ResourceOptions(parent=self),
        )
        group = self._security_group("postgres", 5432)
        self.instance = aws.rds.Instance(
            "postgres",
            identifier=f"{args.name}-postgres",
            engine="postgres",
            engine_version=versions.POSTGRES_MAJOR,
            instance_class=cfg.instance_class,
            allocated_storage=cfg.storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.kms_key.arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            publicly_accessible=False,
            username=MASTER_USER,
            manage_master_user_password=True,
            multi_az=cfg.multi_az,
            backup_retention_period=cfg.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=self._protected,
            skip_final_snapshot=not args.production,
            final_snapshot_identifier=self._final_snapshot("postgres"),
            performance_insights_enabled=args.performance_insights,
            performance_insights_kms_key_id=self.kms_key.arn if args.performance_insights
            else None,
            auto_minor_version_upgrade=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret_arn = self.instance.master_user_secrets.apply(lambda s: s[0].secret_arn)
        self.master_secret_arn = secret_arn
        if f.oidc_provider_arn is None or f.oidc_issuer_url is None:
            raise KitError("target aws needs a Foundation with the cluster's OIDC provider")
        self.bootstrap_role, _ = iam.irsa_role(
            "db-bootstrap-role",
            oidc_provider_arn=f.oidc_provider_arn,
            oidc_issuer_url=f.oidc_issuer_url,
            namespace=args.namespace,
            service_account=BOOTSTRAP,
            policy_arns=[],
            parent=self,
        )
        aws.iam.RolePolicy(
            "db-bootstrap-read-master-secret",
            role=self.bootstrap_role.id,
            policy=secret_arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "secretsmanager:GetSecretValue",
                                "Resource": arn,
                            }
                        ],
                    },
                    sort_keys=True,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin_env = [
            {"name": "PGUSER", "value": MASTER_USER},
            {"name": "PGSSLMODE", "value": "require"},
            {"name": "MASTER_SECRET_FILE", "value": "/bootstrap/master.json"},
        ]
        init = [
            {
                "name": "read-master-secret",
                "image": versions.AWS_CLI_IMAGE,
                "command": ["/bin/sh", "-c"],
                "args": [
                    'aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" '
                    "--query SecretString --output text > /bootstrap/master.json"
                ],
                "env": [
                    {"name": "MASTER_SECRET_ARN", "value": secret_arn},
                    {"name": "HOME", "value": "/tmp"},
                ],
                "imagePullPolicy": "Always",
                "securityContext": _restricted(JOB_UID),
                "resources": JOB_RESOURCES,
                "volumeMounts": [
                    {"name": "bootstrap", "mountPath": "/bootstrap"},
                    {"name": "tmp", "mountPath": "/tmp"},
                ],
            }
        ]
        return self.instance.address, admin_env, init

    def _documentdb(self, args: DatastoresArgs, clients: list[DatabaseClient]) -> None:
        cfg = args.documentdb
        subnets = aws.docdb.SubnetGroup(
            "documentdb-subnets",
            name=f"{args.name}-documentdb",
            subnet_ids=args.foundation.private_subnet_ids,
            opts=pulumi.ResourceOptions(parent=self),
        )
        group = self._security_group("documentdb", 27017)
        self.docdb = aws.docdb.Cluster(
            "documentdb",
            cluster_identifier=f"{args.name}-documentdb",
            engine="docdb",
            engine_version=versions.DOCUMENTDB,
            master_username=MASTER_USER,
            manage_master_user_password=True,
            storage_encrypted=True,
            kms_key_id=self.kms_key.arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[group.id],
            backup_retention_period=args.postgres.backup_retention_days,
            deletion_protection=self._protected,
            skip_final_snapshot=not args.production,
            final_snapshot_identifier=self._final_snapshot("documentdb"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for i in range(cfg.instances):
            aws.docdb.ClusterInstance(
                f"documentdb-{i}",
                cluster_identifier=self.docdb.id,
                instance_class=cfg.instance_class,
                opts=pulumi.ResourceOptions(parent=self),
            )
        master_arn = self.docdb.master_user_secrets.apply(lambda s: s[0].secret_arn)
        for client in clients:
            secret = f"{client.name}-docdb"
            k8s.core.v1.Secret(
                secret,
                metadata=metadata(secret, args.namespace, "datastore"),
                string_data={
                    "host": self.docdb.endpoint,
                    "port": "27017",
                    "tls": "true",
                    "master_secret_arn": master_arn,
                },
                opts=self._k8s_opts,
            )
            self.secret_names[client.name] = secret

    # --- local --------------------------------------------------------------------------

    def _local_postgres(self, args: DatastoresArgs) -> tuple[pulumi.Input[str],
                                                             list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
        ns = args.namespace
        password = random.RandomPassword(
            "postgres-admin-password", length=32, special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin = k8s.core.v1.Secret(
            "postgres-admin",
            metadata=metadata("postgres-admin", ns, "datastore"),
            string_data={"username": LOCAL_ADMIN_USER, "password": password.result},
            opts=self._k8s_opts,
        )
        selector = {"app.kubernetes.io/name": "postgres"}
        k8s.core.v1.Service(
            "postgres-service",
            metadata=metadata("postgres", ns, "datastore"),
            spec={
                "selector": selector,
                "ports": [{"name": "tcp-postgres", "port": 5432, "targetPort": 5432}],
            },
            opts=self._k8s_opts,
        )
        k8s.networking.v1.NetworkPolicy(
            "postgres-netpol",
            metadata=metadata("postgres", ns, "datastore"),
            spec={"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress", "Egress"],
                  # The services and the bootstrap Job of this namespace; no egress at all.
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {
                      "app.kubernetes.io/component": "service"}}},
                      {"podSelector": {"matchLabels": {"app.kubernetes.io/name": BOOTSTRAP}}}],
                      "ports": [{"protocol": "TCP", "port": 5432}]}],
                  "egress": []},
            opts=self._k8s_opts,
        )
        self.statefulset = k8s.apps.v1.StatefulSet(
            "postgres",
            metadata=metadata("postgres", ns, "datastore", version=versions.POSTGRES),
            spec=postgres_statefulset_spec(args.postgres.storage_gib),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[admin, *args.depends_on]),
        )
        admin_env: list[dict[str, Any]] = [
            {"name": "PGUSER", "value": LOCAL_ADMIN_USER},
            {"name": "PGSSLMODE", "value": "disable"},
            {"name": "ADMIN_PASSWORD_FILE", "value": ADMIN_PASSWORD_FILE},
        ]
        return f"postgres.{ns}.svc.cluster.local", admin_env, []

    # --- per service --------------------------------------------------------------------

    def _per_service(
        self, args: DatastoresArgs, clients: list[DatabaseClient], host: pulumi.Input[str]
    ) -> None:
        sslmode = "require" if args.foundation.target == "aws" else "disable"
        for client in clients:
            password = random.RandomPassword(
                f"{client.name}-db-password", length=32, special=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            db = client.database

            def connection_url(v: list[Any], db: str = db) -> str:
                return f"postgresql://{db}:{v[1]}@{v[0]}:5432/{db}?sslmode={sslmode}"

            url: pulumi.Output[str] = pulumi.Output.all(host, password.result).apply(
                connection_url
            )
            secret = f"{client.name}-db"
            k8s.core.v1.Secret(
                secret,
                metadata=metadata(secret, args.namespace, "datastore"),
                string_data={
                    "host": host,
                    "port": "5432",
                    "dbname": db,
                    "username": db,
                    "password": password.result,
                    "url": url,  # secret: derived from the generated password
                },
                opts=self._k8s_opts,
            )
            self.secret_names[client.name] = secret

    def _bootstrap(
        self,
        args: DatastoresArgs,
        clients: list[DatabaseClient],
        host: pulumi.Input[str],
        admin_env: list[dict[str, Any]],
        init: list[dict[str, Any]],
    ) -> k8s.batch.v1.Job:
        ns, f = args.namespace, args.foundation
        annotations = None
        if f.target == "aws":
            annotations = {"eks.amazonaws.com/role-arn": self.bootstrap_role.arn}
        account = k8s.core.v1.ServiceAccount(
            BOOTSTRAP,
            metadata=metadata(BOOTSTRAP, ns, "datastore", annotations=annotations),
            # IRSA's web-identity token is a projected volume of its own: no API token needed.
            automount_service_account_token=False,
            opts=self._k8s_opts,
        )
        script = k8s.core.v1.ConfigMap(
            f"{BOOTSTRAP}-sql",
            metadata=metadata(f"{BOOTSTRAP}-sql", ns, "datastore"),
            data={"bootstrap.sql": BOOTSTRAP_SQL},
            opts=self._k8s_opts,
        )
        env = [{"name": "PGHOST", "value": host}, *admin_env]
        passwords = [{"secret": {"name": self.secret_names[c.name],
                                 "items": [{"key": "password", "path": c.database}]}}
                     for c in clients]
        if f.target == "local":
            passwords.append({"secret": {"name": "postgres-admin", "items": [
                {"key": "password", "path": ADMIN_PASSWORD_FILE.rsplit("/", 1)[1]}]}})
        depends = [account, script, *args.depends_on]
        if self.instance is not None:
            depends.append(self.instance)
        if f.target == "local":
            depends.append(self.statefulset)
        k8s.networking.v1.NetworkPolicy(
            f"{BOOTSTRAP}-netpol",
            metadata=metadata(BOOTSTRAP, ns, "datastore"),
            spec=bootstrap_network_policy(f.target == "aws"),
            opts=self._k8s_opts,
        )
        return k8s.batch.v1.Job(
            BOOTSTRAP,
            metadata=metadata(BOOTSTRAP, ns, "datastore"),
            spec=bootstrap_job_spec(clients, env, init, passwords),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )


# Reads the password out of the RDS master secret's JSON ({"username": .., "password": ..});
# RDS-generated passwords contain no double quote.
MASTER_PASSWORD_SED = "sed -n 's/.*\"password\" *: *\"\\([^\"]*\\)\".*/\\1/p'"


def bootstrap_shell(
    clients: list[DatabaseClient], sql: str = "/scripts/bootstrap.sql",
    passwords: str = PASSWORDS_DIR,
) -> str:
    """The Job's script: read the admin password (a file), then one idempotent psql run per
    service with its password read from ``passwords/<database>`` (never an env variable)."""
    lines = [
        "set -eu",
        'if [ -n "${MASTER_SECRET_FILE:-}" ]; then',
        f'  PGPASSWORD=$({MASTER_PASSWORD_SED} "$MASTER_SECRET_FILE")',
        "  export PGPASSWORD",
        "fi",
        'if [ -n "${ADMIN_PASSWORD_FILE:-}" ]; then',
        '  PGPASSWORD=$(cat "$ADMIN_PASSWORD_FILE")',
        "  export PGPASSWORD",
        "fi",
        'until pg_isready -d postgres; do sleep 2; done',
    ]
    for client in clients:
        db = client.database
        lines.append(
            f'psql -v ON_ERROR_STOP=1 -d postgres -v role={db} -v db={db} '
            f'-v password="$(cat {passwords}/{db})" -f {sql}'
        )
    return "\n".join(lines) + "\n"


def _restricted(uid: int = POSTGRES_UID) -> dict[str, Any]:
    """The restricted Pod Security Standard for one container."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def bootstrap_network_policy(aws: bool) -> dict[str, Any]:
    """The Job admits nothing and reaches DNS and PostgreSQL only (on aws also HTTPS: Secrets
    Manager and STS, for the master password through IRSA)."""
    anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    database = anywhere if aws else [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "postgres"}}}]
    egress: list[dict[str, Any]] = [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                       "kube-system"}},
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"to": database, "ports": [{"protocol": "TCP", "port": 5432}]},
    ]
    if aws:
        egress.append({"to": anywhere, "ports": [{"protocol": "TCP", "port": 443}]})
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": BOOTSTRAP}},
            "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": egress}


def bootstrap_job_spec(
    clients: list[DatabaseClient], env: list[dict[str, Any]], init: list[dict[str, Any]],
    passwords: list[dict[str, Any]],
) -> dict[str, Any]:
    """The bootstrap Job: no sidecar (it must complete), restricted pod security (UID 10001),
    read-only root, no API token, the passwords as read-only files (``passwords``: projected
    Secret sources, one ``<database>`` file each)."""
    return {
        "backoffLimit": 6,
        "template": {
            "metadata": {"labels": {**labels(BOOTSTRAP, "datastore"), **NO_SIDECAR}},
            "spec": {
                "serviceAccountName": BOOTSTRAP,
                "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": JOB_UID,
                                    "runAsGroup": JOB_UID, "fsGroup": JOB_UID,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "restartPolicy": "OnFailure",
                "initContainers": init,
                "containers": [
                    {
                        "name": "psql",
                        "image": versions.POSTGRES_IMAGE,
                        "command": ["/bin/sh", "-c", bootstrap_shell(clients)],
                        "env": env,
                        "imagePullPolicy": "Always",
                        "securityContext": _restricted(JOB_UID),
                        "resources": JOB_RESOURCES,
                        "volumeMounts": [
                            {"name": "scripts", "mountPath": "/scripts", "readOnly": True},
                            {"name": "passwords", "mountPath": PASSWORDS_DIR, "readOnly": True},
                            {"name": "bootstrap", "mountPath": "/bootstrap", "readOnly": True},
                            {"name": "tmp", "mountPath": "/tmp"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "scripts", "configMap": {"name": f"{BOOTSTRAP}-sql"}},
                    {"name": "passwords", "projected": {"sources": passwords,
                                                        "defaultMode": 0o440}},
                    {"name": "bootstrap", "emptyDir": {"medium": "Memory"}},
                    {"name": "tmp", "emptyDir": {}},
                ],
            },
        },
    }


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
                        "securityContext": _restricted(),
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
