"""Each stack is created with its own secrets key (``contract/keys.py``).

The platform stack takes the platform key: a service's key there would let that service's
deploy role decrypt the platform's secrets, so ``up``/``preview`` refuse one. A service stack
takes its own key: given the platform key (the one ``bootstrap`` prints, which a repository
variable or ``deploy-service --all`` passes), ``deploy-service`` uses the service's key in the
same region instead; another service's key is refused. Providers that are not the kit's keys
(passphrase, a key of your own) are used as given.
"""

from __future__ import annotations

from marketplace_kit.config import Platform
from marketplace_kit.contract import keys
from marketplace_kit.errors import KitError

SERVICE_SUFFIX = "-secrets"


def _service_key_of(alias: str, platform: str) -> str | None:
    """The service whose key ``alias`` names (this platform's naming), or None."""
    head = keys.service_alias(platform, "")[: -len(SERVICE_SUFFIX)]  # alias/<platform>-
    if alias.startswith(head) and alias.endswith(SERVICE_SUFFIX) and len(alias) > len(
            head) + len(SERVICE_SUFFIX):
        return alias[len(head):-len(SERVICE_SUFFIX)]
    return None


def platform_provider(provider: str, platform: Platform) -> str:
    """The platform stack's secrets provider: ``provider``, unless it is a service's key."""
    found = keys.provider_alias(provider)
    name = platform.config.name
    service = _service_key_of(found[0], name) if found else None
    if found and service is not None:
        fix = keys.secrets_provider(keys.platform_alias(name), found[1])
        raise KitError(f"--secrets-provider: {found[0]} is service {service}'s key: its deploy "
                       f"role could decrypt the platform's secrets; fix: use {fix} (what "
                       "`marketplace-kit bootstrap` prints)")
    return provider


def service_provider(provider: str, platform: Platform, service: str,
                     command: str = "deploy-service") -> str:
    """A service stack's secrets provider: its own key for the platform's (when the platform
    makes service keys: deploy roles), refused for another service's (the one line names
    ``command``), else ``provider``."""
    found = keys.provider_alias(provider)
    if found is None or not platform.config.deploys_from_ci:
        return provider
    alias, region = found
    name = platform.config.name
    own = keys.secrets_provider(keys.service_alias(name, service), region)
    if alias == keys.platform_alias(name):
        return own
    other = _service_key_of(alias, name)
    if other is not None and other != service:
        raise KitError(f"{command} {service}: --secrets-provider names service {other}'s "
                       f"key; fix: use {own} (or the platform's, which `bootstrap` prints)")
    return provider
