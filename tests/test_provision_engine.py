"""preview / up / refresh / outputs against the fake `pulumi`: what the kit passes the CLI.

Stand-in: the commands run the dev blueprint's AWS program (pulumi-aws cannot be built here);
the same cycle through the real engine: tests/test_engine_lifecycle.py.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from support.fake_pulumi.harness import DEPLOYER_CIDR, FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

from marketplace_kit.platform.versions import PULUMI_PLUGINS

__all__ = ["kit"]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES, OUTPUTS, ["kubeconfig"])
    return fake


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return new_platform(tmp_path / "shop")


def test_up_uses_local_backend_generated_passphrase_region_and_pinned_plugins(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = kit(["up", "--config", str(config), "--yes"])
    assert run.code == 0, run.err
    kit = config.parent / ".marketplace-kit"
    passphrase = kit / "passphrase"
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert "keep a copy" in run.err and str(passphrase) in run.err
    assert (kit / ".gitignore").read_text().strip().endswith("*")
    # Every engine-facing call ran in the kit's workspace with the embedded file backend.
    calls = [c for c in fake.calls() if c["argv"] != ["version"]]
    assert calls and all(c["cwd"] == str(kit / "workspace") for c in calls)
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in calls} == {f"file://{kit / 'state'}"}
    # the passphrase is made only once the backend said there is no such stack
    assert calls[0]["argv"][1:3] == ["stack", "select"]
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in calls[0]["env"]
    assert {c["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] for c in calls[1:]} == {str(passphrase)}
    commands = fake.commands()
    assert ["stack", "init", "dev", "--secrets-provider", "passphrase"] in commands
    (config_call,) = [c for c in commands if c[:2] == ["config", "set-all"]]
    assert config_call[:3] == ["config", "set-all", "--stack"] and config_call[3] == "dev"
    plaintext = {config_call[i + 1] for i, a in enumerate(config_call) if a == "--plaintext"}
    # the region, and what this run found: the deployer's address for the API endpoint
    assert plaintext == {"aws:region=eu-west-1", f"marketplace-kit:deployerCidr={DEPLOYER_CIDR}",
                         "marketplace-kit:liftDeletionProtection=false",
                         # a new cluster: EKS's creator-admin entry off (kept by later ups)
                         "marketplace-kit:clusterCreatorBootstrap=false"}
    installs = [c for c in commands if c[:2] == ["plugin", "install"]]
    assert installs == [
        ["plugin", "install", "resource", name, version]
        for name, version in PULUMI_PLUGINS.items()
    ]
    assert ["plugin", "install", "resource", "aws", "7.51.1"] in installs
    first_engine = next(i for i, c in enumerate(commands) if c[0] in ("preview", "up"))
    assert commands.index(installs[-1]) < first_engine  # plugins before the run
    up_call = fake.engine_calls("up")[0]["argv"]
    assert {"--yes", "--skip-preview", "--event-log"} <= set(up_call)
    assert up_call[up_call.index("--stack") + 1] == "dev"
    assert f"{len(RESOURCES) + 1} created" in run.out  # + the stack resource
    assert "kubeconfig: [secret]" in run.out and "cluster_name: marketplace-dev" in run.out
    assert f"up  {len(RESOURCES) + 1}/{len(RESOURCES) + 1} resources" in run.err


def test_second_up_reuses_passphrase_and_finds_nothing_to_do(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    secret = (config.parent / ".marketplace-kit" / "passphrase").read_text()
    again = kit(["up", "-c", str(config), "-y"])
    assert again.code == 0 and "no changes" in again.out and "generated" not in again.err
    assert (config.parent / ".marketplace-kit" / "passphrase").read_text() == secret
    assert len(fake.engine_calls("up")) == 1  # the second run stopped after its preview


def test_confirmation_shows_changes_and_declining_changes_nothing(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = kit(["up", "-c", str(config)], stdin="n\n")
    assert run.code == 1
    assert f"{len(RESOURCES) + 1} to create" in run.err and "Proceed?" in run.err
    assert "Estimated cost: $" in run.err and "/month" in run.err  # from the offline plan
    assert "cancelled: nothing was changed" in run.out
    assert fake.engine_calls("preview") and not fake.engine_calls("up")
    yes = kit(["up", "-c", str(config)], stdin="y\n")
    assert yes.code == 0 and len(fake.engine_calls("up")) == 1


def test_confirmation_lists_what_an_update_deletes(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    fake.set_program([r for r in RESOURCES if r["name"] != "catalog-app"], OUTPUTS)
    run = kit(["up", "-c", str(config)], stdin="n\n")
    assert "1 to delete" in run.err and "will delete: catalog-app" in run.err


def test_env_passphrase_stack_backend_and_kms_options(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-vault")
    run = kit(
        ["preview", "-c", str(config), "--stack", "staging", "--backend", "s3://team-state",
         "--json"]
    )
    assert run.code == 0, run.err
    assert run.json()["changes"] == {"create": len(RESOURCES) + 1}
    assert run.json()["stack"] == "staging" and run.json()["backend"] == "s3://team-state"
    assert not (config.parent / ".marketplace-kit" / "passphrase").exists()
    call = fake.engine_calls("preview")[0]
    assert call["env"]["PULUMI_BACKEND_URL"] == "s3://team-state"
    assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "from-the-vault"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in call["env"]
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    kms = "awskms://alias/marketplace?region=eu-west-1"
    run = kit(["preview", "-c", str(config), "-s", "prod", "--secrets-provider", kms])
    assert run.code == 0, run.err
    assert ["stack", "init", "prod", "--secrets-provider", kms] in fake.commands()
    assert not (config.parent / ".marketplace-kit" / "passphrase").exists()


def test_json_up_is_one_object_on_stdout(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = kit(["up", "-c", str(config), "--yes", "--json"])
    data = run.json()
    assert data["result"] == "succeeded" and data["command"] == "up"
    assert data["changes"] == {"create": len(RESOURCES) + 1}
    assert data["outputs"] == {"cluster_name": "marketplace-dev", "kubeconfig": "[secret]"}
    assert "resources" not in run.err  # no live display in --json mode


def test_outputs_mask_secrets_and_print_one_raw_value(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    shown = kit(["outputs", "-c", str(config)])
    assert "kubeconfig    [secret]" in shown.out
    raw = kit(["outputs", "kubeconfig", "-c", str(config), "--show-secrets"])
    assert raw.out == OUTPUTS["kubeconfig"] + "\n"
    hidden = kit(["outputs", "kubeconfig", "-c", str(config)])
    assert hidden.code == 2 and "--show-secrets" in hidden.err
    # outputs reads state only: no plugins, no engine run
    assert not any(c[:1] in (["preview"], ["up"]) for c in fake.commands()[-4:])


def test_refresh_counts_state_resources(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    run = kit(["refresh", "-c", str(config), "--json"])
    assert run.code == 0, run.err
    assert run.json()["changes"] == {"same": len(RESOURCES) + 1}
    assert "--event-log" in fake.engine_calls("refresh")[0]["argv"]


def test_event_log_file_transport_of_older_clis(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLIs up to 3.205 get an --event-log file (newer ones a gRPC stream): both drive progress."""
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.190.0")
    run = kit(["up", "-c", str(config), "-y"])
    assert run.code == 0, run.err
    target = fake.engine_calls("up")[0]["argv"]
    assert not target[target.index("--event-log") + 1].startswith("tcp://")
    total = len(RESOURCES) + 1
    assert f"up  {total}/{total} resources" in run.err


def test_commands_on_a_stack_that_does_not_exist(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for command in ("outputs", "refresh", "destroy"):
        run = kit([command, "-c", str(config), "-y"] if command != "outputs"
                      else [command, "-c", str(config)])
        assert run.code in (2, 3), (command, run.err)
        assert run.err.count("\n") == 1 and run.err.startswith("error: ")
    assert not any(c[:2] == ["stack", "init"] for c in fake.commands())
    assert not (config.parent / ".marketplace-kit" / "passphrase").exists()


def test_state_lands_where_a_diy_backend_keeps_it(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks"
    state = stacks / "shop" / "dev.json"
    resources = json.loads(state.read_text())["resources"]
    providers = [r["urn"].rsplit("::", 1)[-1] for r in resources
                 if r["type"].startswith("pulumi:providers:")]
    assert len(resources) - len(providers) == len(RESOURCES) + 1
    assert sorted(providers) == ["default_4_34_2", "default_7_51_1"]  # as the engine keeps them


def test_confirmation_lists_what_an_update_replaces(
    fake: FakePulumi, config: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine reports create-replacement, replace, delete-replaced for one URN."""
    vpc = {**RESOURCES[0], "replace_keys": ["cidrBlock"]}
    fake.set_program([vpc, *RESOURCES[1:]], OUTPUTS)
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    moved = {**vpc, "inputs": {"cidrBlock": "10.1.0.0/16"}}
    fake.set_program([moved, *RESOURCES[1:]], OUTPUTS)
    run = kit(["up", "-c", str(config)], stdin="n\n")
    assert "1 to replace" in run.err and "will replace: vpc" in run.err, run.err
    done = kit(["up", "-c", str(config), "-y", "--json"])
    assert done.json()["changes"]["replace"] == 1
