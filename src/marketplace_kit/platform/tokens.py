"""TokenSigningKeys: the issuing service's ES256 keys, as a Secret only that service mounts.

One ``tls.PrivateKey`` (P-256) per key id; the Secret ``<service>-signing-keys`` holds them as
``<kid>.pem`` files. Private keys are secret outputs: the plan shows them masked and Pulumi
keeps them encrypted in its state. The public halves become the JWK Set the gateway verifies
with. The issuer publishes every key and signs with the newest one already active (a key id
like ``20261128T093000Z`` names when it starts signing), so a new key reaches every verifier
before the first token carries it, whether the issuer restarts (the Secret's items change with
the key list) or re-reads its files; ``marketplace-kit rotate-signing-key`` drops keys once the
tokens they signed have expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from marketplace_kit.contract import container as c
from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import workload_names
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="tokens", component="TokenSigningKeys",
    exports=("TokenSigningKeys", "TokenSigningKeysArgs", "TokenAccess"),
    group="services", section="tokens",
    notes="signing keys of the service with issues_tokens (rotate: marketplace-kit "
          "rotate-signing-key)",
    after=("mesh",),
)
SECRET_SUFFIX = workload_names.SIGNING_KEYS_SUFFIX


@dataclass(frozen=True)
class TokenAccess:
    """What one service gets for tokens: the issuer holds the keys Secret, the others the JWKS
    URL; every one checks the same ``iss`` and ``aud``.

    Attributes:
        issuer: The ``iss`` of the platform's tokens.
        audience: The ``aud`` of the platform's tokens.
        jwks_url: A verifier's: where the issuer's JWK Set is.
        keys_secret: The issuer's: the Secret holding its private keys.
        kids: The issuer's: the key ids in that Secret (each mounted as ``<kid>.pem``).
        ttl_seconds: The issuer's: token lifetime.
    """

    issuer: str
    audience: str
    jwks_url: str | None = None
    keys_secret: str | None = None
    kids: tuple[str, ...] = ()
    ttl_seconds: int = 3600


def token_env(access: TokenAccess) -> list[dict[str, Any]]:
    """The container contract's AUTH_* variables for ``access`` (no secret in them)."""
    env = [{"name": c.AUTH_JWT_ISSUER, "value": access.issuer},
           {"name": c.AUTH_JWT_AUDIENCE, "value": access.audience}]
    if access.keys_secret is not None:
        env += [{"name": c.AUTH_SIGNING_KEYS_DIR, "value": c.SIGNING_KEYS_MOUNT},
                {"name": c.AUTH_TOKEN_TTL_SECONDS, "value": str(access.ttl_seconds)}]
    elif access.jwks_url is not None:
        env.append({"name": c.AUTH_JWKS_URL, "value": access.jwks_url})
    return env


def token_volume(access: TokenAccess) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumeMounts, volumes) of the issuer's keys: read-only, mode 0440 (group: the pod's
    fsGroup, the only non-root reader); none for the other services."""
    if access.keys_secret is None:
        return [], []
    mount = {"name": "signing-keys", "mountPath": c.SIGNING_KEYS_MOUNT, "readOnly": True}
    items = [{"key": f"{kid}.pem", "path": f"{kid}.pem"} for kid in access.kids]
    volume = {"name": "signing-keys",
              "secret": {"secretName": access.keys_secret, "defaultMode": 0o440,
                         **({"items": items} if items else {})}}
    return [mount], [volume]


@dataclass
class TokenSigningKeysArgs:
    """The issuing service and its key ids.

    Attributes:
        service: The issuing service (the Secret is ``<service>-signing-keys``).
        namespace: The workload namespace.
        kids: Key ids, oldest first; each is published, the newest active one signs.
        depends_on: What must exist first (the workload namespace).
    """

    service: str
    namespace: str
    kids: list[str]
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class TokenSigningKeys(pulumi.ComponentResource):
    """The issuer's private keys (a Secret) and their public JWK Set (``jwks``)."""

    def __init__(
        self, name: str, args: TokenSigningKeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:TokenSigningKeys", name, None, opts)
        if not args.kids:
            raise ValueError("a token issuer needs at least one signing key id")
        child = pulumi.ResourceOptions(parent=self)
        self.keys = {
            kid: tls.PrivateKey(f"signing-key-{kid}", algorithm="ECDSA", ecdsa_curve="P256",
                                opts=child)
            for kid in args.kids
        }
        self.secret_name = f"{args.service}{SECRET_SUFFIX}"
        self.secret = k8s.core.v1.Secret(
            "signing-keys",
            metadata=metadata(self.secret_name, args.namespace, "signing-keys"),
            string_data={f"{kid}.pem": key.private_key_pem_pkcs8
                         for kid, key in self.keys.items()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        publics = [key.public_key_pem for key in self.keys.values()]
        kids = list(self.keys)
        self.jwks: pulumi.Output[str] = pulumi.Output.all(*publics).apply(
            lambda pems: _jwks(dict(zip(kids, pems, strict=True)))
        )
        self.register_outputs({"secret": self.secret_name, "kids": list(self.keys)})


def _jwks(keys: dict[str, str]) -> str:
    from marketplace_kit.signing import public_jwks

    return public_jwks(keys)
