"""Map Automation API exceptions (and what the engine reported) to one line and an exit code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from marketplace_kit.errors import KitError
from marketplace_kit.provision.errors import (
    MissingPrerequisite,
    ProvisionError,
    StackLockedError,
    no_aws_credentials,
    no_cli,
)
from marketplace_kit.provision.progress import Progress
from marketplace_kit.provision.settings import StackSettings

CREDENTIALS = re.compile(
    r"no valid credential sources|unable to validate AWS credentials|"
    r"InvalidClientTokenId|ExpiredToken|failed to refresh cached credentials|"
    r"NoCredentialProviders|security token included in the request is (invalid|expired)",
    re.IGNORECASE,
)
PASSPHRASE = re.compile(r"incorrect passphrase|passphrase must be set", re.IGNORECASE)
MAX_MESSAGE = 400


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _stderr_of(exc: Exception) -> str:
    """The CLI's stderr inside a CommandError (the SDK keeps only the formatted text)."""
    text = str(exc)
    return text.split("\n stderr: ", 1)[1] if "\n stderr: " in text else text


def _first_error_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.lower().startswith("error:"):
            return line[len("error:") :].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "the Pulumi CLI failed without a message"


# The DIY backend's lock error names each holder (pkg/backend/diy/lock.go checkForLock).
HOLDER = re.compile(r"created by (\S+) \(pid (\d+)\) at (\S+)")


def lock_holder(stderr: str) -> str:
    """`` (held by USER@HOST, pid N, since TIME)`` from the engine's lock error, or nothing."""
    found = HOLDER.search(stderr)
    return f" (held by {found[1]}, pid {found[2]}, since {found[3]})" if found else ""


def _locked(settings: StackSettings, holder: str = "") -> StackLockedError:
    state = settings.local_state_dir
    unlock = (
        f"delete the lock file under {state / '.pulumi' / 'locks'}"
        if state is not None
        else (
            # Outside a project only the fully qualified DIY name works, with its backend.
            f"run `PULUMI_BACKEND_URL={settings.backend_url} pulumi cancel --yes --stack "
            f"organization/{settings.project}/{settings.stack}`"
            if not settings.backend_url.startswith(("http://", "https://"))
            else f"run `pulumi cancel --yes --stack {settings.project}/{settings.stack}` (after "
            f"`pulumi login {settings.backend_url}`)"
        )
    )
    return StackLockedError(
        f"stack {settings.stack!r} is locked by another update{holder}; fix: wait for it to "
        "finish, "
        f"or, if no other run is active (a run was killed), {unlock}"
    )


def explain(
    exc: Exception, settings: StackSettings, command: str, progress: Progress | None
) -> KitError:
    """The one-line error for an exception raised by the Automation API."""
    from pulumi import automation as auto

    if isinstance(exc, auto.ConcurrentUpdateError):
        return _locked(settings, lock_holder(_stderr_of(exc)))
    if isinstance(exc, auto.InvalidVersionError):
        return MissingPrerequisite(f"{exc}; fix: curl -fsSL https://get.pulumi.com | sh")
    if isinstance(exc, FileNotFoundError):
        return no_cli()
    failures = progress.failures if progress is not None else []
    texts = [f.message for f in failures] + (progress.errors if progress else [])
    stderr = _stderr_of(exc)
    if any(CREDENTIALS.search(t) for t in [*texts, stderr]):
        return no_aws_credentials("the AWS provider rejected them")
    if PASSPHRASE.search(stderr):
        return MissingPrerequisite(
            f"the passphrase does not decrypt stack {settings.stack!r}; fix: export "
            "PULUMI_CONFIG_PASSPHRASE with the one it was created with (or restore "
            f"{settings.passphrase_file})"
        )
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return ProvisionError(
            _clip(f"{command} failed: {first.name} ({first.type}): {first.message}{more}")
            + f"; fix: correct the cause and run `marketplace-kit {command}` again "
            "(what was done is kept)"
        )
    detail = progress.errors[0] if progress and progress.errors else _first_error_line(stderr)
    return ProvisionError(_clip(f"{command} failed: {detail}"))


@contextmanager
def translated(
    settings: StackSettings, command: str, progress: Progress | None = None
) -> Iterator[None]:
    """Re-raise Automation API failures inside the block as one-line kit errors."""
    from pulumi import automation as auto

    try:
        yield
    except (auto.CommandError, auto.InvalidVersionError, FileNotFoundError) as exc:
        raise explain(exc, settings, command, progress) from None
