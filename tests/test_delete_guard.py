"""`up` cannot delete services, databases, topics or the cluster by accident (issue 13).

Against the fake `pulumi` (tests/support/fake_pulumi): a first `up` creates a platform with a
service, its database and its topic; then the program loses them (as a mistyped services_dir
would make it) and `up --yes` must refuse, the prompt must name them, and `--allow-delete` lets
it through.
Stand-in (the fake `pulumi`): the platform's databases are RDS, which cannot be created here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

from marketplace_kit.provision.delete_guard import doomed

__all__ = ["kit"]

SERVICE: list[dict[str, Any]] = [
    {"type": "marketplace-kit:platform:MarketplaceService", "name": "reviews"},
    {"type": "aws:rds/instance:Instance", "name": "reviews-db"},
    {"type": "kubernetes:kafka.strimzi.io/v1:KafkaTopic", "name": "review-events",
     "dependencies": ["events"]},
    {"type": "kubernetes:core/v1:ConfigMap", "name": "reviews-config"},
]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES + SERVICE, OUTPUTS, ["kubeconfig"])
    return fake


@pytest.fixture
def config(tmp_path: Path, fake: FakePulumi, kit: Kit) -> Path:
    """A platform already up with the reviews service, its database and topic."""
    path = new_platform(tmp_path / "shop")
    first = kit(["up", "-c", str(path), "--yes"])
    assert first.code == 0, first.err
    return path


def test_up_yes_refuses_a_plan_that_deletes_a_service_its_database_and_topic(
    fake: FakePulumi, config: Path, kit: Kit
) -> None:
    fake.set_program(RESOURCES, OUTPUTS, ["kubeconfig"])  # the service went missing
    run = kit(["up", "-c", str(config), "--yes"])
    lines = run.err.splitlines()
    assert run.code == 2, run.err
    assert lines[-1].startswith("error: up on stack 'dev' would delete ")
    for named in ("service reviews", "database reviews-db", "topic review-events"):
        assert named in lines[-1]
    assert "reviews-config" not in lines[-1]  # a ConfigMap is not guarded
    assert "fix:" in lines[-1] and "--allow-delete" in lines[-1]
    assert len(fake.engine_calls("up")) == 1  # only the first up ran: nothing deleted


def test_the_prompt_names_what_is_deleted_and_no_keeps_it(
    fake: FakePulumi, config: Path, kit: Kit
) -> None:
    fake.set_program(RESOURCES, OUTPUTS, ["kubeconfig"])
    run = kit(["up", "-c", str(config)], stdin="n\n")
    assert run.code == 1
    assert "THIS DELETES 3" in run.err and "service reviews" in run.err
    assert len(fake.engine_calls("up")) == 1
    yes = kit(["up", "-c", str(config)], stdin="y\n")  # an explicit yes is the confirmation
    assert yes.code == 0, yes.err
    assert len(fake.engine_calls("up")) == 2


def test_allow_delete_lets_it_through_and_says_what_goes(
    fake: FakePulumi, config: Path, kit: Kit
) -> None:
    fake.set_program(RESOURCES, OUTPUTS, ["kubeconfig"])
    run = kit(["up", "-c", str(config), "--yes", "--allow-delete"])
    assert run.code == 0, run.err
    assert "--allow-delete: up deletes" in run.err and "service reviews" in run.err
    assert len(fake.engine_calls("up")) == 2


def test_unguarded_deletions_need_no_flag(fake: FakePulumi, config: Path, kit: Kit) -> None:
    fake.set_program([r for r in RESOURCES + SERVICE if r["name"] != "reviews-config"], OUTPUTS,
                     ["kubeconfig"])
    run = kit(["up", "-c", str(config), "--yes"])
    assert run.code == 0, run.err
    assert "up deletes or replaces 1 resource(s): reviews-config" in run.err  # shown, not asked
    assert len(fake.engine_calls("up")) == 2


def test_replacing_a_database_or_the_cluster_is_guarded_too() -> None:
    stack = "urn:pulumi:dev::shop::"
    planned = {
        "replace": [f"{stack}marketplace-kit:platform:Cluster$aws:eks/cluster:Cluster::eks"],
        "delete-replaced": [f"{stack}aws:rds/instance:Instance::orders-db"],
        "update": [f"{stack}aws:rds/instance:Instance::catalog-db"],
        "delete": [f"{stack}kubernetes:core/v1:ConfigMap::x"],
    }
    assert [str(d) for d in doomed(planned)] == [
        "cluster eks (replace)", "database orders-db (delete-replaced)"]
