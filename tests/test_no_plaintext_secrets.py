"""No plaintext secret leaves the kit: not in plan JSON, not in rendered manifests, not in the
logs of ``marketplace-kit dev``.

The secrets are collected from where the kit generates them, then searched for verbatim:
- plans: every ``RandomPassword`` (database roles, PostgreSQL admin, Grafana admin) and every
  token signing key (``tls.PrivateKey``) gets a generated value under the mocks
  (``plan/fakes.py``), exactly what a provider would return; searched in ``plan --format json``
  and in every file ``render`` writes, for the dev and production blueprints and the reference
  marketplace (its own blueprint and production).
- dev: the per-run secrets it generates (``WEBHOOK_SECRET`` from ``--info-file``, the token
  signing key from its key file), plus a password sent to and an access token minted by the
  user service, searched in everything ``dev`` prints (its own lines and every service's logs).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.dev import REFERENCE_CONFIG, running_dev
from support.plans import full_plan

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import Platform, load_platform, parse_platform, read_yaml
from marketplace_kit.plan import ResourceGraph
from marketplace_kit.plan.fakes import new_resource
from marketplace_kit.render.writer import render_plan

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "marketplace" / "marketplace.yaml"
PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"
KEY_TYPE = "tls:index/privateKey:PrivateKey"
needs_reference = pytest.mark.skipif(not REFERENCE.is_file(), reason="no reference marketplace")


def reference(blueprint: str | None = None) -> Platform:
    """The reference marketplace, on its own blueprint or another one."""
    platform = load_platform(REFERENCE)
    if blueprint is None:
        return platform
    data = {**read_yaml(REFERENCE), "blueprint": blueprint}
    return Platform(config=parse_platform(data, REFERENCE), services=platform.services,
                    source=REFERENCE, service_files=platform.service_files)


def generated_passwords(graph: ResourceGraph, region: str) -> list[str]:
    """The value each RandomPassword of the plan was given (as the provider would)."""
    return [
        new_resource(r.type, r.name, r.inputs, region)[1]["result"]
        for r in graph.of_type(PASSWORD_TYPE)
    ]


def generated_private_keys(graph: ResourceGraph, region: str) -> list[str]:
    """The base64 body of each signing key of the plan (PKCS#8 and SEC1 PEM)."""
    found = []
    for r in graph.of_type(KEY_TYPE):
        state = new_resource(r.type, r.name, r.inputs, region)[1]
        for pem in (state["privateKeyPemPkcs8"], state["privateKeyPem"]):
            found += [line for line in pem.splitlines() if "-----" not in line]
    return found


PLANS = {
    "dev": lambda: (full_plan("dev"), "us-east-1"),
    "production": lambda: (full_plan("production"), "us-east-1"),
    "reference": lambda: (plan_platform(reference()), reference().config.region),
    "reference-production": lambda: (
        plan_platform(reference("production")), reference().config.region
    ),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_generated_passwords_never_appear_in_plan_json_or_rendered_files(
    name: str, tmp_path: Path
) -> None:
    if name.startswith("reference") and not REFERENCE.is_file():
        pytest.skip("no reference marketplace")
    graph, region = PLANS[name]()
    passwords = generated_passwords(graph, region)
    assert passwords, "the plan generates no password: nothing to look for"
    if name.startswith("reference"):  # its user service issues tokens
        keys = generated_private_keys(graph, region)
        assert keys, "the plan generates no signing key: nothing to look for"
        passwords += keys
    plan_json = graph.to_json()
    assert "[secret]" in plan_json  # secrets are there, masked
    render_plan(graph, tmp_path / "out", force=False)
    rendered = {p: p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert rendered
    for password in passwords:
        assert password not in plan_json
        leaks = [str(p) for p, text in rendered.items() if password in text]
        assert not leaks, f"a generated password is written in {leaks}"


# --- marketplace-kit dev ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, object], Path]]:
    """``marketplace-kit dev`` of the reference marketplace: (its info file, its log)."""
    with running_dev(REFERENCE_CONFIG, tmp_path_factory.mktemp("dev-secrets")) as dev:
        yield dev.info, dev.log


@needs_reference
@pytest.mark.slow
def test_dev_logs_carry_no_secret(dev_run: tuple[dict[str, object], Path]) -> None:
    info, log = dev_run
    secrets = dict(info["secrets"])  # type: ignore[call-overload]
    assert set(secrets) >= {"WEBHOOK_SECRET"}
    keys = sorted(Path(str(info["signing_keys_dir"])).glob("*.pem"))
    assert len(keys) == 1 and keys[0].stat().st_mode & 0o077 == 0  # owner-only key file
    for i, line in enumerate(keys[0].read_text().splitlines()):
        if "-----" not in line:
            secrets[f"signing key line {i}"] = line
    services: dict[str, str] = info["services"]  # type: ignore[assignment]
    password = f"pw-{uuid.uuid4().hex}"
    body = {"email": f"leak-{uuid.uuid4().hex[:8]}@example.com", "password": password,
            "display_name": "Leak Check", "role": "buyer"}
    with httpx.Client(timeout=30) as http:
        assert http.post(f"{services['user']}/register", json=body).status_code == 201
        login = http.post(f"{services['user']}/login", json=body)
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        me = http.get(f"{services['user']}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code in (200, 404), me.text  # a request carrying the token
    time.sleep(1.0)  # let the services' log lines reach dev's output
    output = log.read_text()
    assert "ready" in output  # the log holds the services' output
    searched = {**secrets, "password": password, "access token": token}
    leaked = sorted(name for name, value in searched.items() if str(value) in output)
    assert not leaked, f"plaintext secrets in the dev log: {leaked}"  # names only, not values
