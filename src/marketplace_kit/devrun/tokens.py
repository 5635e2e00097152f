"""Tokens in a local run: a signing key made for this run only, held by the issuing service;
every other service verifies against the issuer's JWKS URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from marketplace_kit.contract import container as c
from marketplace_kit.devenv.ports import LOOPBACK
from marketplace_kit.devrun.services import LocalService
from marketplace_kit.errors import KitError
from marketplace_kit.signing import generate_private_pem, new_kid, write_key_dir


@dataclass(frozen=True)
class RunTokens:
    """The environment each service gets for tokens, and where the run's key is."""

    env: dict[str, dict[str, str]] = field(default_factory=dict)
    issuer: str | None = None
    keys_dir: Path | None = None


def issuer_of(services: list[LocalService]) -> LocalService | None:
    """The one service that issues tokens (None: auth stays off)."""
    issuers = [s for s in services if s.spec.issues_tokens]
    if len(issuers) > 1:
        names = ", ".join(s.name for s in issuers)
        raise KitError(f"several services issue tokens ({names}); fix: set issues_tokens in "
                       "one service only")
    return issuers[0] if issuers else None


def run_tokens(services: list[LocalService], ports: dict[str, int], state: Path) -> RunTokens:
    """A fresh key in ``state`` for the issuer; the JWKS URL and issuer for everyone else."""
    issuer = issuer_of(services)
    if issuer is None:
        return RunTokens()
    url = f"http://{LOOPBACK}:{ports[issuer.name]}{issuer.spec.route_prefix}"
    kid = new_kid()
    keys_dir = write_key_dir(state / "signing-keys", {kid: generate_private_pem()})
    env = {
        s.name: {c.AUTH_JWT_ISSUER: url, c.AUTH_JWKS_URL: url + c.JWKS_PATH}
        for s in services if s is not issuer
    }
    env[issuer.name] = {c.AUTH_JWT_ISSUER: url, c.AUTH_SIGNING_KEYS_DIR: str(keys_dir)}
    return RunTokens(env, url, keys_dir)
