"""marketplace.yaml ``tokens``: the platform's signing keys."""


from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config import limits
from marketplace_kit.config.base import KEY_ID, ConfigModel
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class TokensConfig(ConfigModel):
    """The platform's tokens, issued by the service with ``issues_tokens`` in its service.yaml."""

    # Key ids of the issuer's ES256 keys, oldest first: all are published, the newest already
    # active signs (an id like 20261128T093000Z names when it starts). `marketplace-kit
    # rotate-signing-key` appends one and drops those no unexpired token can carry.
    signing_keys: list[str] = Field(default_factory=lambda: ["initial"], min_length=1,
                                    max_length=limits.SIGNING_KEYS)
    ttl_seconds: int = Field(3600, ge=60, le=86400)

    @field_validator("signing_keys")
    @classmethod
    def _kids(cls, kids: list[str]) -> list[str]:
        for kid in kids:
            if not KEY_ID.match(kid):
                raise ValueError(f"{kid!r} is not a key id (letters, digits, '-', '_', '.')")
        if len(set(kids)) != len(kids):
            raise ValueError("a key id is listed twice")
        return kids
