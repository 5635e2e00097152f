"""Where a platform's stack lives: project, stack, backend, secrets provider, work dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from marketplace_kit.config import Platform
from marketplace_kit.errors import KitError

KIT_DIR = ".marketplace-kit"
STACK_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
BACKEND_SCHEMES = ("file", "s3", "azblob", "gs", "http", "https")
BACKEND_VAR = "PULUMI_BACKEND_URL"  # the Pulumi CLI's own variable: honoured below --backend


@dataclass(frozen=True)
class StackSettings:
    """Everything needed to open a platform's stack."""

    project: str
    stack: str
    backend_url: str
    secrets_provider: str
    kit_dir: Path  # <config dir>/.marketplace-kit: state, passphrase, Pulumi workspace files
    workspace: str = "workspace"  # one per project: Pulumi.<stack>.yaml holds per-stack salt

    @property
    def work_dir(self) -> Path:
        """The Pulumi workspace directory (Pulumi.yaml, Pulumi.<stack>.yaml)."""
        return self.kit_dir / self.workspace

    @property
    def passphrase_file(self) -> Path:
        """Where a generated passphrase is kept."""
        return self.kit_dir / "passphrase"

    @property
    def local_state_dir(self) -> Path | None:
        """The state directory when the backend is a local file backend."""
        parsed = urlparse(self.backend_url)
        if parsed.scheme != "file":
            return None
        if parsed.netloc == "~" or parsed.netloc.startswith("~"):  # file://~/x: under $HOME
            return Path(parsed.netloc + parsed.path).expanduser()
        return Path(parsed.path)

    @property
    def uses_passphrase(self) -> bool:
        """Whether secrets are encrypted with a passphrase (``default`` is one, except on a
        Pulumi Cloud/service backend, where it means the service's own encryption)."""
        if self.secrets_provider == "default":
            return urlparse(self.backend_url).scheme not in ("http", "https")
        return self.secrets_provider == "passphrase"


def config_dir(platform: Platform) -> Path:
    """The directory of marketplace.yaml (the current directory for a built-in blueprint)."""
    if platform.source is not None and platform.source.is_file():
        return platform.source.resolve().parent
    return Path.cwd().resolve()


def _check_stack(name: str) -> str:
    if not name or not set(name) <= STACK_NAME_CHARS:
        raise KitError(
            f"--stack: {name!r} is not a stack name; fix: use letters, digits, '-', '_' or '.'"
        )
    return name


def _check_backend(url: str, source: str = "--backend") -> str:
    scheme = urlparse(url).scheme
    if scheme not in BACKEND_SCHEMES:
        raise KitError(
            f"{source}: {url!r} is not a Pulumi backend URL; fix: use file://DIR, s3://BUCKET, "
            "or https://api.pulumi.com"
        )
    return url


def given_backend(backend: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The backend the user chose: ``--backend``, else ``PULUMI_BACKEND_URL`` (None: neither)."""
    if backend:
        return _check_backend(backend)
    from_env = environ.get(BACKEND_VAR, "").strip()
    return _check_backend(from_env, BACKEND_VAR) if from_env else None


def _check_secrets_provider(provider: str) -> str:
    if provider in ("passphrase", "default") or provider.startswith(
        ("awskms://", "azurekeyvault://", "gcpkms://", "hashivault://")
    ):
        return provider
    raise KitError(
        f"--secrets-provider: {provider!r} is not a secrets provider; fix: use passphrase "
        "or awskms://alias/NAME?region=REGION"
    )


def resolve_settings(
    platform: Platform,
    stack: str | None = None,
    backend: str | None = None,
    secrets_provider: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> StackSettings:
    """The stack settings for a platform and the command-line overrides (the backend:
    ``--backend``, else ``PULUMI_BACKEND_URL``, else a file backend beside marketplace.yaml)."""
    kit_dir = config_dir(platform) / KIT_DIR
    return StackSettings(
        project=platform.config.name,
        stack=_check_stack(stack or platform.config.blueprint),
        backend_url=given_backend(backend, environ) or f"file://{kit_dir / 'state'}",
        secrets_provider=_check_secrets_provider(secrets_provider or "passphrase"),
        kit_dir=kit_dir,
    )


def local_stack_exists(settings: StackSettings) -> bool:
    """Whether a local file backend already holds this stack (false for other backends)."""
    state = settings.local_state_dir
    if state is None:
        return False
    stacks = state / ".pulumi" / "stacks"
    return any(
        (stacks / name).is_file()
        for name in (f"{settings.project}/{settings.stack}.json", f"{settings.stack}.json")
    )


def prepare_dirs(settings: StackSettings) -> None:
    """Create the kit directory (git-ignored: it holds state and the passphrase) and its parts."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    ignore = settings.kit_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# state and the passphrase: never commit them\n*\n", encoding="utf-8")
    if settings.local_state_dir is not None:
        settings.local_state_dir.mkdir(parents=True, exist_ok=True)
