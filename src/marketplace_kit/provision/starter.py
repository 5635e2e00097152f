"""``marketplace-kit init``: a commented marketplace.yaml and an empty services/ directory.

The comments show every setting with the value the chosen blueprint gives it, taken from the
config model itself (so they cannot drift); nothing is written unless all of it can be.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from marketplace_kit.changeset import make_dirs, remove_made
from marketplace_kit.config import PLATFORM_FILE, PlatformConfig, parse_platform
from marketplace_kit.errors import KitError

HEADER = """\
# marketplace.yaml: one event-driven marketplace platform (marketplace-kit).
#
#   marketplace-kit doctor    check this machine (Pulumi CLI, AWS credentials or kube context)
#   marketplace-kit plan      what `up` would build, offline, in seconds
#   marketplace-kit up        build it (asks before changing anything)
#   marketplace-kit destroy   tear it all down
#
# The blueprint gives every setting below a default (dev: cheapest sensible AWS footprint;
# production: 3 AZs, NAT per AZ, Multi-AZ RDS, 3 Kafka brokers; local: an existing kubeconfig
# context such as kind or k3d). Uncomment a line to override it.
"""
TOP_KEYS = ("name", "blueprint", "region")
NOTES = {  # settings of the platform itself; add-ons declare their sections' notes
    "target": "aws, or local (an existing kubeconfig context)",
    "image_registry": "where service images are pushed (e.g. an ECR registry URL)",
    "services_dir": "where `marketplace-kit new-service` puts services",
    "extra_regions": "AWS regions newer than this kit release, accepted as `region`",
    "service_stacks": "true: each service is a stack of its own (`marketplace-kit "
                      "deploy-service`) on the contract the platform exports",
}


def section_notes() -> dict[str, str]:
    """The note above each top-level key: the platform's own, then each add-on's."""
    from marketplace_kit.platform.registry import section_notes as addon_notes

    return {**NOTES, **addon_notes()}


def _commented(key: str, value: Any) -> str:
    notes = section_notes()
    note = f"# {key}: {notes[key]}\n" if key in notes else ""
    body = yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=False)
    return note + "".join(f"# {line}\n" for line in body.splitlines())


def render_starter(name: str, blueprint: str, region: str) -> str:
    """The text of a new marketplace.yaml (validated before it is returned)."""
    chosen = {"name": name, "blueprint": blueprint, "region": region}
    config: PlatformConfig = parse_platform(chosen, Path(PLATFORM_FILE))
    effective = config.model_dump(mode="json")
    parts = [HEADER, yaml.safe_dump(chosen, sort_keys=False)]
    parts += ["\n" + _commented(k, v) for k, v in effective.items() if k not in TOP_KEYS]
    text = "".join(parts)
    parse_platform(yaml.safe_load(text), Path(PLATFORM_FILE))
    return text


def write_starter(directory: Path, name: str, blueprint: str, region: str) -> list[Path]:
    """Write ``marketplace.yaml`` and ``services/.gitkeep`` into ``directory``; never overwrite.

    All or nothing: on any failure every file and directory it created is removed again."""
    target = directory / PLATFORM_FILE
    if target.exists() or target.is_symlink():
        raise KitError(f"{target}: already exists; fix: edit it, or init another directory")
    if directory.exists() and not directory.is_dir():
        raise KitError(f"{directory}: not a directory; fix: give a directory to init")
    text = render_starter(name, blueprint, region)
    services = directory / "services"
    keep = services / ".gitkeep"
    made: list[Path] = []  # created, in order: undone in reverse
    try:
        made += make_dirs(directory)
        fd, tmp = tempfile.mkstemp(prefix=".marketplace-", suffix=".yaml", dir=directory)
        made.append(Path(tmp))
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        made += make_dirs(services)
        if not keep.exists():
            keep.touch(exist_ok=False)
            made.append(keep)
        os.link(tmp, target)  # fails if the file appeared meanwhile: never overwrite
    except OSError as exc:
        remove_made(made)
        raise KitError(f"init {directory}: cannot write {exc.filename or target} "
                       f"({exc.strerror or exc}); nothing was written; fix: give a writable "
                       "directory") from None
    os.unlink(tmp)
    return [target, keep]
