"""Datastores under the mocks (RDS, DocumentDB, in-cluster PostgreSQL, per-service Secrets) and
the bootstrap script for real against PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pulumi
import pytest
from support.incluster import depends_on, fake_foundation, plan, validate_all

from marketplace_kit.devenv import Postgres
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK
from marketplace_kit.platform import versions
from marketplace_kit.platform.datastores import (
    BOOTSTRAP_SQL,
    MASTER_PASSWORD_SED,
    DatabaseClient,
    Datastores,
    DatastoresArgs,
    PostgresSettings,
    bootstrap_shell,
)
from marketplace_kit.platform.meta import NO_SIDECAR

CLIENTS = [DatabaseClient("order", "postgres"), DatabaseClient("user-profile", "postgres")]


def _graph(target: str = "aws", production: bool = False,
           clients: list[DatabaseClient] = CLIENTS, lift: bool = False) -> ResourceGraph:
    def body() -> None:
        foundation = fake_foundation(target)  # type: ignore[arg-type]
        Datastores(
            "datastores",
            DatastoresArgs(
                foundation=foundation, namespace="shop", clients=clients,
                postgres=PostgresSettings(multi_az=production), production=production,
                performance_insights=production, lift_deletion_protection=lift,
            ),
            pulumi.ResourceOptions(providers=[foundation.provider]),
        )

    return plan(body)


@pytest.fixture(scope="module")
def dev() -> ResourceGraph:
    return _graph()


def test_rds_is_private_encrypted_and_keeps_no_password(dev: ResourceGraph) -> None:
    (rds,) = dev.of_type("aws:rds/instance:Instance")
    inputs = rds.inputs
    # the major only: AWS's automatic minor upgrades must not make the next up a downgrade
    assert inputs["engine"] == "postgres" and inputs["engineVersion"] == "17"
    assert inputs["autoMinorVersionUpgrade"] is True
    assert versions.POSTGRES.startswith(inputs["engineVersion"] + ".")
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/datastores-key"
    assert inputs["publiclyAccessible"] is False
    assert inputs["manageMasterUserPassword"] is True and "password" not in inputs
    assert inputs["dbSubnetGroupName"] == "marketplace-postgres"
    assert dev.named("postgres-subnets").inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    assert inputs["backupRetentionPeriod"] == 7
    assert inputs["deletionProtection"] is False and inputs["multiAz"] is False
    rule = dev.named("postgres-from-nodes").inputs
    assert rule["referencedSecurityGroupId"] == "sg-nodes"
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (5432, 5432, "tcp")
    assert "cidrIpv4" not in rule


def test_production_protects_the_database() -> None:
    graph = _graph(production=True, clients=[*CLIENTS, DatabaseClient("c", "documentdb")])
    (rds,) = graph.of_type("aws:rds/instance:Instance")
    assert rds.inputs["deletionProtection"] is True and rds.inputs["skipFinalSnapshot"] is False
    assert rds.inputs["multiAz"] is True and rds.inputs["performanceInsightsEnabled"] is True
    # a final snapshot name of its own per deployment: destroy, up, destroy does not collide
    suffixes = {r.name: r for r in graph.of_type("random:index/randomId:RandomId")}
    assert set(suffixes) == {"postgres-final-snapshot-suffix", "documentdb-final-snapshot-suffix"}
    assert rds.inputs["finalSnapshotIdentifier"].startswith("marketplace-postgres-final-")
    assert rds.inputs["finalSnapshotIdentifier"] != "marketplace-postgres-final-"
    assert suffixes["postgres-final-snapshot-suffix"].urn in rds.dependencies
    (docdb,) = graph.of_type("aws:docdb/cluster:Cluster")
    assert docdb.inputs["deletionProtection"] is True
    assert docdb.inputs["finalSnapshotIdentifier"].startswith("marketplace-documentdb-final-")


def test_deletion_protection_lifted_only_when_asked() -> None:
    graph = _graph(production=True, lift=True,
                   clients=[*CLIENTS, DatabaseClient("c", "documentdb")])
    (rds,) = graph.of_type("aws:rds/instance:Instance")
    (docdb,) = graph.of_type("aws:docdb/cluster:Cluster")
    assert rds.inputs["deletionProtection"] is False and docdb.inputs["deletionProtection"] is False
    assert rds.inputs["skipFinalSnapshot"] is False  # the final snapshot is still taken
    # and the key under it stays: a snapshot whose KMS key is deleted cannot be restored
    (key,) = graph.of_type("aws:kms/key:Key")
    assert key.retain_on_delete is True
    assert rds.inputs["kmsKeyId"].endswith(f"key/{key.name}")


def test_without_final_snapshots_the_key_goes_with_the_stores(dev: ResourceGraph) -> None:
    (rds,) = dev.of_type("aws:rds/instance:Instance")
    assert rds.inputs["skipFinalSnapshot"] is True
    (key,) = dev.of_type("aws:kms/key:Key")
    assert key.retain_on_delete is False


def test_documentdb_only_when_asked(dev: ResourceGraph) -> None:
    assert not dev.of_type("aws:docdb/cluster:Cluster")
    graph = _graph(clients=[*CLIENTS, DatabaseClient("catalog", "documentdb")])
    (docdb,) = graph.of_type("aws:docdb/cluster:Cluster")
    assert docdb.inputs["storageEncrypted"] is True
    assert docdb.inputs["manageMasterUserPassword"] is True
    assert graph.named("documentdb-from-nodes").inputs["fromPort"] == 27017
    assert set(graph.named("catalog-docdb").inputs["stringData"].values()) == {SECRET_MASK}


def test_per_service_secrets_hold_no_plaintext(dev: ResourceGraph) -> None:
    for name in ("order-db", "user-profile-db"):
        secret = dev.named(name)
        assert set(secret.inputs["stringData"].values()) == {SECRET_MASK}  # key names only
        assert secret.inputs["metadata"]["namespace"] == "shop"
    text = dev.to_json()
    assert "fake-password-" not in text  # the generated passwords never reach the plan
    assert all(r.inputs.get("result") in (None, SECRET_MASK)
               for r in dev.of_type("random:index/randomPassword:RandomPassword"))


def test_bootstrap_job_reads_the_master_secret_at_run_time(dev: ResourceGraph) -> None:
    job = dev.named("db-bootstrap", "kubernetes:batch/v1:Job")
    pod = job.inputs["spec"]["template"]
    assert pod["metadata"]["labels"].items() >= NO_SIDECAR.items()
    (init,) = pod["spec"]["initContainers"]
    assert init["image"] == versions.AWS_CLI_IMAGE
    arn = {e["name"]: e.get("value") for e in init["env"]}["MASTER_SECRET_ARN"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!")
    (psql,) = pod["spec"]["containers"]
    assert all("valueFrom" not in e for c in (psql, init) for e in c["env"])  # no secret in env
    (passwords,) = [v["projected"] for v in pod["spec"]["volumes"] if v["name"] == "passwords"]
    assert passwords["sources"][0]["secret"] == {
        "name": "order-db", "items": [{"key": "password", "path": "order"}]}
    assert {"name": "passwords", "mountPath": "/secrets", "readOnly": True} in psql["volumeMounts"]
    security = pod["spec"]["securityContext"]
    assert security["runAsNonRoot"] and security["runAsUser"] >= 10000
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert all(c["resources"]["limits"] and c["securityContext"]["readOnlyRootFilesystem"]
               for c in (psql, init))
    account = dev.named("db-bootstrap", "kubernetes:core/v1:ServiceAccount").inputs
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]
    policy = dev.named("db-bootstrap-read-master-secret").inputs["policy"]
    assert "secretsmanager:GetSecretValue" in policy
    assert depends_on(dev, job, dev.named("postgres", "aws:rds/instance:Instance"))
    assert validate_all(dev) == 6  # 2 Secrets, ServiceAccount, ConfigMap, NetworkPolicy, Job


def test_local_target_runs_postgres_in_the_cluster() -> None:
    graph = _graph("local")
    assert not [r for r in graph if r.type.startswith("aws:")]
    sts = graph.named("postgres", "kubernetes:apps/v1:StatefulSet").inputs["spec"]
    (container,) = sts["template"]["spec"]["containers"]
    assert container["image"] == versions.POSTGRES_IMAGE
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert sts["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert graph.named("postgres-admin").inputs["stringData"] == {
        "password": SECRET_MASK, "username": SECRET_MASK}
    job = graph.named("db-bootstrap", "kubernetes:batch/v1:Job").inputs["spec"]["template"]
    assert job["spec"]["initContainers"] == []
    assert "fake-password-" not in graph.to_json()
    validate_all(graph)


def _sh(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_master_password_is_read_from_the_secret_json(tmp_path: Path) -> None:
    secret = tmp_path / "master.json"
    secret.write_text('{"username":"platform_admin","password":"a1B-2c_3:D!e"}')
    done = _sh(f'{MASTER_PASSWORD_SED} "$F"', {"F": str(secret), "PATH": os.environ["PATH"]})
    assert done.stdout.strip() == "a1B-2c_3:D!e"


def test_bootstrap_creates_roles_and_databases_idempotently(
    postgres: Postgres, tmp_path: Path
) -> None:
    sql = tmp_path / "bootstrap.sql"
    sql.write_text(BOOTSTRAP_SQL)
    env = {
        "PATH": f"{postgres.bin_dir}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PGUSER": "postgres",
    }
    passwords = tmp_path / "secrets"
    passwords.mkdir()
    (passwords / "order").write_text("first-secret")
    (passwords / "user_profile").write_text("other-secret")
    script = bootstrap_shell(CLIENTS, sql=str(sql), passwords=str(passwords))
    for _ in range(2):  # a re-run (new service, changed password) must not fail
        done = _sh(script, env)
        assert done.returncode == 0, done.stderr
    query = ("SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r "
             "ON r.oid = d.datdba WHERE d.datname IN ('order', 'user_profile') ORDER BY 1")
    out = _sh(f'psql -At -d postgres -c "{query}"', env).stdout.split()
    assert out == ["order|order", "user_profile|user_profile"]
    public = _sh("psql -At -d postgres -c \"SELECT has_database_privilege('public', "
                 "'order', 'CONNECT')\"", env).stdout.strip()
    assert public == "f"
