"""Each stack is created with its own secrets key (issue 31): `up` refuses a service's key for
the platform stack, `deploy-service` opens a service stack with the service's own key when
given the platform key `bootstrap` prints (a repository variable, `--all`), and refuses
another service's. Through the CLI against the fake `pulumi` (and a TLS stand-in of the
cluster API, which deploy-service checks first)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.fake_pulumi import fake_api
from support.fake_pulumi.harness import FakePulumi, install, serve_cluster
from support.provision import Kit, kit, new_platform

from marketplace_kit.config import load_platform
from marketplace_kit.contract import keys
from marketplace_kit.errors import KitError
from marketplace_kit.provision.stack_keys import platform_provider, service_provider

__all__ = ["kit"]
REGION = "eu-west-1"  # new_platform's
PLATFORM_KEY = keys.secrets_provider(keys.platform_alias("shop"), REGION)
OWN_KEY = keys.secrets_provider(keys.service_alias("shop", "reviews"), REGION)
OTHER_KEY = keys.secrets_provider(keys.service_alias("shop", "orders"), REGION)


def _platform(tmp_path: Path, github_owner: str = "acme") -> Path:
    config = new_platform(tmp_path / "shop")
    data = yaml.safe_load(config.read_text())
    data["service_stacks"] = True
    data["deploy_access"] = {"github_owner": github_owner, "api_reach": "public_endpoint"}
    config.write_text(yaml.safe_dump(data))
    return config


def _service(tmp_path: Path) -> Path:
    """A service of the platform ``_platform`` wrote (deploy-service refuses any other)."""
    service = tmp_path / "shop" / "services" / "reviews"
    service.mkdir()
    (service / "service.yaml").write_text(
        f"name: reviews\nimage: registry.example/reviews@sha256:{'a' * 64}\nport: 8000\n")
    return service


@pytest.fixture
def api(tmp_path: Path) -> Iterator[fake_api.FakeApi]:
    server = fake_api.start(tmp_path)
    yield server
    server.stop()


def test_the_choice_of_key_per_stack(tmp_path: Path) -> None:
    platform = load_platform(_platform(tmp_path))
    assert service_provider(PLATFORM_KEY, platform, "reviews") == OWN_KEY
    assert service_provider(OWN_KEY, platform, "reviews") == OWN_KEY
    for given in ("passphrase", "awskms://alias/my-own-key?region=eu-west-1",
                  "awskms://1234abcd-12ab-34cd-56ef-1234567890ab?region=eu-west-1"):
        assert service_provider(given, platform, "reviews") == given
    with pytest.raises(KitError, match="orders's key; fix: use " + OWN_KEY.replace("?", r"\?")):
        service_provider(OTHER_KEY, platform, "reviews")
    with pytest.raises(KitError, match=r"^destroy-service reviews: .*orders's key"):
        service_provider(OTHER_KEY, platform, "reviews", "destroy-service")
    assert platform_provider(PLATFORM_KEY, platform) == PLATFORM_KEY
    with pytest.raises(KitError, match="service reviews's key"):
        platform_provider(OWN_KEY, platform)
    # without deploy roles the platform makes no service keys: the platform key is kept
    shared = load_platform(_platform(tmp_path / "nokeys", github_owner=""))
    assert service_provider(PLATFORM_KEY, shared, "reviews") == PLATFORM_KEY


def test_up_refuses_a_service_s_key_in_one_line(tmp_path: Path, kit: Kit,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake: FakePulumi = install(tmp_path, monkeypatch)
    config = _platform(tmp_path)
    for command in ("up", "preview"):
        run = kit([command, "-c", str(config), "--secrets-provider", OWN_KEY, "--yes"][
            : 5 if command == "preview" else 6])
        assert run.code == 2 and run.err.startswith("error: --secrets-provider: "), run.err
        assert run.err.count("\n") == 1 and f"fix: use {PLATFORM_KEY}" in run.err
    assert fake.calls() == []


def test_deploy_service_creates_its_stack_with_its_own_key(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch, api: fake_api.FakeApi,
) -> None:
    fake: FakePulumi = install(tmp_path, monkeypatch)
    config = _platform(tmp_path)
    service = _service(tmp_path)
    refused = kit(["deploy-service", str(service), "-c", str(config), "--secrets-provider",
                   OTHER_KEY, "--yes"])
    assert refused.code == 2 and refused.err.count("\n") == 1, refused.err
    assert refused.err.startswith(f"error: deploy-service {service.name}: ")
    assert "orders's key" in refused.err and fake.calls() == []
    serve_cluster("shop-dev", api.url, api.ca_data)
    fake.set_program([{"type": "kubernetes:core/v1:ConfigMap", "name": "marker", "inputs": {}}])
    run = kit(["deploy-service", str(service), "-c", str(config), "--secrets-provider",
               PLATFORM_KEY, "--yes"])
    assert run.code == 0, run.err
    assert ["stack", "init", "dev", "--secrets-provider", OWN_KEY] in fake.commands()
    assert not [c for c in fake.commands() if PLATFORM_KEY in c]
