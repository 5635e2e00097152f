"""Reading, validating and cross-checking the files: the Platform the kit works on."""


from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config import limits
from marketplace_kit.config.base import DOCUMENTDB_FIX, DOCUMENTDB_REFUSED
from marketplace_kit.config.platform import PlatformConfig
from marketplace_kit.config.presets import PRESETS
from marketplace_kit.config.service import ServiceSpec
from marketplace_kit.contract import api_docs_paths
from marketplace_kit.core.merge import deep_merge
from marketplace_kit.errors import ConfigError
from marketplace_kit.validation import grammars, yaml_load
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE
from marketplace_kit.validation.services_dir import find_service_files


@dataclass(frozen=True)
class Platform:
    """A platform config with the services found in its services_dir."""

    config: PlatformConfig
    services: tuple[ServiceSpec, ...] = ()
    source: Path | None = None
    service_files: dict[str, Path] = field(default_factory=dict)
    services_dir: Path | None = None

    @property
    def topics(self) -> list[str]:
        """Every event stream some service publishes, sorted."""
        return sorted({t for s in self.services for t in s.publishes})

    @property
    def dead_letter_topics(self) -> list[str]:
        """The dead-letter topic of every consumed stream, sorted."""
        return sorted({t for s in self.services for t in s.dead_letter_topics})

    @property
    def token_issuer(self) -> ServiceSpec | None:
        """The service that issues the platform's tokens (at most one: ``check_services``)."""
        return next((s for s in self.services if s.issues_tokens), None)


def _fix_for(error: dict[str, Any]) -> str:
    kind = error["type"]
    if str(error.get("msg", "")).endswith(DOCUMENTDB_REFUSED):
        return DOCUMENTDB_FIX
    if kind == "too_long":
        return f"list at most {error.get('ctx', {}).get('max_length')} (the kit's limit)"
    if kind == "extra_forbidden":
        return "remove the key or check its spelling"
    if kind == "missing":
        return "add the key"
    if kind.startswith(("int", "float", "bool", "string", "list", "dict", "model")):
        return "give a value of the expected type"
    return "correct the value"


def _explain(file: Path, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    if "; fix: " in message:
        return ConfigError(f"{file}: {key}: {message}")
    return ConfigError(f"{file}: {key}: {message}; fix: {_fix_for(dict(first))}")


def read_yaml(file: Path) -> dict[str, Any]:
    """A YAML mapping from ``file``, or a ConfigError naming the file and the problem (a
    FIFO, a huge file, duplicate keys, deep nesting included: see ``validation/yaml_load.py``)."""
    return parse_mapping(yaml_load.read_text(file), file)


def parse_mapping(text: str, file: Path) -> dict[str, Any]:
    """The YAML mapping in ``text`` (read from, or about to be written to, ``file``), strictly."""
    data = yaml_load.parse(text, file)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: (top level): expected a mapping of keys; fix: use key: value")
    return data


def parse_platform(data: dict[str, Any], file: Path) -> PlatformConfig:
    """Validate a platform mapping over the preset of the blueprint it names."""
    blueprint = data.get("blueprint", "dev")
    preset = PRESETS.get(blueprint, {}) if isinstance(blueprint, str) else {}
    try:
        return PlatformConfig.model_validate(deep_merge(preset, data))
    except ValidationError as exc:
        raise _explain(file, exc) from None


def parse_service(data: dict[str, Any], file: Path) -> ServiceSpec:
    """Validate a service mapping."""
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as exc:
        raise _explain(file, exc) from None


def load_service(file: Path) -> ServiceSpec:
    """Load one ``service.yaml``."""
    return parse_service(read_yaml(file), file)


def check_services(services: list[tuple[ServiceSpec, Path]]) -> None:
    """Cross-service rules: ``check_placement``, and every consumed topic has a publisher."""
    check_placement(services)
    published: set[str] = set()
    for spec, file in services:
        published.update(spec.publishes)
        if len(published) > limits.TOPICS:
            raise ConfigError(f"{file}: publishes: with it the services publish more than "
                              f"{limits.TOPICS} topics, the kit's limit per platform; fix: merge "
                              "event streams (e.g. one topic per entity, the event type in a "
                              "header)")
    for spec, file in services:
        for topic in spec.consumes:
            if topic not in published:
                raise ConfigError(
                    f"{file}: consumes: no service publishes {topic!r}; "
                    "fix: add it to a service's publishes or remove it"
                )


def check_placement(services: list[tuple[ServiceSpec, Path]]) -> None:
    """Unique names and ports, one token issuer, route prefixes that do not overlap (the
    gateway matches prefixes as strings: /order would also take /orders). ``new-service``
    checks a new service against its siblings with these rules too."""
    names: dict[str, Path] = {}
    issuer: Path | None = None
    ports: dict[int, Path] = {}
    routes: list[tuple[str, Path]] = []
    for spec, file in services:
        if spec.issues_tokens and issuer is not None:
            raise ConfigError(
                f"{file}: issues_tokens: {issuer} already issues the platform's tokens; "
                "fix: let one service issue tokens"
            )
        issuer = file if spec.issues_tokens else issuer
        if spec.name in names:
            raise ConfigError(
                f"{file}: name: {spec.name!r} is already used by {names[spec.name]}; "
                "fix: give each service a unique name"
            )
        names[spec.name] = file
        if spec.port in ports:
            free = next_free_port(ports)
            raise ConfigError(
                f"{file}: port: {spec.port} is already used by {ports[spec.port]}; "
                f"fix: give each service its own port (e.g. {free})"
            )
        ports[spec.port] = file
        prefix = spec.route_prefix
        for other, other_file in routes:
            if prefix.startswith(other) or other.startswith(prefix):
                same = "is already routed to" if prefix == other else f"overlaps {other!r} of"
                raise ConfigError(
                    f"{file}: path: {prefix!r} {same} {other_file}; fix: give each service "
                    "a path prefix that is not the start of another's"
                )
        routes.append((prefix, file))
    for spec, file in services:
        for callee in spec.calls:
            if callee not in names or callee == spec.name:
                raise ConfigError(
                    f"{file}: calls: {callee!r} is not another service of the platform; "
                    f"fix: name one of {sorted(set(names) - {spec.name})} or remove it"
                )


def check_api_docs_paths(services: list[tuple[ServiceSpec, Path]]) -> None:
    """With ``gateway.api_docs``, no service's route prefix or public route collides with the
    paths the API documents' server takes at the gateway (``contract/api_docs_paths.py``)."""
    for spec, file in services:
        prefix = spec.route_prefix
        opened = [(f"public_routes: {route!r}",
                   prefix.rstrip("/") + route.split(" ", 1)[1].removesuffix("*"))
                  for route in spec.public_routes]
        for where, path in [(f"path: {prefix!r}", prefix), *opened]:
            served = api_docs_paths.collision(path)
            if served is not None:
                example = next(p for p in (f"/{spec.name}", f"/{spec.name}-api")
                               if api_docs_paths.collision(p) is None)
                raise ConfigError(
                    f"{file}: {where} collides with {served!r}, which the API documents "
                    "(gateway.api_docs) take at the gateway; fix: give the service a path "
                    f"prefix apart from {', '.join(api_docs_paths.SERVED)} (e.g. {example}) "
                    "or set gateway.api_docs: false")


IMAGE_DIGEST = grammars.IMAGE_DIGEST


def check_digests(services: list[tuple[ServiceSpec, Path]]) -> None:
    """The production blueprint deploys images by digest only: a tag can be moved, a digest
    names exactly what was built and scanned (the service's CI writes it on deploy)."""
    for spec, file in services:
        if not IMAGE_DIGEST.search(spec.image):
            shown = repr(spec.image) if spec.image else f"the default '<registry>/{spec.name}:"
            shown += "" if spec.image else f"{spec.version}'"
            raise ConfigError(
                f"{file}: image: {shown} is a mutable tag and the production blueprint deploys "
                f"by digest; fix: set image: <registry>/{spec.name}@sha256:<digest> (the "
                "service's CI deploy writes it)"
            )


def next_free_port(used: Iterable[int], start: int = 8000) -> int:
    """The first port from ``start`` on that is not in ``used``."""
    taken = set(used)
    port = start
    while port in taken:
        port += 1
    return port


def load_platform(file: Path) -> Platform:
    """Load ``marketplace.yaml`` and every ``<services_dir>/*/service.yaml`` beside it (a
    missing services_dir or a service directory without its service.yaml is an error)."""
    config = parse_platform(read_yaml(file), file)
    services_dir, files = find_service_files(file, config.services_dir)
    if len(files) > limits.SERVICES:
        raise ConfigError(f"{file}: services_dir: {len(files)} services in {services_dir}; the "
                          f"kit plans at most {limits.SERVICES}; fix: split the platform in two")
    found = [(load_service(service_file), service_file) for service_file in files]
    check_services(found)
    if config.gateway.api_docs:
        check_api_docs_paths(found)
    if config.blueprint == "production":
        check_digests(found)
    return Platform(
        config=config,
        services=tuple(spec for spec, _ in found),
        source=file,
        service_files={spec.name: path for spec, path in found},
        services_dir=services_dir,
    )


def default_platform(blueprint: str = "dev") -> Platform:
    """The built-in platform of a blueprint (used when no marketplace.yaml is given)."""
    origin = Path(f"<built-in {blueprint}>")
    return Platform(config=parse_platform({"blueprint": blueprint}, origin))
