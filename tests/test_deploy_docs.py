"""docs/how-to/deploy-from-ci.md names what the kit really renders (issue 31): the GitHub
environments and repository variables of the generated workflow, the role names of the
platform plan, the bootstrap's variables and the config's api_reach choices are read from the
kit's own output, and each must appear in the docs, in the order the docs walk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from support.deploy_plan import platform_plan, workflow

from marketplace_kit.config import DeployAccessConfig

DOCS = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "deploy-from-ci.md"


def _steps() -> str:
    text = DOCS.read_text()
    start = text.index("## The order, step by step")
    return text[start:text.index("\n## ", start + 1)]


def test_the_steps_come_in_the_real_order() -> None:
    steps = _steps()
    marks = ["**Bootstrap**", "**Platform up**", "**ECR**", "**GitHub environments**",
             "**Runner reachability**", "**First deploy**"]
    assert [steps.index(m) for m in marks] == sorted(steps.index(m) for m in marks)


def test_the_docs_name_the_workflow_s_environments_and_variables() -> None:
    steps = _steps()
    rendered = workflow("order")
    for job in ("image", "deploy"):
        environment = rendered["jobs"][job]["environment"]
        assert f"`{environment}`" in steps, environment
    text = (DOCS.parent.parent.parent / "examples" / "marketplace" / "services" / "order" /
            ".github" / "workflows" / "ci.yml").read_text()
    variables = set(re.findall(r"vars\.([A-Z_]+)", text))
    assert variables  # the workflow reads its settings from repository variables
    for variable in variables:
        assert f"`{variable}`" in steps, variable
    deploy = " ".join(str(s.get("run", "")) for s in rendered["jobs"]["deploy"]["steps"])
    assert "marketplace-kit deploy-service ." in deploy and "`up`" not in deploy
    assert "marketplace-kit deploy-service . --image" in steps


def test_the_docs_name_the_roles_the_platform_creates() -> None:
    steps = _steps()
    _, graph = platform_plan()
    roles = {r.name for r in graph.of_type("aws:iam/role:Role")}
    for suffix in ("push", "deploy"):
        assert f"order-{suffix}" in roles
        assert f"`<service>-{suffix}`" in steps, suffix


def test_the_docs_name_every_way_to_reach_the_api() -> None:
    steps = DOCS.read_text()
    field = DeployAccessConfig.model_fields["api_reach"]
    choices = [c for c in get_args(field.annotation) if c != "unset"]
    assert choices
    for choice in choices:
        assert f"`{choice}`" in _steps() and f"- `{choice}`" in steps, choice


def test_a_service_repository_is_told_about_its_services_folder() -> None:
    assert "services/.gitkeep" in _steps()
