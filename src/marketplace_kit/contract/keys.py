"""The KMS keys of a platform's state and of each stack's secrets, named once.

Three kinds of key, each with its own key policy (``platform/key_policy.py``):
- the state key (``bootstrap``): the state bucket's objects (SSE-KMS, no bucket key, so S3
  asks KMS with each object's ARN as encryption context and a key policy can tell the
  platform's state from a service's);
- the platform key (``bootstrap``): the platform stack's secrets provider; no service role;
- a service key per service (the platform stack, beside the service's deploy role): that
  service stack's secrets provider; its deploy role and the platform's deployers only.

Bootstrap creates, the platform's deploy access names, and ``deploy-service``/``up`` pick the
secrets provider by these names.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

SCHEME = "awskms://"


def state_alias(platform: str) -> str:
    """The state bucket key's alias."""
    return f"alias/{platform}-state"


def platform_alias(platform: str) -> str:
    """The platform stack's secrets key's alias (the name the one key of earlier kits had, so
    a platform stack created then keeps its provider)."""
    return f"alias/{platform}-pulumi"


def service_alias(platform: str, service: str) -> str:
    """A service stack's secrets key's alias."""
    return f"alias/{platform}-{service}-secrets"


def secrets_provider(alias: str, region: str) -> str:
    """The Pulumi secrets provider URL of a KMS alias (``alias/NAME``)."""
    return f"{SCHEME}{alias}?region={region}"


def provider_alias(provider: str) -> tuple[str, str] | None:
    """``(alias, region)`` of an ``awskms://alias/...`` provider (None: another provider, or a
    key named by id or ARN)."""
    if not provider.startswith(SCHEME + "alias/"):
        return None
    parsed = urlparse(provider)
    region = parse_qs(parsed.query).get("region", [""])[0]
    return f"{parsed.netloc}{parsed.path}", region
