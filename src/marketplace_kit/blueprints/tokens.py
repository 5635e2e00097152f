"""The platform's tokens, config -> Args: the issuer's signing keys, what the gateway verifies
with, and the AUTH_* access each service gets."""

from __future__ import annotations

import pulumi

from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.contract.container import JWKS_PATH
from marketplace_kit.platform.gateway import TokenIssuer
from marketplace_kit.platform.tokens import TokenAccess, TokenSigningKeys, TokenSigningKeysArgs


def issuer_url(issuer: ServiceSpec, namespace: str) -> str:
    """The ``iss`` of the platform's tokens: the issuer's in-cluster base URL (its discovery
    document and JWKS are below it)."""
    return f"http://{issuer.name}.{namespace}.svc.cluster.local:{issuer.port}{issuer.route_prefix}"


def signing_keys(
    platform: Platform, opts: pulumi.ResourceOptions, depends_on: list[pulumi.Resource]
) -> TokenSigningKeys | None:
    """The issuer's keys (``tokens.signing_keys``); None when no service issues tokens."""
    issuer = platform.token_issuer
    if issuer is None:
        return None
    return TokenSigningKeys(
        "tokens",
        TokenSigningKeysArgs(service=issuer.name, namespace=platform.config.name,
                             kids=list(platform.config.tokens.signing_keys),
                             depends_on=depends_on),
        opts=opts,
    )


def gateway_issuer(platform: Platform, keys: TokenSigningKeys | None) -> TokenIssuer | None:
    """What the gateway checks tokens against (None: no token checks at the edge)."""
    issuer = platform.token_issuer
    if issuer is None or keys is None:
        return None
    ns = platform.config.name
    return TokenIssuer(issuer_url(issuer, ns), ns, keys.jwks, issuer.route_prefix)


def token_access(
    platform: Platform, spec: ServiceSpec, keys: TokenSigningKeys | None
) -> TokenAccess | None:
    """The issuer gets its keys Secret; every other service the issuer's JWKS URL."""
    issuer = platform.token_issuer
    if issuer is None or keys is None:
        return None
    ns = platform.config.name
    url = issuer_url(issuer, ns)
    if spec.name == issuer.name:
        return TokenAccess(url, ns, keys_secret=keys.secret_name, kids=tuple(keys.keys),
                           ttl_seconds=platform.config.tokens.ttl_seconds)
    return TokenAccess(url, ns, jwks_url=url + JWKS_PATH)
