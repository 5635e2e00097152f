"""Finding ``<services_dir>/<name>/service.yaml``: every service or an error, never fewer.

A missing or mistyped ``services_dir``, a ``service.yml``, a directory without its service
file, a dangling or looping symlink: each would silently drop services from the plan (and
``up`` would then delete them), so each is a ``ConfigError``.
"""

from __future__ import annotations

from pathlib import Path

from marketplace_kit.errors import ConfigError

SERVICE_FILE = "service.yaml"
IGNORED = frozenset({"__pycache__", "node_modules"})


def _unusable(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (None: it can)."""
    if path.is_symlink() and not path.exists():
        return "a dangling or looping symlink"
    if path.exists() and not path.is_file():
        return "not a regular file"
    return None


def find_service_files(config_file: Path, value: str) -> tuple[Path, list[Path]]:
    """The services directory named by ``services_dir: value`` in ``config_file`` and every
    service file in it, sorted; a ConfigError for anything that would drop a service."""
    services_dir = config_file.parent / value
    where = f"{config_file}: services_dir: {value!r}"
    if services_dir.is_symlink() and not services_dir.exists():
        raise ConfigError(f"{where} is a dangling or looping symlink; fix: point it at the "
                          "services directory")
    if not services_dir.exists():
        raise ConfigError(f"{where}: no such directory ({services_dir}); fix: correct "
                          "services_dir, or create the directory (empty: no services)")
    if not services_dir.is_dir():
        raise ConfigError(f"{where}: not a directory ({services_dir}); fix: point services_dir "
                          "at the directory that holds the services")
    try:
        entries = sorted(services_dir.iterdir())
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror}); fix: check its "
                          "permissions") from None
    found: list[Path] = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name in IGNORED:
            continue
        if entry.is_symlink() and not entry.exists():
            raise ConfigError(f"{entry}: a dangling or looping symlink in services_dir; fix: "
                              "point it at a service directory or remove it")
        if not entry.is_dir():
            continue  # a README, a .gitkeep: not a service
        service_file = entry / SERVICE_FILE
        problem = _unusable(service_file)
        if problem is not None:
            raise ConfigError(f"{service_file}: {problem}; fix: make it the service's "
                              f"{SERVICE_FILE} file")
        if not service_file.exists():
            near = sorted(p.name for p in entry.glob("*") if p.name.lower().startswith(
                "service.") and p.name != SERVICE_FILE)
            hint = f" (found {', '.join(near)})" if near else ""
            raise ConfigError(f"{entry}: no {SERVICE_FILE}{hint}; fix: name the service file "
                              f"{SERVICE_FILE}, or move the directory out of services_dir")
        found.append(service_file)
    return services_dir, found
