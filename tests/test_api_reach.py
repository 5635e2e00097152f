"""How a service's deploy job reaches the cluster API (issue 31): a decision the config states.

Config: bad runner CIDRs and service stacks with no way to reach the API are one `error:` line,
exit 2. Plan: the runner CIDRs join the public endpoint's allow list, or the endpoint is open
(IAM-authenticated). deploy-service: it calls the API (EKS's description of the cluster, then
/readyz as the kubeconfig does) before it touches the cluster. The cluster API is a TLS
stand-in and `aws` a fake CLI: AWS itself cannot run here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.fake_pulumi import fake_api
from support.fake_pulumi.harness import FakePulumi, install, serve_cluster
from support.provision import Kit, kit, new_platform

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import load_platform

__all__ = ["kit"]
EKS = "aws:eks/cluster:Cluster"
CI_ACCESS = {"github_owner": "acme", "repository_prefix": "svc-"}
SERVICE = """name: reviews
image: registry.example/reviews@sha256:{digest}
port: 8000
"""


def _platform(tmp_path: Path, **changes: Any) -> Path:
    """A starter marketplace.yaml (stack-per-service, deploy roles) with ``changes`` merged."""
    config = new_platform(tmp_path / "shop")
    data = yaml.safe_load(config.read_text())
    data["service_stacks"] = True
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    config.write_text(yaml.safe_dump(data))
    return config


def _one_error(run: Any) -> str:
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("error: "), run.err
    return str(lines[0])


@pytest.mark.parametrize("cidr", ["203.0.113.300/24", "runners", "10.0.0.0/8", "0.0.0.0/0",
                                  "203.0.113.7/24"])
def test_a_runner_cidr_that_is_not_a_public_cidr_is_one_error_line(
    tmp_path: Path, kit: Kit, cidr: str,
) -> None:
    config = _platform(tmp_path, deploy_access={**CI_ACCESS, "api_reach": "runner_cidrs",
                                                "runner_cidrs": [cidr]})
    line = _one_error(kit(["check", "-c", str(config)]))
    assert "deploy_access.runner_cidrs" in line and "fix:" in line


@pytest.mark.parametrize(("access", "cluster", "says"), [
    ({}, {}, "api_reach"),
    ({"api_reach": "runner_cidrs"}, {}, "lists no runner_cidrs"),
    ({"api_reach": "public_endpoint"}, {"endpoint_access": "private"}, "needs the public"),
    ({"api_reach": "self_hosted", "runner_cidrs": ["198.51.100.0/24"]}, {}, "runner_cidrs given"),
])
def test_service_stacks_with_no_way_to_reach_the_api_are_refused(
    tmp_path: Path, kit: Kit, access: dict[str, Any], cluster: dict[str, Any], says: str,
) -> None:
    config = _platform(tmp_path, deploy_access={**CI_ACCESS, **access}, cluster=cluster)
    for command in (["check", "-c", str(config)], ["plan", "-c", str(config)]):
        line = _one_error(kit(command))
        assert says in line and "fix:" in line, line


def _endpoint(config: Path) -> dict[str, Any]:
    graph = plan_platform(load_platform(config))
    (eks,) = graph.of_type(EKS)
    vpc: dict[str, Any] = eks.inputs["vpcConfig"]
    return vpc


def test_runner_cidrs_join_the_public_endpoint_s_allow_list(tmp_path: Path) -> None:
    config = _platform(tmp_path, deploy_access={**CI_ACCESS, "api_reach": "runner_cidrs",
                                                "runner_cidrs": ["198.51.100.0/24"]})
    vpc = _endpoint(config)
    assert vpc["endpointPublicAccess"] is True
    assert "198.51.100.0/24" in vpc["publicAccessCidrs"]
    assert "0.0.0.0/0" not in vpc["publicAccessCidrs"]


def test_a_public_endpoint_is_open_only_when_the_config_says_so(tmp_path: Path) -> None:
    opened = _endpoint(_platform(tmp_path / "a", deploy_access={
        **CI_ACCESS, "api_reach": "public_endpoint"}))
    assert opened["endpointPublicAccess"] is True and opened["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert opened["endpointPrivateAccess"] is True
    inside = _endpoint(_platform(tmp_path / "b", deploy_access={
        **CI_ACCESS, "api_reach": "self_hosted"}, cluster={"endpoint_access": "private"}))
    assert inside["endpointPublicAccess"] is False and inside["endpointPrivateAccess"] is True


@pytest.fixture
def api(tmp_path: Path) -> Iterator[fake_api.FakeApi]:
    server = fake_api.start(tmp_path)
    yield server
    server.stop()


def _service(tmp_path: Path) -> Path:
    """A service of the platform ``_platform`` wrote (deploy-service refuses any other)."""
    service = tmp_path / "shop" / "services" / "reviews"
    service.mkdir()
    (service / "service.yaml").write_text(SERVICE.format(digest="a" * 64))
    return service


def _deploy(kit: Kit, config: Path, service: Path) -> Any:
    return kit(["deploy-service", str(service), "-c", str(config), "--yes"])


def test_deploy_service_calls_the_api_before_it_touches_the_cluster(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch, api: fake_api.FakeApi,
) -> None:
    fake: FakePulumi = install(tmp_path, monkeypatch)
    config = _platform(tmp_path, deploy_access={**CI_ACCESS, "api_reach": "public_endpoint"})
    serve_cluster("shop-dev", api.url, api.ca_data)
    fake.set_program([{"type": "kubernetes:core/v1:ConfigMap", "name": "marker", "inputs": {}}])
    run = _deploy(kit, config, _service(tmp_path))
    assert run.code == 0, run.err
    assert api.seen == ["/readyz"]
    aws = fake.aws_calls()
    assert aws[0][:4] == ["eks", "describe-cluster", "--name", "shop-dev"]
    assert aws[1][:2] == ["eks", "get-token"]
    assert fake.engine_calls("up")


@pytest.mark.parametrize(("reach", "fix"), [
    ("runner_cidrs", "deploy_access.runner_cidrs"),
    ("self_hosted", "self-hosted runner inside the cluster's VPC"),
])
def test_an_unreachable_api_stops_the_deploy_job_with_its_reach_s_fix(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch, api: fake_api.FakeApi,
    reach: str, fix: str,
) -> None:
    fake = install(tmp_path, monkeypatch)
    access: dict[str, Any] = {**CI_ACCESS, "api_reach": reach}
    if reach == "runner_cidrs":
        access["runner_cidrs"] = ["198.51.100.0/24"]
    config = _platform(tmp_path, deploy_access=access)
    serve_cluster("shop-dev", api.url, api.ca_data)
    api.stop()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    run = kit(["deploy-service", str(_service(tmp_path)), "-c", str(config), "--yes",
               "--backend", f"file://{tmp_path / 'state'}"])
    last = run.err.splitlines()[-1]
    assert run.code == 5 and last.startswith("error: the cluster API"), run.err
    assert fix in last and "the service's stack was not touched" in last
    assert not fake.engine_calls("up") and not fake.engine_calls("preview")


def test_deploy_service_before_the_platform_exists_says_so(
    tmp_path: Path, kit: Kit, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = install(tmp_path, monkeypatch)
    config = _platform(tmp_path, deploy_access={**CI_ACCESS, "api_reach": "public_endpoint"})
    run = _deploy(kit, config, _service(tmp_path))
    assert run.code == 5 and "ResourceNotFoundException" in run.err, run.err
    assert "run the platform's `marketplace-kit up` first" in run.err
    assert not fake.engine_calls("up")


def test_the_deploy_role_may_describe_its_cluster_only() -> None:
    from support.deploy_plan import platform_plan
    from support.iam_eval import evaluate

    platform, graph = platform_plan()
    policy = next(r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
                  if r.name == "order-deploy").inputs["policy"]
    statement = next(s for s in json.loads(policy)["Statement"] if s["Sid"] == "DescribeCluster")
    own = statement["Resource"]
    assert own.startswith(f"arn:aws:eks:{platform.config.region}:") and own.endswith(
        "cluster/marketplace-dev")
    assert evaluate(policy, "eks:DescribeCluster", own) == "Allow"
    assert evaluate(policy, "eks:DescribeCluster", own.replace("marketplace-dev", "other")) \
        == "ImplicitDeny"
