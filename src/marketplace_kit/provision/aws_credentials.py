"""Find AWS credentials the way the AWS SDKs do, without the network (no botocore needed).

Instance roles (EC2 metadata) cannot be seen offline: on an EC2 host with a role and nothing
else configured this reports no credentials, and says so.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from marketplace_kit.home import home_dir

CREDENTIAL_KEYS = (
    "aws_access_key_id",
    "role_arn",
    "sso_session",
    "sso_start_url",
    "credential_process",
    "web_identity_token_file",
)


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return configparser.ConfigParser(interpolation=None)
    return parser


def _profile_has_credentials(profile: str, credentials: Path, config: Path) -> bool:
    creds = _read(credentials)
    if creds.has_section(profile) and any(creds.has_option(profile, k) for k in CREDENTIAL_KEYS):
        return True
    conf = _read(config)
    section = profile if profile == "default" else f"profile {profile}"
    return conf.has_section(section) and any(conf.has_option(section, k) for k in CREDENTIAL_KEYS)


def find_credentials(environ: Mapping[str, str] = os.environ) -> tuple[str | None, str]:
    """(where the credentials come from, or None; what was looked at)."""
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return "environment (AWS_ACCESS_KEY_ID)", ""
    if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and environ.get("AWS_ROLE_ARN"):
        return "web identity (AWS_ROLE_ARN)", ""
    if environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or environ.get(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    ):
        return "container credentials endpoint", ""
    home = home_dir(environ) or Path("/nonexistent")  # no home: only the variables' files
    credentials = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials"))
    config = Path(environ.get("AWS_CONFIG_FILE", home / ".aws" / "config"))
    profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    if _profile_has_credentials(profile, credentials, config):
        return f"profile {profile!r} ({credentials.parent})", ""
    looked = (
        f"no AWS_ACCESS_KEY_ID, no profile {profile!r} in {credentials} or {config}; "
        "an EC2 instance role cannot be checked offline"
    )
    return None, looked


def env_region(environ: Mapping[str, str] = os.environ) -> str | None:
    """The region the AWS CLI and kubectl would use from the environment."""
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
