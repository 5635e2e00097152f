"""``marketplace-kit doctor``: is this machine ready to provision the platform? (offline)"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from marketplace_kit.config import Platform
from marketplace_kit.errors import KitError
from marketplace_kit.provision import doctor_engine as engine
from marketplace_kit.provision.aws_credentials import env_region, find_credentials
from marketplace_kit.provision.doctor_check import Check, from_error
from marketplace_kit.provision.errors import no_aws_credentials
from marketplace_kit.provision.kube import find_context
from marketplace_kit.provision.pulumi_binary import find_cli
from marketplace_kit.provision.secrets import PASSPHRASE_VARS
from marketplace_kit.provision.settings import StackSettings, local_stack_exists


def check_cli() -> Check:
    try:
        cli = find_cli()
    except KitError as exc:
        return from_error("Pulumi CLI", exc)
    return Check("Pulumi CLI", "ok", f"{cli.version} ({cli.path})")


def check_aws_credentials(environ: Mapping[str, str]) -> Check:
    source, looked = find_credentials(environ)
    if source is None:
        return from_error("AWS credentials", no_aws_credentials(looked))
    return Check("AWS credentials", "ok", source)


def check_region(platform: Platform, environ: Mapping[str, str]) -> Check:
    region, shell = platform.config.region, env_region(environ)
    if shell and shell != region:
        return Check(
            "AWS region",
            "warn",
            f"up deploys to {region} (marketplace.yaml) but AWS_REGION/AWS_DEFAULT_REGION is "
            f"{shell}",
            f"aws and kubectl commands need --region {region}",
        )
    return Check("AWS region", "ok", f"{region} (marketplace.yaml region)")


def check_kube(platform: Platform, environ: Mapping[str, str]) -> Check:
    context, problem = find_context(platform.config.cluster.kubeconfig_context, environ)
    if context is None:
        return Check(
            "kube context",
            "fail",
            problem,
            "create a cluster (kind create cluster, k3d cluster create) or set "
            "cluster.kubeconfig_context in marketplace.yaml to one of your contexts",
        )
    return Check("kube context", "ok", context)


def check_state(settings: StackSettings, environ: Mapping[str, str]) -> list[Check]:
    checks = []
    state = settings.local_state_dir
    if state is not None:
        home = next((p for p in (state, *state.parents) if p.exists()), state)
        if os.access(home, os.W_OK):
            checks.append(Check("state backend", "ok", settings.backend_url))
        else:
            checks.append(
                Check(
                    "state backend",
                    "fail",
                    f"{home} is not writable",
                    "run from a writable directory or pass --backend s3://BUCKET",
                )
            )
    if settings.uses_passphrase:
        if any(var in environ for var in PASSPHRASE_VARS):
            checks.append(Check("secrets passphrase", "ok", "from PULUMI_CONFIG_PASSPHRASE*"))
        elif settings.passphrase_file.is_file():
            checks.append(Check("secrets passphrase", "ok", str(settings.passphrase_file)))
        elif local_stack_exists(settings):
            checks.append(
                Check(
                    "secrets passphrase",
                    "fail",
                    f"stack {settings.stack!r} exists but {settings.passphrase_file} is missing",
                    "export PULUMI_CONFIG_PASSPHRASE with the passphrase it was created with",
                )
            )
        else:
            checks.append(
                Check(
                    "secrets passphrase",
                    "ok",
                    f"generated into {settings.passphrase_file} on the first up",
                )
            )
    return checks


def run_checks(
    platform: Platform,
    settings: StackSettings,
    environ: Mapping[str, str] = os.environ,
    cli_check: Callable[[], Check] = check_cli,
) -> list[Check]:
    """Every check for this platform's target."""
    cli = cli_check()
    checks = [cli]
    path = cli.detail.rsplit("(", 1)[-1].rstrip(")") if cli.status == "ok" else None
    if path is not None:
        checks += [engine.check_cli_vs_sdk(cli.detail.split()[0]),
                   engine.check_plugins(path, platform.config.target)]
    if platform.config.target == "aws":
        checks += [check_aws_credentials(environ), check_region(platform, environ),
                   engine.check_aws_cli(), engine.check_endpoint(platform, environ)]
    else:
        checks.append(check_kube(platform, environ))
    optional = [engine.check_backend(path, settings) if path else None,
                engine.check_secrets_provider(settings, environ)]
    return checks + check_state(settings, environ) + [c for c in optional if c is not None]
