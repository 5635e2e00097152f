"""Each service's database: its generated password and connection Secret ``<service>-db``, and
the one bootstrap Job that creates every service's role and database idempotently, reading the
admin password at run time (aws: the RDS master secret through IRSA; local: the admin Secret)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from marketplace_kit.platform import namespaces, versions, workload_names
from marketplace_kit.platform.datastores.shared import (
    ADMIN_PASSWORD_FILE,
    BOOTSTRAP,
    JOB_RESOURCES,
    JOB_UID,
    PASSWORDS_DIR,
    DatabaseClient,
    DatastoresArgs,
    Engine,
)
from marketplace_kit.platform.meta import NO_SIDECAR, labels, metadata, restricted_container

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


def service_secrets(
    args: DatastoresArgs, clients: list[DatabaseClient], host: pulumi.Input[str],
    parent: pulumi.Resource, k8s_opts: pulumi.ResourceOptions,
) -> dict[str, str]:
    """A generated password and a Secret ``<service>-db`` (host, port, dbname, username,
    password, url) per client: service -> Secret name."""
    secrets: dict[str, str] = {}
    sslmode = "require" if args.foundation.target == "aws" else "disable"
    for client in clients:
        password = random.RandomPassword(
            f"{client.name}-db-password", length=32, special=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        db = client.database

        def connection_url(v: list[Any], db: str = db) -> str:
            return f"postgresql://{db}:{v[1]}@{v[0]}:5432/{db}?sslmode={sslmode}"

        url: pulumi.Output[str] = pulumi.Output.all(host, password.result).apply(
            connection_url
        )
        secret = f"{client.name}{workload_names.DB_SECRET_SUFFIX}"
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
            opts=k8s_opts,
        )
        secrets[client.name] = secret
    return secrets


def bootstrap_job(
    args: DatastoresArgs, clients: list[DatabaseClient], engine: Engine,
    secret_names: dict[str, str], role: aws.iam.Role | None,
    parent: pulumi.Resource, k8s_opts: pulumi.ResourceOptions,
) -> k8s.batch.v1.Job:
    """The Job (its ServiceAccount, SQL ConfigMap and NetworkPolicy) that creates every
    client's role and database on ``engine``; ``role``: its IRSA role (aws)."""
    ns, f = args.namespace, args.foundation
    annotations = None
    if role is not None:
        annotations = {"eks.amazonaws.com/role-arn": role.arn}
    account = k8s.core.v1.ServiceAccount(
        BOOTSTRAP,
        metadata=metadata(BOOTSTRAP, ns, "datastore", annotations=annotations),
        # IRSA's web-identity token is a projected volume of its own: no API token needed.
        automount_service_account_token=False,
        opts=k8s_opts,
    )
    script = k8s.core.v1.ConfigMap(
        f"{BOOTSTRAP}-sql",
        metadata=metadata(workload_names.DB_BOOTSTRAP_SQL, ns, "datastore"),
        data={"bootstrap.sql": BOOTSTRAP_SQL},
        opts=k8s_opts,
    )
    env = [{"name": "PGHOST", "value": engine.host}, *engine.admin_env]
    passwords = [{"secret": {"name": secret_names[c.name],
                             "items": [{"key": "password", "path": c.database}]}}
                 for c in clients]
    if f.target == "local":
        passwords.append({"secret": {"name": "postgres-admin", "items": [
            {"key": "password", "path": ADMIN_PASSWORD_FILE.rsplit("/", 1)[1]}]}})
    depends = [account, script, *args.depends_on, engine.ready]
    k8s.networking.v1.NetworkPolicy(
        f"{BOOTSTRAP}-netpol",
        metadata=metadata(BOOTSTRAP, ns, "datastore"),
        spec=bootstrap_network_policy(f.target == "aws"),
        opts=k8s_opts,
    )
    return k8s.batch.v1.Job(
        BOOTSTRAP,
        metadata=metadata(BOOTSTRAP, ns, "datastore"),
        spec=bootstrap_job_spec(clients, env, engine.init, passwords),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
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


def bootstrap_network_policy(aws: bool) -> dict[str, Any]:
    """The Job admits nothing and reaches DNS and PostgreSQL only (on aws also HTTPS: Secrets
    Manager and STS, for the master password through IRSA)."""
    anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    database = anywhere if aws else [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "postgres"}}}]
    egress: list[dict[str, Any]] = [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                       namespaces.KUBE_SYSTEM}},
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
                        "securityContext": restricted_container(JOB_UID),
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
