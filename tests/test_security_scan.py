"""checkov over the rendered dev, local and production blueprints with the reference marketplace:
zero failures, skips only from tests/security_skips.yaml (each with its reason).

Production deploys by digest: the services get the digests their CI would record (made up
here: no registry), and a tag is refused before anything is planned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_generated_service_security import CHECKOV, skipped

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import load_platform
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform import versions
from marketplace_kit.render import render_plan

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "marketplace"
BLUEPRINTS = {"dev": {"blueprint": "dev"}, "local": {"blueprint": "local", "target": "local"},
              "production": {"blueprint": "production"}}


def reference_as(blueprint: str, root: Path, digests: bool) -> Path:
    """The reference marketplace on ``blueprint`` (service images by digest when asked)."""
    # src stays: the gateway's API document (gateway.api_docs) is built from the services' code.
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "docs", ".*"))
    config = root / "marketplace.yaml"
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()),
                                      **BLUEPRINTS[blueprint]}))
    for service in (root / "services").iterdir():
        if digests:
            spec = yaml.safe_load((service / "service.yaml").read_text())
            digest = f"sha256:{service.name.encode().hex():0<64}"[:71]
            spec["image"] = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{service.name}@{digest}"
            (service / "service.yaml").write_text(yaml.safe_dump(spec))
    return config


def checkov(directory: Path, blueprint: str) -> dict[str, Any]:
    skips = ",".join(skipped("checkov", blueprint))
    result = subprocess.run(
        [str(CHECKOV), "--skip-download", "--quiet", "--compact", "-o", "json",
         "--framework", "kubernetes", "-d", str(directory),
         *(["--skip-check", skips] if skips else [])],
        capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)
    (found,) = report if isinstance(report, list) else [report]
    return dict(found)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for blueprint in BLUEPRINTS:
        root = tmp_path_factory.mktemp(blueprint)
        config = reference_as(blueprint, root / "marketplace", blueprint == "production")
        out[blueprint] = root / "rendered"
        render_plan(plan_platform(load_platform(config)), out[blueprint], force=False)
    return out


def test_production_refuses_a_mutable_tag(tmp_path: Path) -> None:
    config = reference_as("production", tmp_path / "marketplace", digests=False)
    with pytest.raises(ConfigError, match=r"service\.yaml: image: .* is a mutable tag .*; fix: "):
        load_platform(config)


def test_production_deployments_are_by_digest(rendered: dict[str, Path]) -> None:
    images = {c["name"]: c["image"]
              for f in (rendered["production"] / "marketplace").glob("deployment-*.yaml")
              for c in yaml.safe_load(f.read_text())["spec"]["template"]["spec"]["containers"]}
    # the kit's own API documents server: a version tag from versions.py (security_skips.yaml)
    assert images.pop("api-docs") == versions.API_DOCS_IMAGE
    assert len(images) == 5 and all("@sha256:" in i for i in images.values()), images


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov venv missing: .ci/run creates it")
def test_checkov_passes_on_every_rendered_blueprint(rendered: dict[str, Path]) -> None:
    with ThreadPoolExecutor(len(rendered)) as pool:
        reports = dict(zip(rendered, pool.map(checkov, rendered.values(), rendered),
                           strict=True))
    for blueprint, report in reports.items():
        failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
        assert failed == [], (blueprint, failed)
        assert report["summary"]["passed"] > 400, (blueprint, report["summary"])
