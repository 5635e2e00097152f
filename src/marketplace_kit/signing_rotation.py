"""Key rotation for the platform's tokens: the key-id list in ``marketplace.yaml``.

``tokens.signing_keys`` lists the issuer's key ids, oldest first. A key id made here names when
the key starts signing: rotating appends a key that activates ``ACTIVATION_DELAY`` from now, so
``marketplace-kit up`` can put it in the Secret and the gateway's JWK Set and every verifier can
fetch it before the first token carries it (the issuer re-reads its keys without a restart).
An old key goes once its successor has been signing for longer than the token lifetime (plus
a margin); the newest two keys always stay.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from marketplace_kit.config import parse_platform, read_yaml
from marketplace_kit.errors import ConfigError
from marketplace_kit.signing.keys import kid_time, new_kid

# Secret volume sync (~1-2 min) + the issuer's key reload (30 s) + verifiers' JWKS cache (5 min).
ACTIVATION_DELAY = timedelta(minutes=15)
MARGIN = timedelta(minutes=10)  # rollout time and clock skew
_BLOCK = re.compile(r"^tokens:[ \t]*(#.*)?$", re.M)
_KIDS = re.compile(
    r"^(?P<indent>[ \t]+)signing_keys:[ \t]*\[[^\]\n]*\](?P<comment>[ \t]*#.*)?$", re.M
)


def rotated(kids: list[str], ttl_seconds: int, now: datetime,
            delay: timedelta = ACTIVATION_DELAY) -> list[str]:
    """``kids`` plus a key activating at ``now + delay``, without the keys no unexpired token
    can carry."""
    kid = new_kid(now + delay)
    if kid in kids:
        raise ConfigError(f"key id {kid} exists already; fix: rotate again in a second")
    expiry = timedelta(seconds=ttl_seconds) + MARGIN
    kept = []
    for i, current in enumerate(kids):
        successor = kid_time(kids[i + 1]) if i + 1 < len(kids) else None
        last_two = i >= len(kids) - 2
        if last_two or successor is None or now - successor <= expiry:
            kept.append(current)
    return [*kept, kid]


def set_signing_keys(text: str, kids: list[str]) -> str:
    """``marketplace.yaml`` text with ``tokens.signing_keys`` set (comments kept)."""
    line = f"signing_keys: [{', '.join(kids)}]"
    block = _BLOCK.search(text)
    if block is None:
        return text.rstrip("\n") + f"\ntokens:\n  {line}\n"
    end = re.compile(r"^\S", re.M).search(text, block.end() + 1)
    inside = text[block.end():end.start() if end else len(text)]
    found = _KIDS.search(inside)
    if found is None:
        if "signing_keys" in inside:
            raise ConfigError("tokens.signing_keys is not a one-line list; fix: write it as "
                              "signing_keys: [kid1, kid2]")
        return text[:block.end()] + f"\n  {line}" + text[block.end():]
    start = block.end() + found.start()
    stop = block.end() + found.end()
    comment = found.group("comment") or ""
    return text[:start] + found.group("indent") + line + comment + text[stop:]


def rotate(file: Path, now: datetime) -> tuple[list[str], list[str]]:
    """Rotate the signing key of the platform in ``file``; returns (old, new) key ids.

    The new text is checked to validate before it atomically replaces the file."""
    config = parse_platform(read_yaml(file), file)
    old = list(config.tokens.signing_keys)
    new = rotated(old, config.tokens.ttl_seconds, now)
    text = set_signing_keys(file.read_text(encoding="utf-8"), new)
    written = parse_platform(yaml.safe_load(text), file)
    if written.tokens.signing_keys != new:  # pragma: no cover - a bug in set_signing_keys
        raise ConfigError(f"{file}: could not set tokens.signing_keys; fix: edit it by hand")
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, file)
    return old, new
