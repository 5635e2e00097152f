"""The platform side of tokens: only the issuer holds a signing key, the gateway verifies with
the issuer's public keys, and rotation is one command on marketplace.yaml.

Runs the reference marketplace's real plan (SDK mocks; the signing keys get real P-256 keys
from ``plan/fakes.py``) and validates the gateway's policies with the cloudcoil Istio models.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.incluster import kube_objects, validate
from typer.testing import CliRunner

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.cli.app import app
from marketplace_kit.config import check_services, load_platform, parse_service
from marketplace_kit.contract import container as c
from marketplace_kit.errors import ConfigError
from marketplace_kit.plan.fakes import new_resource
from marketplace_kit.signing import new_kid
from marketplace_kit.signing.keys import public_jwk
from marketplace_kit.signing_rotation import (
    ACTIVATION_DELAY,
    MARGIN,
    rotated,
    set_signing_keys,
)

REFERENCE = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "marketplace.yaml"
ISSUER = "http://user.marketplace.svc.cluster.local:8001/user"


@cache
def objects() -> list[dict[str, Any]]:
    return kube_objects(plan_platform(load_platform(REFERENCE)))


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects() if o["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (found,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(found)


def test_only_the_issuer_holds_the_signing_key() -> None:
    deployments = of_kind("Deployment")
    services = {"user", "catalog", "order", "payment", "notification"}
    assert services <= set(deployments)
    assert "user-signing-keys" in of_kind("Secret")
    for name in services:
        pod = deployments[name]["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in container(deployments[name])["env"]}
        secrets = [v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v]
        assert env[c.AUTH_JWT_ISSUER] == ISSUER and env[c.AUTH_JWT_AUDIENCE] == "marketplace"
        if name == "user":
            assert "user-signing-keys" in secrets
            assert env[c.AUTH_SIGNING_KEYS_DIR] == c.SIGNING_KEYS_MOUNT
            assert c.AUTH_SIGNING_KID not in env and c.AUTH_JWKS_URL not in env
            (keys,) = [v["secret"] for v in pod["volumes"] if v["name"] == "signing-keys"]
            assert keys["items"] == [{"key": "initial.pem", "path": "initial.pem"}]
            (mount,) = [m for m in container(deployments[name])["volumeMounts"]
                        if m["mountPath"] == c.SIGNING_KEYS_MOUNT]
            assert mount["readOnly"] is True
        else:
            assert "user-signing-keys" not in secrets
            assert not {c.AUTH_SIGNING_KEYS_DIR, c.AUTH_SIGNING_KID} & set(env)
            assert env[c.AUTH_JWKS_URL] == ISSUER + c.JWKS_PATH


def test_the_gateway_verifies_with_the_issuers_public_keys() -> None:
    (authn,) = of_kind("RequestAuthentication").values()
    (rule,) = authn["spec"]["jwtRules"]
    assert rule["issuer"] == ISSUER and rule["audiences"] == ["marketplace"]
    assert rule["forwardOriginalToken"] is True  # the services verify it again
    state = new_resource("tls:index/privateKey:PrivateKey", "signing-key-initial", {},
                         "us-east-1")[1]
    assert json.loads(rule["jwks"]) == {"keys": [public_jwk("initial", state["publicKeyPem"])]}
    assert state["privateKeyPemPkcs8"].splitlines()[1] not in json.dumps(objects())


def test_routes_need_a_token_unless_declared_public() -> None:
    (policy,) = [p for p in of_kind("AuthorizationPolicy").values()  # the gateway's; the
                 if p["metadata"]["namespace"] == "istio-ingress"  # services' in test_traffic,
                 and p["metadata"]["name"] != "api-docs-open"]  # test_api_docs: the docs'
    spec = policy["spec"]
    assert spec["action"] == "ALLOW"
    authenticated, public = spec["rules"]
    assert authenticated == {"from": [{"source": {"requestPrincipals": ["*"]}}]}
    opened = {(op["operation"].get("methods", ["*"])[0], op["operation"]["paths"][0])
              for op in public["to"]}
    assert opened == {
        ("POST", "/user/register"), ("POST", "/user/login"), ("GET", "/user/.well-known/*"),
        ("GET", "/catalog/products"), ("GET", "/catalog/products/*"),
        ("POST", "/payment/webhooks/sandbox"),
    }


def test_the_gateway_policies_validate_against_the_istio_models() -> None:
    found = [o for o in objects()
             if o["kind"] in ("RequestAuthentication", "AuthorizationPolicy")
             and o["metadata"]["namespace"] == "istio-ingress"]
    names = sorted(o["metadata"]["name"] for o in found)
    assert names == ["api-docs-open", "marketplace-jwt", "marketplace-require-token"]
    for obj in found:
        validate(obj)


def test_one_service_issues_tokens() -> None:
    a = parse_service({"name": "a", "issues_tokens": True}, Path("a/service.yaml"))
    b = parse_service({"name": "b", "path": "/b", "issues_tokens": True}, Path("b/service.yaml"))
    with pytest.raises(ConfigError, match="fix: let one service issue tokens"):
        check_services([(a, Path("a/service.yaml")), (b, Path("b/service.yaml"))])
    with pytest.raises(ConfigError, match="public route"):
        parse_service({"name": "a", "public_routes": ["GET products"]}, Path("a/service.yaml"))


# --- rotation ------------------------------------------------------------------------------


def test_rotation_keeps_keys_until_no_token_can_carry_them() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    ttl = 3600
    coming = new_kid(now + ACTIVATION_DELAY)  # published now, signs 15 minutes later
    assert rotated(["initial"], ttl, now) == ["initial", coming]
    recent = new_kid(now - timedelta(minutes=5))
    older = new_kid(now - timedelta(seconds=ttl) - MARGIN - timedelta(minutes=1))
    # initial's successor has signed long enough: initial goes; the newest two always stay.
    assert rotated(["initial", older, recent], ttl, now) == [older, recent, coming]
    # recent signs since 5 minutes: tokens of the key before it may still be valid.
    assert rotated(["a", recent, "b"], ttl, now) == ["a", recent, "b", coming]


def test_set_signing_keys_keeps_the_rest_of_the_file() -> None:
    text = "# mine\nname: shop\ntokens:  # the issuer's keys\n  ttl_seconds: 600\n" \
           "  signing_keys: [a]  # rotated\nservices_dir: services\n"
    # ruamel keeps the comment; it sets it one space after the value
    assert set_signing_keys(text, ["a", "b"]) == text.replace("[a]  #", "[a, b] #")
    assert set_signing_keys("name: shop\n", ["a"]) == "name: shop\ntokens:\n  signing_keys: [a]\n"
    block = set_signing_keys("tokens:\n  signing_keys:\n    - a\n", ["a", "b"])
    assert yaml.safe_load(block) == {"tokens": {"signing_keys": ["a", "b"]}}


@pytest.mark.parametrize("text", [
    "name: shop\ntokens: {ttl_seconds: 600, signing_keys: [a]}  # flow style\n",
    'name: shop\n"tokens":\n  signing_keys: [a]\n',
    "name: shop\n'tokens': {signing_keys: [a]}\n",
])
def test_set_signing_keys_edits_yaml_not_text(text: str) -> None:
    """Flow style and quoted keys (issue 36): one ``tokens`` key, edited in place, style and
    comments kept (the text-editing version appended a second ``tokens:`` block)."""
    edited = set_signing_keys(text, ["a", "b"])
    assert yaml.safe_load(edited)["tokens"]["signing_keys"] == ["a", "b"]
    assert edited.count("tokens") == 1
    assert ("# flow style" in edited) == ("# flow style" in text)
    assert ("{" in edited) == ("{" in text)


def test_rotate_signing_key_is_one_command(tmp_path: Path) -> None:
    platform = tmp_path / "marketplace.yaml"
    shutil.copy(REFERENCE, platform)
    (tmp_path / "services").mkdir()
    result = CliRunner().invoke(app, ["rotate-signing-key", "--config", str(platform)])
    assert result.exit_code == 0, result.output
    kids = load_platform(platform).config.tokens.signing_keys
    assert kids[0] == "initial" and len(kids) == 2 and kids[1] in result.output
    assert platform.read_text().startswith(REFERENCE.read_text())  # comments and keys kept
    assert not list(tmp_path.glob(".*.tmp"))


def test_rotate_signing_key_refuses_a_file_it_cannot_edit(tmp_path: Path) -> None:
    import subprocess
    import sys

    platform = tmp_path / "marketplace.yaml"
    platform.write_text("name: shop\ntokens: [a]\n")  # not a mapping: nothing to edit
    before = platform.read_text()
    cli = "from marketplace_kit.cli.app import main; main()"
    run = subprocess.run([sys.executable, "-c", cli, "rotate-signing-key", "--config",
                          str(platform)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and "fix: " in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert platform.read_text() == before


def test_only_the_issuer_template_can_sign() -> None:
    from marketplace_kit.scaffold import make_answers
    from marketplace_kit.scaffold.render import render_files

    issuer = render_files(make_answers(name="accounts", issues_tokens=True))
    verifier = render_files(make_answers(name="reviews"))
    signing = ("def issue(", "SigningKeys", "auth_signing_keys_dir", "jwt.encode")
    for path in ("src/reviews/auth.py", "src/reviews/settings.py"):
        assert not [s for s in signing if s in verifier[path]], path
    assert "def issue(" in issuer["src/accounts/auth.py"]
    assert "auth_signing_keys_dir" in issuer["src/accounts/settings.py"]
    assert "issues_tokens: true" in issuer["service.yaml"]
    assert "issues_tokens" not in verifier["service.yaml"]
