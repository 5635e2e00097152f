"""The services of a platform as local processes: where their code is, what they need."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.errors import KitError


@dataclass(frozen=True)
class LocalService:
    """One service to run: its spec and its directory (``src/<package>`` inside), absolute: the
    process starts in it, so a path relative to the caller's directory would not resolve."""

    spec: ServiceSpec
    directory: Path

    @property
    def name(self) -> str:
        """The service name."""
        return self.spec.name

    @property
    def needs_database(self) -> bool:
        """Whether it gets a database of its own."""
        return self.spec.datastore != "none"

    @property
    def database_name(self) -> str:
        """Its database's name."""
        return self.spec.package

    def command(self) -> list[str]:
        """How to start it with this interpreter."""
        return [sys.executable, "-m", self.spec.package, "serve"]

    def environment(self, base: dict[str, str], values: dict[str, str]) -> dict[str, str]:
        """``base`` plus ``values`` plus PYTHONPATH pointing at the service's code."""
        paths = [str(self.directory / "src"), base.get("PYTHONPATH", "")]
        return {**base, **values, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def local_services(platform: Platform) -> list[LocalService]:
    """The platform's services, each checked to have its package in ``src/``."""
    found = []
    for spec in platform.services:
        directory = Path(os.path.abspath(platform.service_files[spec.name].parent))
        if not (directory / "src" / spec.package / "__main__.py").is_file():
            raise KitError(
                f"{directory}: no src/{spec.package}/__main__.py; fix: generate the service with "
                "`marketplace-kit new-service`"
            )
        found.append(LocalService(spec, directory))
    if not found:
        where = platform.source or "the platform"
        raise KitError(f"{where}: no services found; fix: add services/<name>/service.yaml")
    return found


def topics_to_create(services: list[LocalService]) -> list[str]:
    """Every published and consumed topic, plus the dead-letter topic of each consumed one."""
    topics = {t for s in services for t in (*s.spec.publishes, *s.spec.consumes)}
    topics |= {t for s in services for t in s.spec.dead_letter_topics}
    return sorted(topics)
