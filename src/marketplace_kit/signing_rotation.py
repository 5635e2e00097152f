"""Key rotation for the platform's tokens: the key-id list in ``marketplace.yaml``.

``tokens.signing_keys`` lists the issuer's key ids, oldest first. A key id made here names when
the key starts signing: rotating appends a key that activates ``ACTIVATION_DELAY`` from now, so
``marketplace-kit up`` can put it in the Secret and the gateway's JWK Set and every verifier can
fetch it before the first token carries it (the issuer re-reads its keys without a restart).
An old key goes once its successor has been signing for longer than the token lifetime (plus
a margin); the newest two keys always stay.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from marketplace_kit.changeset import os_error, replace_file
from marketplace_kit.config import parse_mapping, parse_platform, read_yaml
from marketplace_kit.errors import ConfigError
from marketplace_kit.runlock import run_lock
from marketplace_kit.signing.keys import kid_time, new_kid

# Secret volume sync (~1-2 min) + the issuer's key reload (30 s) + verifiers' JWKS cache (5 min).
ACTIVATION_DELAY = timedelta(minutes=15)
MARGIN = timedelta(minutes=10)  # rollout time and clock skew


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
    """``marketplace.yaml`` text with ``tokens.signing_keys`` set, edited as YAML (round-trip:
    comments, key order, quoting and flow or block style kept), never as text."""
    editor = YAML()  # round-trip mode
    editor.preserve_quotes = True
    editor.width = 4096  # never re-wrap the user's long lines
    try:
        data = editor.load(text)
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML ({' '.join(str(exc).split())}); fix: correct the "
                          "file, then rotate again") from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError("the file is not a mapping of keys; fix: see marketplace-kit init")
    tokens = data.get("tokens")
    if tokens is None:
        tokens = data["tokens"] = CommentedMap()
    elif not isinstance(tokens, CommentedMap):
        raise ConfigError("tokens is not a mapping; fix: write tokens: {signing_keys: [...]}")
    keys = tokens.get("signing_keys")
    if isinstance(keys, CommentedSeq):
        keys[:] = kids  # in place: its style and its comment stay
    else:
        keys = CommentedSeq(kids)
        keys.fa.set_flow_style()
        tokens["signing_keys"] = keys
    out = io.StringIO()
    editor.dump(data, out)
    return out.getvalue()


def rotate(file: Path, now: datetime) -> tuple[list[str], list[str]]:
    """Rotate the signing key of the platform in ``file``; returns (old, new) key ids.

    Read, edited and replaced under the lock of the file's folder (two rotations at once never
    drop each other's key); the new text is checked to validate before it atomically replaces
    the file."""
    with run_lock(file.resolve().parent, "rotate-signing-key"):
        config = parse_platform(read_yaml(file), file)
        old = list(config.tokens.signing_keys)
        new = rotated(old, config.tokens.ttl_seconds, now)
        text = set_signing_keys(file.read_text(encoding="utf-8"), new)
        written = parse_platform(parse_mapping(text, file), file)
        if written.tokens.signing_keys != new:  # pragma: no cover - a bug in set_signing_keys
            raise ConfigError(f"{file}: could not set tokens.signing_keys; fix: edit it by hand")
        try:
            replace_file(file, text.encode("utf-8"))
        except OSError as exc:
            raise os_error(f"rotate-signing-key {file}", exc) from None
    return old, new
