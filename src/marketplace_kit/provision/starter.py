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

from marketplace_kit.changeset import held_signals, make_dirs, remove_made
from marketplace_kit.config import PLATFORM_FILE, PlatformConfig, parse_platform
from marketplace_kit.errors import Interrupted, KitError
from marketplace_kit.runlock import lock_path, run_lock

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
TEMPORARY_PREFIX = f".{PLATFORM_FILE}.init-"  # the new file before it is linked into place
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

    All or nothing: on any failure or Ctrl-C every file and directory it created is removed
    again; ``marketplace.yaml`` appears last, in one step (a hard link of a complete file). What
    a run killed outright left (its temporary file, its lock file) is removed by the next
    ``init`` there."""
    if directory.exists() and not directory.is_dir():
        raise KitError(f"{directory}: not a directory; fix: give a directory to init")
    target = directory / PLATFORM_FILE
    # Said without the lock (so also in a read-only checkout), unless a killed run left files
    # that the next init removes under it.
    if _exists(target) and not _leftovers(directory):
        raise KitError(f"{target}: already exists; fix: edit it, or init another directory")
    text = render_starter(name, blueprint, region)
    with run_lock(directory, "init", create=True):  # the folder is created here
        _remove_leftovers(directory)
        if _exists(target):
            raise KitError(f"{target}: already exists; fix: edit it, or init another directory")
        return _write(directory, target, text)


def _exists(target: Path) -> bool:
    return target.exists() or target.is_symlink()


def _leftovers(directory: Path) -> bool:
    """Whether a killed ``init`` left its temporary file or its lock file in ``directory``."""
    return lock_path(directory).exists() or any(directory.glob(f"{TEMPORARY_PREFIX}*"))


def _remove_leftovers(directory: Path) -> None:
    """Remove the temporary files of ``init`` runs killed before they finished."""
    try:
        for leftover in directory.glob(f"{TEMPORARY_PREFIX}*"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
    except OSError as exc:
        raise KitError(f"init {directory}: cannot remove {exc.filename} (left by an "
                       f"interrupted init; {exc.strerror}); nothing was written; fix: remove "
                       "it yourself, then run it again") from None


def _write(directory: Path, target: Path, text: str) -> list[Path]:
    services = directory / "services"
    keep = services / ".gitkeep"
    made: list[Path] = []  # created, in order: undone in reverse
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=directory)
        made.append(Path(tmp))
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        made += make_dirs(services)
        if not keep.exists():
            keep.touch(exist_ok=False)
            made.append(keep)
        with held_signals():  # Ctrl-C lands after the file is in place and the temporary gone
            os.link(tmp, target)  # fails if the file appeared meanwhile: never overwrite
            made = []
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        remove_made(made)
        raise KitError(f"init {directory}: cannot write {exc.filename or target} "
                       f"({exc.strerror or exc}); nothing was written; fix: give a writable "
                       "directory") from None
    except KeyboardInterrupt:
        if made or not target.exists():
            remove_made(made)
            raise Interrupted(f"init {directory}: interrupted before {PLATFORM_FILE} was "
                              "written; nothing was written; fix: run it again") from None
        raise Interrupted(f"init {directory}: interrupted after {PLATFORM_FILE} was written; "
                          "it is complete") from None
    return [target, keep]
