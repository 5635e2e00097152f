"""Between the foundation and the in-cluster stage of ``up``: can this machine use the new API?

It does what every Kubernetes call of the next stage will do: a token from ``aws eks get-token``
(the kubeconfig's exec plugin), then ``GET /readyz`` over TLS against the cluster's CA. It waits
while the endpoint comes up (DNS, a fresh access CIDR, access-entry propagation), then fails with
one line and the fix, before anything in-cluster is created.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marketplace_kit.provision.errors import MissingPrerequisite, ProvisionError

EKS_CLUSTER = "aws:eks/cluster:Cluster"
INSTALL_AWS_CLI = (
    "install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/"
    "getting-started-install.html): the kubeconfig authenticates with `aws eks get-token`"
)


@dataclass(frozen=True)
class ClusterApi:
    """What a client needs to call the cluster's API (all from the stack's state)."""

    name: str
    endpoint: str
    ca_data: str  # base64 PEM, as EKS returns it
    region: str
    public_cidrs: tuple[str, ...] = ()
    public: bool = False


def described_cluster(name: str, region: str, run: Runner = subprocess.run) -> ClusterApi:
    """The cluster as EKS describes it (``aws eks describe-cluster``: what a service's deploy
    job may read, not the platform's state), or a one-line error with the fix."""
    argv = ["aws", "eks", "describe-cluster", "--name", name, "--region", region,
            "--output", "json"]
    try:
        done = run(argv, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise MissingPrerequisite(f"no `aws` on PATH; fix: {INSTALL_AWS_CLI}") from None
    except subprocess.SubprocessError as exc:
        raise MissingPrerequisite(f"`aws eks describe-cluster` did not finish "
                                  f"({exc.__class__.__name__}); fix: check the network") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no output")
        fix = ("run the platform's `marketplace-kit up` first" if "ResourceNotFound" in first
               else "check the AWS credentials (the deploy role may describe its cluster)")
        raise ProvisionError(f"cluster {name} in {region}: {first.strip()[:160]}; fix: {fix}")
    try:
        out = json.loads(done.stdout)["cluster"]
        vpc = out.get("resourcesVpcConfig") or {}
        return ClusterApi(name=name, endpoint=str(out["endpoint"]),
                          ca_data=str(out["certificateAuthority"]["data"]), region=region,
                          public_cidrs=tuple(vpc.get("publicAccessCidrs") or ()),
                          public=bool(vpc.get("endpointPublicAccess")))
    except (ValueError, KeyError, TypeError):
        raise ProvisionError(f"`aws eks describe-cluster` printed no endpoint for {name}; fix: "
                             "wait until the cluster is ACTIVE") from None


def cluster_api(resources: Iterable[Mapping[str, Any]], region: str) -> ClusterApi | None:
    """The EKS cluster in a stack's state, once created (None before the foundation exists)."""
    for resource in resources:
        if resource.get("type") != EKS_CLUSTER:
            continue
        out = resource.get("outputs") or {}
        authority = out.get("certificateAuthority") or {}
        vpc = out.get("vpcConfig") or {}
        if out.get("endpoint") and isinstance(authority, Mapping) and authority.get("data"):
            return ClusterApi(
                name=str(out.get("name")),
                endpoint=str(out["endpoint"]),
                ca_data=str(authority["data"]),
                region=region,
                public_cidrs=tuple(vpc.get("publicAccessCidrs") or ()),
                public=bool(vpc.get("endpointPublicAccess")),
            )
    return None


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def require_aws_cli() -> str:
    """The ``aws`` executable the kubeconfig's exec plugin runs, or the fix (checked before any
    cloud resource is made: without it every Kubernetes call fails ~20 minutes in)."""
    path = shutil.which("aws")
    if path is None:
        raise MissingPrerequisite(f"no `aws` on PATH; fix: {INSTALL_AWS_CLI}")
    return path


def get_token(api: ClusterApi, run: Runner = subprocess.run) -> str:
    """A bearer token from ``aws eks get-token``, exactly as the kubeconfig gets it."""
    argv = ["aws", "eks", "get-token", "--cluster-name", api.name, "--region", api.region,
            "--output", "json"]
    try:
        done = run(argv, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise MissingPrerequisite(f"no `aws` on PATH; fix: {INSTALL_AWS_CLI}") from None
    except subprocess.SubprocessError as exc:
        raise MissingPrerequisite(
            f"`aws eks get-token` did not finish ({exc.__class__.__name__}); fix: check "
            "`aws sts get-caller-identity` works on this machine"
        ) from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no output")
        raise MissingPrerequisite(
            f"`aws eks get-token` failed: {first.strip()[:200]}; fix: check the AWS CLI's "
            "credentials and region (aws sts get-caller-identity)"
        )
    try:
        return str(json.loads(done.stdout)["status"]["token"])
    except (ValueError, KeyError, TypeError):
        raise MissingPrerequisite(
            "`aws eks get-token` printed no token; fix: upgrade to AWS CLI v2"
        ) from None


def cluster_tls(ca_data: str) -> ssl.SSLContext:
    """TLS trusting the cluster's CA only (``ca_data``: base64 PEM, as EKS returns it)."""
    pem = base64.b64decode(ca_data).decode("ascii")
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=pem)
    return context


def readyz(api: ClusterApi, token: str, timeout: float = 10.0) -> tuple[int, str]:
    """(HTTP status, body start) of ``GET /readyz``; status 0 when unreachable (body: why)."""
    request = urllib.request.Request(
        api.endpoint.rstrip("/") + "/readyz", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        tls = cluster_tls(api.ca_data)
        with urllib.request.urlopen(request, timeout=timeout, context=tls) as r:
            return int(r.status), r.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(200).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, str(reason)


# What to do when a service's deploy job cannot reach the API, per ``deploy_access.api_reach``.
CI_FIXES = {
    "runner_cidrs": "add this runner's public egress address to deploy_access.runner_cidrs and "
                    "run the platform's `marketplace-kit up`",
    "self_hosted": "run the deploy job on a self-hosted runner inside the cluster's VPC "
                   "(runs-on), allowed to the cluster security group on 443",
    "public_endpoint": "run the platform's `marketplace-kit up`: it opens the public endpoint",
}


def unreachable_fix(api: ClusterApi, endpoint_access: str, api_reach: str = "") -> str:
    """What to do when this machine cannot reach the API, per endpoint mode (and, for a
    service's deploy job, per ``deploy_access.api_reach``)."""
    if api_reach in CI_FIXES:
        return CI_FIXES[api_reach]
    if not api.public:
        return (
            "the endpoint is private (cluster.endpoint_access: private): run `marketplace-kit "
            "up` again from inside the VPC (VPN, an SSM/bastion host, a CI runner in the VPC), "
            "or set cluster.endpoint_access: deployer in marketplace.yaml"
        )
    admitted = ", ".join(api.public_cidrs) or "none"
    hint = (
        "run `marketplace-kit up` again: it records this machine's current address"
        if endpoint_access == "deployer"
        else "add this machine's public address to cluster.public_access_cidrs"
    )
    return (
        f"the public endpoint admits only {admitted}: {hint}; behind several NAT addresses, "
        "list them all in cluster.public_access_cidrs"
    )


def wait_for_api(
    api: ClusterApi,
    endpoint_access: str,
    *,
    api_reach: str = "",
    kept: str = "the foundation is kept; nothing in-cluster was created",
    wait_seconds: float = 300.0,
    interval: float = 10.0,
    token: Callable[[ClusterApi], str] = get_token,
    probe: Callable[[ClusterApi, str], tuple[int, str]] = readyz,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once ``/readyz`` answers 200 with this identity; else raise with the fix (and
    ``kept``: what the failed command left as it was)."""
    deadline = clock() + wait_seconds
    while True:
        status, body = probe(api, token(api))
        if status == 200:
            return
        if clock() + interval > deadline:
            break
        sleep(interval)
    where = f"the cluster API {api.endpoint}"
    if status == 0:
        raise ProvisionError(
            f"{where} is not reachable from this machine ({body[:120]}); "
            f"fix: {unreachable_fix(api, endpoint_access, api_reach)} ({kept})"
        )
    if status in (401, 403):
        raise ProvisionError(
            f"{where} rejected this machine's AWS identity (HTTP {status}); fix: deploy with "
            "the identity that ran the first up, or add yours to cluster.admin_principal_arns "
            f"and run up from an admin ({kept})"
        )
    raise ProvisionError(
        f"{where} is not healthy (/readyz: HTTP {status} {' '.join(body.split())[:120]}); "
        f"fix: wait a few minutes and run `marketplace-kit up` again ({kept})"
    )


def wait_seconds_from_env(environ: Mapping[str, str] = os.environ) -> float:
    """How long to wait for the API (``MARKETPLACE_KIT_API_WAIT_SECONDS``, default 300)."""
    try:
        return max(0.0, float(environ.get("MARKETPLACE_KIT_API_WAIT_SECONDS", "300")))
    except ValueError:
        return 300.0


def set_log_retention(api: ClusterApi, days: int, run: Runner = subprocess.run) -> str | None:
    """Give EKS's control-plane log group its retention (creating it first if EKS has not yet).

    The group stays outside the stack's state: EKS re-creates it from late deliveries after a
    destroy, and a group in the state would then make the next ``up`` fail on "already exists".
    Returns a warning when the AWS CLI could not do it.
    """
    group = f"/aws/eks/{api.name}/cluster"
    base = ["--log-group-name", group, "--region", api.region]
    create = run(["aws", "logs", "create-log-group", *base], capture_output=True, text=True,
                 timeout=60, check=False)
    if create.returncode != 0 and "ResourceAlreadyExists" not in create.stderr:
        return f"could not create log group {group}: {create.stderr.strip()[:160]}"
    done = run(["aws", "logs", "put-retention-policy", *base, "--retention-in-days", str(days)],
               capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        return f"could not set {days} days retention on {group}: {done.stderr.strip()[:160]}"
    return None
