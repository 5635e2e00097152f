"""`destroy-service DIR` through the CLI: bad targets are one `error:` line (exit 2) before any
engine call; it asks as the platform's `destroy` does (a "no" destroys nothing) and then
destroys only the service's own stack.

Stand-in (the fake `pulumi`): the prompt and the refusals need no engine; the real engine with
a real StackReference and kube-apiserver: tests/test_engine_destroy_service.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import assert_one_error_line
from support.fake_pulumi.harness import install
from support.provision import Kit, kit, platform_with_order, refused_before_the_engine

__all__ = ["kit"]


def _platform(tmp_path: Path, service_stacks: bool = True) -> Path:
    """A local platform (no cluster API check) with one generated service, ``order``."""
    return platform_with_order(tmp_path / "shop", "local", service_stacks)


def _destroy(config: Path, directory: Path, cwd: Path) -> tuple[int, str]:
    return refused_before_the_engine("destroy-service", directory, config, cwd)


def test_a_directory_that_is_not_a_service_of_the_platform_is_refused(tmp_path: Path) -> None:
    config = _platform(tmp_path)
    stray = tmp_path / "reviews"
    stray.mkdir()
    (stray / "service.yaml").write_text("name: reviews\nport: 8001\n")
    code, stderr = _destroy(config, stray, tmp_path)
    assert_one_error_line(code, stderr, str(stray), "not one of its services",
                          "nothing was destroyed")
    code, stderr = _destroy(config, tmp_path, tmp_path)
    assert_one_error_line(code, stderr, "no service.yaml")


def test_without_service_stacks_there_is_no_service_stack_to_destroy(tmp_path: Path) -> None:
    config = _platform(tmp_path, service_stacks=False)
    code, stderr = _destroy(config, config.parent / "services" / "order", tmp_path)
    assert_one_error_line(code, stderr, "service_stacks: false")


def test_it_asks_first_and_destroys_only_the_service_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit,
) -> None:
    config = _platform(tmp_path)
    order = config.parent / "services" / "order"
    fake = install(tmp_path, monkeypatch)
    fake.set_program([{"type": "kubernetes:core/v1:ConfigMap", "name": "settings",
                       "inputs": {}}])
    assert kit(["up", "--config", str(config), "--yes"]).code == 0
    fake.set_program([
        {"type": "kubernetes:kafka.strimzi.io/v1:KafkaTopic", "name": "topic-order-events",
         "inputs": {}},
        {"type": "kubernetes:apps/v1:Deployment", "name": "order-deployment", "inputs": {}}])
    assert kit(["deploy-service", str(order), "--config", str(config), "--yes"]).code == 0
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks"
    platform_state = (stacks / "shop" / "local.json").read_bytes()
    declined = kit(["destroy-service", str(order), "--config", str(config)], stdin="n\n")
    assert declined.code == 1, declined.err
    assert "stack 'local' of 'shop-order'" in declined.err  # the question names the stack
    assert "topic-order-events" in declined.err  # and what goes first
    assert not fake.engine_calls("destroy")
    done = kit(["destroy-service", str(order), "--config", str(config)], stdin="y\n")
    assert done.code == 0, done.err
    destroys = fake.engine_calls("destroy")
    assert destroys and all(c["cwd"].endswith("workspace-order") for c in destroys)
    assert (stacks / "shop" / "local.json").read_bytes() == platform_state
