"""destroy: what holds cloud resources Kubernetes made goes first, then everything else.

Stand-in (the fake `pulumi`): the state is the dev blueprint's (EKS, load balancers, EBS
volumes, RDS), AWS resources pulumi-aws cannot create here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

from marketplace_kit.provision.operations import dependents
from marketplace_kit.provision.teardown import blockers

__all__ = ["kit"]


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit) -> tuple[FakePulumi, Path]:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES, OUTPUTS)
    config = new_platform(tmp_path / "shop")
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    return fake, config


def _names(urns: list[str]) -> set[str]:
    return {u.rsplit("::", 1)[-1] for u in urns}


def test_destroy_releases_load_balancers_volumes_and_kafka_first(
    deployed: tuple[FakePulumi, Path], kit: Kit
) -> None:
    fake, config = deployed
    run = kit(["destroy", "-c", str(config), "--yes", "--json"])
    assert run.code == 0, run.err
    first, second = (c["argv"] for c in fake.engine_calls("destroy"))
    targets = [first[i + 1] for i, a in enumerate(first) if a == "--target"]
    assert _names(targets) == {
        "istio-ingressgateway", "admin-lb", "grafana-data", "events", "order-events"
    }
    assert "--target-dependents" in first
    assert "--target" not in second  # then the full destroy
    phases = run.json()["phases"]
    # catalog-app consumes a topic: released with it (a dependent), not left dangling
    assert phases[0]["changes"] == {"delete": 6}
    assert phases[1]["changes"] == {"delete": len(RESOURCES) + 1 - 6}
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks"
    assert json.loads((stacks / "shop" / "dev.json").read_text())["resources"] == []
    again = kit(["destroy", "-c", str(config), "--yes"])
    assert again.code == 0 and "nothing to destroy" in again.out


def test_destroy_confirmation_names_what_goes_first(
    deployed: tuple[FakePulumi, Path], kit: Kit
) -> None:
    fake, config = deployed
    run = kit(["destroy", "-c", str(config)], stdin="no\n")
    assert run.code == 1 and not fake.engine_calls("destroy")
    assert f"{len(RESOURCES) + 1} resources to delete" in run.err
    assert "deleted first" in run.err and "admin-lb" in run.err


def test_destroy_without_blockers_is_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit
) -> None:
    fake = install(tmp_path, monkeypatch)
    fake.set_program([r for r in RESOURCES[:2]])
    config = new_platform(tmp_path / "shop")
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    run = kit(["destroy", "-c", str(config), "-y"])
    assert run.code == 0 and "3 deleted" in run.out
    assert len(fake.engine_calls("destroy")) == 1


STATE = [
    {"urn": "u:vpc", "type": "aws:ec2/vpc:Vpc"},
    {"urn": "u:prov", "type": "pulumi:providers:kubernetes", "dependencies": ["u:vpc"]},
    {"urn": "u:svc", "type": "kubernetes:core/v1:Service", "provider": "u:prov::id1",
     "outputs": {"spec": {"type": "LoadBalancer"}}},
    {"urn": "u:ip", "type": "kubernetes:core/v1:Service",
     "inputs": {"spec": {"type": "ClusterIP"}}},
    {"urn": "u:ing", "type": "kubernetes:networking.k8s.io/v1:Ingress"},
    {"urn": "u:rel", "type": "kubernetes:helm.sh/v3:Release",
     "inputs": {"chart": "nginx", "values": {"service": {"type": "LoadBalancer"}}}},
    {"urn": "u:dns", "type": "aws:route53/record:Record", "dependencies": ["u:svc"]},
    {"urn": "u:child", "type": "kubernetes:core/v1:ConfigMap", "parent": "u:rel"},
]


def test_blockers_and_their_dependents_from_state() -> None:
    found = blockers(STATE)
    assert [u for u, _ in found] == ["u:svc", "u:ing", "u:rel"]
    assert "load balancer" in found[0][1]
    assert dependents(STATE, ["u:svc", "u:rel"]) == ["u:svc", "u:rel", "u:dns", "u:child"]
    # a provider reference ("urn::id") makes a dependent too
    assert dependents(STATE, ["u:prov"]) == ["u:prov", "u:svc", "u:dns"]


RDS = {"type": "aws:rds/instance:Instance", "name": "postgres",
       "inputs": {"deletionProtection": True, "engine": "postgres"},
       "inputs_when": {"marketplace-kit:liftDeletionProtection=true":
                       {"deletionProtection": False}}}


@pytest.fixture
def protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit) -> tuple[FakePulumi, Path]:
    fake = install(tmp_path, monkeypatch)
    fake.set_program([*RESOURCES[:2], RDS], OUTPUTS)
    config = new_platform(tmp_path / "shop")
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    return fake, config


def test_protected_database_is_not_deleted_without_an_explicit_yes(
    protected: tuple[FakePulumi, Path], kit: Kit
) -> None:
    fake, config = protected
    run = kit(["destroy", "-c", str(config), "--yes"])
    assert run.code == 2 and "deletion protection" in run.err
    assert "--lift-deletion-protection" in run.err
    assert not fake.engine_calls("destroy")  # nothing deleted part-way
    declined = kit(["destroy", "-c", str(config)], stdin="y\nn\n")
    assert "postgres have deletion protection: lift it" in declined.err
    assert declined.code == 2 and not fake.engine_calls("destroy")


def test_lifting_protection_after_confirmation_then_destroy_and_remove(
    protected: tuple[FakePulumi, Path], kit: Kit
) -> None:
    fake, config = protected
    run = kit(["destroy", "-c", str(config), "--yes", "--lift-deletion-protection", "--remove",
               "--json"])
    assert run.code == 0, run.err
    lift = fake.engine_calls("up")[-1]["argv"]
    targets = [lift[i + 1] for i, a in enumerate(lift) if a == "--target"]
    assert [t.rsplit("::", 1)[-1] for t in targets] == ["postgres"]  # only the databases
    assert [p["name"] for p in run.json()["phases"]] == ["unprotect", "destroy"]
    assert run.json()["changes"] == {"delete": 4}  # vpc, eks, postgres, the stack
    assert ["stack", "rm", "--yes", "dev"] in fake.commands()  # the SDK removes it after
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks" / "shop"
    assert not (stacks / "dev.json").exists()  # the emptied stack is gone


def test_counts_leave_out_the_engines_default_providers(
    deployed: tuple[FakePulumi, Path], kit: Kit
) -> None:
    """The state holds default_<version> providers; the engine never counts them."""
    _fake, config = deployed
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks" / "shop"
    state = json.loads((stacks / "dev.json").read_text())["resources"]
    assert any(r["urn"].endswith("::default_7_51_1") for r in state)
    run = kit(["destroy", "-c", str(config)], stdin="n\n")
    assert f"{len(RESOURCES) + 1} resources to delete" in run.err


def test_releases_with_volume_claims_go_first() -> None:
    """Their StatefulSets' claims are EBS volumes only the running CSI driver deletes."""
    state = [
        {"urn": "u:loki", "type": "kubernetes:helm.sh/v3:Release",
         "inputs": {"chart": "loki", "values": {}}},  # single-binary persistence on by default
        {"urn": "u:loki-off", "type": "kubernetes:helm.sh/v3:Release",
         "inputs": {"chart": "loki", "values": {"singleBinary": {"persistence": {
             "enabled": False}}}}},
        {"urn": "u:kps", "type": "kubernetes:helm.sh/v3:Release",
         "inputs": {"chart": "kube-prometheus-stack", "values": {"prometheus": {
             "prometheusSpec": {"storageSpec": {"volumeClaimTemplate": {}}}}}}},
        {"urn": "u:kps-bare", "type": "kubernetes:helm.sh/v3:Release",
         "inputs": {"chart": "kube-prometheus-stack", "values": {}}},
    ]
    found = blockers(state)
    assert [u for u, _ in found] == ["u:loki", "u:kps"]
    assert "volume claims" in found[0][1]
