"""Open a platform's stack through the Automation API: CLI, backend, secrets, config, plugins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from marketplace_kit.config import Platform
from marketplace_kit.platform.versions import PULUMI_CLI_MINIMUM, PULUMI_PLUGINS
from marketplace_kit.provision.aws_credentials import find_credentials
from marketplace_kit.provision.errors import NoStackError, no_aws_credentials
from marketplace_kit.provision.pulumi_binary import find_cli
from marketplace_kit.provision.secrets import passphrase_env
from marketplace_kit.provision.settings import StackSettings, prepare_dirs

if TYPE_CHECKING:
    from pulumi import automation as auto

FALLBACK_VAR = "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"
# Plugins a target does not need (the local target never talks to AWS).
UNUSED_PLUGINS = {"aws": frozenset(), "local": frozenset({"aws"})}


def required_plugins(target: str) -> dict[str, str]:
    """The provider plugins (name -> pinned version) a target's program uses."""
    skip = UNUSED_PLUGINS.get(target, frozenset())
    return {name: version for name, version in PULUMI_PLUGINS.items() if name not in skip}


def stack_config(platform: Platform) -> dict[str, str]:
    """Stack configuration the providers read (the program itself reads marketplace.yaml)."""
    if platform.config.target == "aws":
        return {"aws:region": platform.config.region}
    return {}


def require_aws_credentials(platform: Platform) -> None:
    """Fail early, offline, when the aws target has no credentials to work with."""
    if platform.config.target != "aws":
        return
    source, looked = find_credentials()
    if source is None:
        raise no_aws_credentials(looked)


def open_stack(
    platform: Platform,
    settings: StackSettings,
    *,
    create: bool,
    program: Callable[[], None] | None,
    warn: Callable[[str], None],
    record: dict[str, str] | None = None,
    plugins: Mapping[str, str] | None = None,
) -> auto.Stack:
    """The stack, selected (or created when ``create``); ready for an engine run with ``program``.

    Ready means: the stack config set (with ``record``: what this run found, such as the
    deployer's address) and the provider plugins installed (``plugins``, name -> version; by
    default the pinned ones the platform's target uses).
    """
    from pulumi import automation as auto
    from semver import VersionInfo

    from marketplace_kit.provision.engine_command import StoppableCommand

    engine = program is not None
    find_cli()
    if engine:
        require_aws_credentials(platform)
    prepare_dirs(settings)
    # Pulumi.<stack>.yaml (salt or KMS key) lives in the git-ignored kit directory: from a fresh
    # checkout the CLI must take the secrets manager from the state, not make a new one.
    env = {"PULUMI_BACKEND_URL": settings.backend_url, FALLBACK_VAR: "true"}
    env |= passphrase_env(settings, may_generate=False, warn=warn)
    workspace = auto.LocalWorkspace(
        work_dir=str(settings.work_dir),
        program=program,
        env_vars=env,
        secrets_provider=settings.secrets_provider,
        project_settings=auto.ProjectSettings(name=settings.project, runtime="python"),
        pulumi_command=StoppableCommand(version=VersionInfo.parse(PULUMI_CLI_MINIMUM)),
    )
    try:
        stack = auto.Stack.select(settings.stack, workspace)
    except auto.StackNotFoundError:
        if create:  # only now is a new passphrase safe: the backend has no such stack
            workspace.env_vars = {
                **workspace.env_vars, **passphrase_env(settings, may_generate=True, warn=warn)
            }
            stack = auto.Stack.create(settings.stack, workspace)
        else:
            raise NoStackError(
                f"no stack {settings.stack!r} of project {settings.project!r} in "
                f"{settings.backend_url}: nothing is deployed; fix: run `marketplace-kit up` "
                "(or pass the --stack/--backend it was deployed with)"
            ) from None
    if engine:
        config = stack_config(platform) | (record or {})
        if config:
            stack.set_all_config({key: auto.ConfigValue(value=v) for key, v in config.items()})
        wanted = required_plugins(platform.config.target) if plugins is None else plugins
        for name, version in wanted.items():
            workspace.install_plugin(name, version)
    return stack
