"""Put the fake `pulumi` on PATH for a test and read back what the kit asked of it."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("fake_pulumi.py")
AWS_SCRIPT = Path(__file__).with_name("fake_aws.py")
DEPLOYER_CIDR = "203.0.113.7/32"  # what `up` records as this machine's address in the tests


@dataclass
class FakePulumi:
    """The fake CLI of one test: its log, its program and its home."""

    bin_dir: Path
    log: Path
    program: Path
    home: Path
    aws_log: Path

    def aws_calls(self) -> list[list[str]]:
        """Every `aws` invocation's argv (in order)."""
        if not self.aws_log.exists():
            return []
        return [json.loads(line)["argv"] for line in self.aws_log.read_text().splitlines()]

    def calls(self) -> list[dict[str, Any]]:
        """Every invocation: argv, cwd, env (in order)."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def commands(self) -> list[list[str]]:
        """Each invocation's argv without the --non-interactive the SDK adds."""
        return [[a for a in c["argv"] if a != "--non-interactive"] for c in self.calls()]

    def engine_calls(self, verb: str) -> list[dict[str, Any]]:
        """Invocations of one engine operation (preview, up, destroy, refresh)."""
        return [c for c in self.calls() if verb in c["argv"][:2]]

    def set_program(
        self,
        resources: list[dict[str, Any]],
        outputs: dict[str, Any] | None = None,
        secret_outputs: list[str] | None = None,
    ) -> None:
        """What "the program" registers on the next engine run."""
        spec = {"resources": resources, "outputs": outputs or {},
                "secret_outputs": secret_outputs or []}
        self.program.write_text(json.dumps(spec))


def serve_cluster(name: str, url: str, ca_data: str,
                  public_cidrs: tuple[str, ...] = (DEPLOYER_CIDR,)) -> None:
    """Make the fake `aws eks describe-cluster --name NAME` describe an ACTIVE cluster whose API
    is at ``url`` (a ``fake_api`` server), as EKS's DescribeCluster answers."""
    state = Path(os.environ["FAKE_AWS_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    clusters = state / "clusters.json"
    known = json.loads(clusters.read_text()) if clusters.is_file() else {}
    known[name] = {"name": name, "status": "ACTIVE", "endpoint": url,
                   "certificateAuthority": {"data": ca_data},
                   "resourcesVpcConfig": {"endpointPublicAccess": bool(public_cidrs),
                                          "endpointPrivateAccess": True,
                                          "publicAccessCidrs": list(public_cidrs)}}
    clusters.write_text(json.dumps(known))


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    """The fake `pulumi` first on PATH, a private HOME, fake AWS keys, no passphrase in env."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "pulumi"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SCRIPT}" "$@"\n')
    wrapper.chmod(0o755)
    aws = bin_dir / "aws"
    aws.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{AWS_SCRIPT}" "$@"\n')
    aws.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    fake = FakePulumi(bin_dir, tmp_path / "pulumi-calls.jsonl", tmp_path / "program.json", home,
                      tmp_path / "aws-calls.jsonl")
    monkeypatch.setenv("FAKE_AWS_LOG", str(fake.aws_log))
    monkeypatch.setenv("FAKE_AWS_STATE", str(tmp_path / "aws-state"))
    monkeypatch.setenv("MARKETPLACE_KIT_DEPLOYER_CIDR", DEPLOYER_CIDR)
    monkeypatch.setenv("MARKETPLACE_KIT_API_WAIT_SECONDS", "0")
    fake.set_program([])
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(fake.log))
    monkeypatch.setenv("FAKE_PULUMI_PROGRAM", str(fake.program))
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(tmp_path / "remote-state"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    for var in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL",
                "PULUMI_ACCESS_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
                "FAKE_PULUMI_FAIL", "FAKE_PULUMI_VERSION", "KUBECONFIG", "FAKE_AWS_FAIL",
                "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER", "MARKETPLACE_KIT_CHECK_IP_URL",
                "FAKE_PULUMI_BACKEND_DOWN"):
        monkeypatch.delenv(var, raising=False)
    return fake
