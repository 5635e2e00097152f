"""`marketplace-kit bootstrap`: the state bucket and secrets key, planned offline and deployed
through the Automation API path (against the fake `pulumi`); `up`/`preview` refuse a file
backend on CI unless --backend says so.

Stand-in (the fake `pulumi`): the bootstrap stack is an S3 bucket and a KMS key made by
pulumi-aws, which cannot be built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import Kit, fake_program, kit, new_platform

from marketplace_kit.bootstrap.backend import backend_url, bucket_name
from marketplace_kit.bootstrap.program import plan_bootstrap
from marketplace_kit.config import load_platform
from marketplace_kit.plan.fakes import FAKE_ACCOUNT
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph

__all__ = ["kit"]
BUCKET = f"shop-state-{FAKE_ACCOUNT}-eu-west-1"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return new_platform(tmp_path / "shop")


@pytest.fixture
def graph(config: Path) -> ResourceGraph:
    return plan_bootstrap(load_platform(config))


def one(graph: ResourceGraph, type_: str) -> PlannedResource:
    (found,) = graph.of_type(type_)
    return found


def test_the_plan_is_a_private_versioned_encrypted_tls_only_bucket_and_rotating_keys(
    graph: ResourceGraph,
) -> None:
    keys = {r.name: r for r in graph.of_type("aws:kms/key:Key")}
    assert sorted(keys) == ["shop-key", "shop-state-key"]  # platform secrets, state objects
    assert all(k.inputs["enableKeyRotation"] is True and k.inputs["policy"]
               for k in keys.values())
    key = keys["shop-state-key"]
    aliases = {r.inputs["name"]: r for r in graph.of_type("aws:kms/alias:Alias")}
    assert sorted(aliases) == ["alias/shop-pulumi", "alias/shop-state"]
    alias = aliases["alias/shop-state"]
    bucket = one(graph, "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == BUCKET and bucket.inputs["forceDestroy"] is False
    versioning = one(graph, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    sse = one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:"
                     "BucketServerSideEncryptionConfiguration")
    (rule,) = sse.inputs["rules"]
    by_default = rule["applyServerSideEncryptionByDefault"]
    assert by_default["sseAlgorithm"] == "aws:kms" and rule["bucketKeyEnabled"] is False
    assert key.urn in sse.dependencies and by_default["kmsMasterKeyId"].startswith("arn:aws:kms:")
    block = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[k] is True for k in (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = one(graph, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    policy = one(graph, "aws:s3/bucketPolicy:BucketPolicy")
    (deny,) = json.loads(policy.inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2 and deny["Resource"][1].endswith("/*")
    assert block.urn in policy.dependencies
    lifecycle = one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] == 90
    for resource in (versioning, sse, block, ownership, policy, lifecycle):
        assert bucket.urn in resource.dependencies, resource.name
    assert {r.type for r in graph if r.custom} == {
        key.type, alias.type, bucket.type, versioning.type, sse.type, block.type,
        ownership.type, policy.type, lifecycle.type}


def test_bucket_names_fit_s3_limits() -> None:
    long = bucket_name("a" * 40, FAKE_ACCOUNT, "ap-southeast-2")
    assert len(long) <= 63 and long.endswith(f"-state-{FAKE_ACCOUNT}-ap-southeast-2")
    assert backend_url(BUCKET, "eu-west-1") == f"s3://{BUCKET}?region=eu-west-1"


def test_bootstrap_plan_cli_is_offline_json(config: Path, kit: Kit) -> None:
    run = kit(["bootstrap", "--config", str(config), "--plan", "--format", "json"])
    assert run.code == 0, run.err
    types = {r["type"] for r in run.json()["resources"]}
    assert "aws:s3/bucket:Bucket" in types and "aws:kms/key:Key" in types
    assert kit(["bootstrap", "--help"]).code == 0


def test_bootstrap_refuses_the_local_target(tmp_path: Path, kit: Kit) -> None:
    config = new_platform(tmp_path / "local", blueprint="local")
    run = kit(["bootstrap", "--config", str(config), "--plan"])
    assert run.code == 2 and run.err.startswith("error: bootstrap: target 'local'")
    assert run.err.count("\n") == 1 and "fix:" in run.err


def test_bootstrap_up_creates_its_own_stack_and_prints_the_variables(
    config: Path, graph: ResourceGraph, kit: Kit, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake: FakePulumi = install(tmp_path, monkeypatch)
    url = backend_url(BUCKET, "eu-west-1")
    provider = "awskms://alias/shop-pulumi?region=eu-west-1"
    state_key = "arn:aws:kms:eu-west-1:1:key/state"
    fake.set_program(fake_program(graph), {"backend_url": url, "secrets_provider": provider,
                                           "bucket": BUCKET, "state_key_arn": state_key})
    run = kit(["bootstrap", "--config", str(config), "--yes"])
    assert run.code == 0, run.err
    assert f"PULUMI_BACKEND_URL={url}" in run.out
    assert f"PULUMI_SECRETS_PROVIDER={provider}" in run.out
    assert f"deploy_access.state_bucket: {BUCKET}" in run.out
    assert f"deploy_access.state_key_arn: {state_key}" in run.out
    state = config.parent / ".marketplace-kit/state/.pulumi/stacks/shop-bootstrap/bootstrap.json"
    assert state.is_file()  # project <platform>-bootstrap, stack bootstrap: beside, not over
    assert ["stack", "init", "bootstrap", "--secrets-provider", "passphrase"] in fake.commands()
    again = kit(["bootstrap", "--config", str(config), "--yes"])
    assert again.code == 0 and f"PULUMI_BACKEND_URL={url}" in again.out
    assert len(fake.engine_calls("up")) == 1  # nothing to do the second time


@pytest.mark.parametrize("command", ["up", "preview", "bootstrap"])
def test_ci_refuses_the_default_file_backend(
    command: str, config: Path, kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = install(tmp_path, monkeypatch)
    monkeypatch.setenv("CI", "true")
    run = kit([command, "--config", str(config), "--yes"][: 3 if command == "preview" else 4])
    assert run.code == 2 and run.err.startswith("error: CI=true and no --backend"), run.err
    assert run.err.count("\n") == 1 and "fix:" in run.err
    assert fake.calls() == [] and not (config.parent / ".marketplace-kit").exists()


def test_ci_takes_an_explicit_backend(
    config: Path, kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = install(tmp_path, monkeypatch)
    monkeypatch.setenv("CI", "true")
    state = tmp_path / "kept-state"
    run = kit(["preview", "--config", str(config), "--backend", f"file://{state}"])
    assert run.code == 0, run.err
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in fake.calls() if c["argv"] != ["version"]} == {
        f"file://{state}"}
