"""``doctor``'s checks of what a first ``up`` needs beyond credentials: the Pulumi CLI against
the SDK, the pinned provider plugins, the ``aws`` CLI the kubeconfig runs, the state backend,
the secrets provider, and how this machine will reach the cluster's API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import parse_qs, urlparse

from marketplace_kit.config import Platform
from marketplace_kit.provision.api_check import INSTALL_AWS_CLI
from marketplace_kit.provision.deployer import OVERRIDE_VAR
from marketplace_kit.provision.doctor_check import Check
from marketplace_kit.provision.pulumi_binary import _parse
from marketplace_kit.provision.settings import StackSettings
from marketplace_kit.provision.workspace import FALLBACK_VAR, required_plugins


def _run(argv: list[str], env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                              env=None if env is None else {**os.environ, **env})
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, "", exc.__class__.__name__
    return done.returncode, done.stdout, done.stderr


def check_cli_vs_sdk(cli_version: str) -> Check:
    """The CLI should be at least the SDK's version (the Automation API drives it)."""
    try:
        sdk = version("pulumi")
    except PackageNotFoundError:
        return Check("Pulumi CLI vs SDK", "warn", "the pulumi SDK is not installed")
    if _parse(cli_version) < _parse(sdk):
        return Check("Pulumi CLI vs SDK", "warn", f"CLI {cli_version} is older than SDK {sdk}",
                     "upgrade the CLI: curl -fsSL https://get.pulumi.com | sh")
    return Check("Pulumi CLI vs SDK", "ok", f"CLI {cli_version} >= SDK {sdk}")


def check_plugins(cli: str, target: str) -> Check:
    """The pinned provider plugins: installed, or `up` downloads them (network needed)."""
    code, out, _ = _run([cli, "plugin", "ls", "--json"])
    have = set()
    if code == 0:
        try:
            have = {(p["name"], str(p["version"]).lstrip("v")) for p in json.loads(out or "[]")}
        except (ValueError, KeyError, TypeError):
            have = set()
    missing = [f"{n} {v}" for n, v in required_plugins(target).items() if (n, v) not in have]
    if missing:
        return Check("provider plugins", "warn", f"not installed yet: {', '.join(missing)}",
                     "up installs them (needs access to get.pulumi.com / GitHub releases)")
    return Check("provider plugins", "ok", ", ".join(f"{n} {v}" for n, v in
                                                    required_plugins(target).items()))


def check_aws_cli() -> Check:
    """`aws eks get-token` is what every Kubernetes call of the kubeconfig runs."""
    path = shutil.which("aws")
    if path is None:
        return Check("aws CLI", "fail", "no `aws` on PATH", INSTALL_AWS_CLI)
    code, out, err = _run([path, "--version"])
    text = (out or err).strip()
    if code != 0 or not text.startswith("aws-cli/2"):
        return Check("aws CLI", "fail", f"{path}: {text or 'no version'} (not AWS CLI v2)",
                     INSTALL_AWS_CLI)
    return Check("aws CLI", "ok", text.split()[0])


def check_backend(cli: str, settings: StackSettings) -> Check | None:
    """A remote backend answers (`pulumi whoami` against it); a file backend is checked apart."""
    if settings.local_state_dir is not None:
        return None
    code, out, err = _run([cli, "whoami", "--non-interactive"],
                          {"PULUMI_BACKEND_URL": settings.backend_url})
    if code != 0:
        first = next((line for line in err.splitlines() if line.strip()), "no answer")
        return Check("state backend", "fail", f"{settings.backend_url}: {first.strip()[:160]}",
                     "check the bucket/URL and the credentials that can read it")
    return Check("state backend", "ok", f"{settings.backend_url} ({out.strip()[:60]})")


def check_secrets_provider(settings: StackSettings, environ: Mapping[str, str]) -> Check | None:
    """A cloud KMS key names its region; the fallback lets a fresh checkout use the state's."""
    provider = settings.secrets_provider
    if not provider.startswith("awskms://"):
        return None
    region = parse_qs(urlparse(provider).query).get("region", [""])[0]
    if not region and not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        return Check("secrets provider", "fail", f"{provider} names no region",
                     "add ?region=REGION to the awskms:// URL")
    return Check("secrets provider", "ok",
                 f"{provider} (an existing stack's own provider is used: {FALLBACK_VAR})")


def check_endpoint(platform: Platform, environ: Mapping[str, str]) -> Check:
    """How this machine will reach the cluster's API once it exists."""
    cluster = platform.config.cluster
    listed = ", ".join(str(c) for c in cluster.public_access_cidrs)
    if cluster.endpoint_access == "private":
        return Check(
            "cluster API access", "warn",
            "private endpoint: reachable only from inside the VPC",
            "run up from inside the VPC (VPN, SSM/bastion host, a CI runner in the VPC), or set "
            "cluster.endpoint_access: deployer",
        )
    if cluster.endpoint_access == "cidrs":
        return Check("cluster API access", "ok", f"public endpoint, only from {listed}")
    source = environ.get(OVERRIDE_VAR) or "this machine's address, found by up"
    extra = f" and {listed}" if listed else ""
    return Check("cluster API access", "ok",
                 f"public endpoint, only from {source}{extra} (recorded in the stack config)")
