"""Pages generated from the code at every `mkdocs build` (mkdocs-gen-files): never stale.

- reference/cli.md: every command and option, from the typer app itself;
- reference/config.md: every key of `marketplace.yaml` and `service.yaml`, from the pydantic models;
- reference/components.md: the public components and their Args (rendered by mkdocstrings);
- assets/mermaid.min.js: the kit's own copy of Mermaid (the site needs no CDN);
- the estimate page's generated part and the architecture diagram: real `cost`, `timeline` and
  `diagram` output for the reference marketplace, planned offline under the SDK mocks.
"""

from __future__ import annotations

import importlib
import io
import types
import typing
from pathlib import Path
from typing import Any

import mkdocs_gen_files
import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from rich.console import Console
from typer.cli import get_docs_for_click

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "marketplace" / "marketplace.yaml"
GENERATED = "<!-- generated: {} -->"


def cli_reference() -> str:
    """Markdown for every command, as typer documents it."""
    from marketplace_kit.cli.app import app  # registers every command on import

    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="marketplace-kit")
    body = get_docs_for_click(obj=command, ctx=ctx, name="marketplace-kit", title="CLI reference")
    intro = ("Generated from the typer application at build time (`docs/gen_pages.py`); "
             "`marketplace-kit COMMAND --help` prints the same.\n\n")
    head, _, rest = body.partition("\n\n")
    return f"{head}\n\n{intro}{rest}"


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(arg) for arg in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        try:
            value = field.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return "(computed)"
    elif field.default is PydanticUndefined:
        return "**required**"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(see below)"
    return f"`{value!r}`"


def _constraints(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(item, name, None)
            if value is not None:
                parts.append(f"{name} {value}")
    return ", ".join(parts)


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _nested_models(arg)]


def model_tables(model: type[BaseModel], prefix: str, seen: set[type[BaseModel]]) -> list[str]:
    """One table per model: key, type, default, constraints, meaning; nested models follow."""
    lines = [f"### `{prefix or '(top level)'}`", ""]
    if model.__doc__:
        lines += [" ".join(model.__doc__.split()), ""]
    lines += ["| key | type | default | constraints | meaning |", "|---|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        lines.append(f"| `{path}` | {_type_name(field.annotation)} | {_default(field)} | "
                     f"{_constraints(field)} | {description} |")
        nested += [(path, sub) for sub in _nested_models(field.annotation) if sub not in seen]
    lines.append("")
    for path, sub in nested:
        seen.add(sub)
        lines += model_tables(sub, path, seen)
    return lines


def config_reference() -> str:
    """Every key of both config files, from the pydantic models that validate them."""
    from marketplace_kit.config import PlatformConfig, ServiceSpec

    out = [
        "# Configuration reference", "",
        "Generated from the pydantic models that validate the files (`marketplace_kit.config`) "
        "at build time. Unknown keys are errors; every error names the file, the key and the "
        "fix. The blueprint's preset (`dev`, `production`, `local`) is deep-merged under "
        "`marketplace.yaml` before validation, so the defaults below are the models' own and "
        "a preset may set others (see [Blueprints and config](../concepts/blueprints.md)).", "",
        "## `marketplace.yaml`", "",
    ]
    out += model_tables(PlatformConfig, "", {PlatformConfig})
    out += ["## `service.yaml`", "",
            "One per service directory under `services_dir`; `new-service` writes it.", ""]
    out += model_tables(ServiceSpec, "", {ServiceSpec})
    out += names_and_limits()
    return "\n".join(out)


def names_and_limits() -> list[str]:
    """The rules on names, grammars and counts, listed from the definitions the config reads."""
    from marketplace_kit.config import limits
    from marketplace_kit.contract import api_docs_paths
    from marketplace_kit.contract.container import SIDECAR_PORTS
    from marketplace_kit.core.events import DEAD_LETTER_SUFFIX
    from marketplace_kit.platform import namespaces, workload_names
    from marketplace_kit.validation import grammars, paths, yaml_load

    def listed(names: Any) -> str:
        return ", ".join(f"`{n}`" for n in sorted(names))

    counts = {name.lower(): value for name, value in vars(limits).items()
              if name.isupper() and isinstance(value, int)}
    return [
        "## Names, grammars and limits", "",
        "- **Platform name**: it is the services' namespace, so not one Kubernetes or the "
        f"platform's add-ons own: {listed(namespaces.RESERVED)} (`platform/namespaces.py`).",
        "- **Service name**: not one of the platform's own objects in that namespace, "
        f"{listed(workload_names.FIXED)}, nor starting with "
        f"`{workload_names.DERIVED_PREFIX}` (Strimzi names the Kafka cluster's objects so) "
        "(`platform/workload_names.py`).",
        f"- **Service port**: not one the Istio sidecar owns ({SIDECAR_PORTS.start}-"
        f"{SIDECAR_PORTS.stop - 1}).",
        "- **Route prefix** (`path`): `/` then segments of lowercase letters, digits, `-` and "
        "`_`; a trailing `/` is dropped, an empty segment (`//`) or a `.`/`..` segment is "
        f"refused, at most {paths.MAX_PREFIX} characters. Public routes refuse `.` and `..` "
        "segments too. With `gateway.api_docs`, neither may collide with the documents' paths "
        f"{listed(api_docs_paths.SERVED)} (`contract/api_docs_paths.py`).",
        "- **Topics**: a service never publishes nor consumes a dead-letter topic "
        f"(`<topic>{DEAD_LETTER_SUFFIX}`): only the consumers of `<topic>` park messages there, "
        "for an operator.",
        "- **Gateway** (`gateway.hosts`): RFC 1123 DNS names, lowercase, with an optional leading "
        f"`*.` (or `*`), at most {grammars.MAX_HOST} characters; `gateway.tls_secret`: a "
        "DNS-1123 subdomain (a Secret's name).",
        "- **ARNs** (`cluster.admin_principal_arns`: IAM roles or users; "
        "`deploy_access.github_oidc_provider_arn`, `deploy_access.state_key_arn`): partition "
        f"{listed(grammars.PARTITIONS)}, the partition of `region`.",
        "- **Images** (`image`): an OCI reference, `[host[:port]/]path[:tag][@sha256:<64 hex>]`; "
        "**registries** (`image_registry`): `host[:port]` and an optional path; **versions** "
        "(`version`): `MAJOR.MINOR.PATCH` with an optional `-pre-release` (it is the default "
        f"image tag), at most {grammars.MAX_VERSION} characters. No spaces or shell "
        "metacharacters anywhere.",
        "- **Counts** (`config/limits.py`; the refusal names the limit): "
        + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in counts.items())
        + f". Each file is at most {yaml_load.MAX_BYTES // 1024} KiB.",
        "",
    ]


def components_reference() -> str:
    """mkdocstrings directives for every public name of `marketplace_kit.platform`."""
    import marketplace_kit.platform as platform

    out = ["# Components reference", "",
           "The public components and their typed Args, importable from "
           "`marketplace_kit.platform` (rendered from the code's docstrings at build time).",
           "See `examples/library-usage/` for a plain Pulumi program that composes them.", ""]
    for name in platform.__all__:
        obj = getattr(platform, name)
        module = importlib.import_module(obj.__module__)
        if getattr(module, name, None) is obj:
            out += [f"::: {obj.__module__}.{name}", ""]
    return "\n".join(out)


def _captured(draw: Any, *args: Any) -> str:
    buffer = io.StringIO()
    draw(*args, Console(file=buffer, width=110, color_system=None, emoji=False))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def estimates() -> tuple[str, str, str]:
    """The estimate page's generated part, the Mermaid diagram and the contract example, all
    from one offline plan of the reference marketplace."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform, load_platform
    from marketplace_kit.estimate.cost import estimate
    from marketplace_kit.estimate.diagram import build
    from marketplace_kit.estimate.reference import seed_design
    from marketplace_kit.estimate.timeline import critical_path
    from marketplace_kit.estimate.views import print_cost, print_timeline

    platform = load_platform(REFERENCE)
    graph = plan_platform(platform)
    region = platform.config.region
    dev = estimate(plan_platform(default_platform("dev")), region).total
    prod = estimate(plan_platform(default_platform("production")), region).total
    seed = estimate(seed_design(region), region).total
    fence = "```"
    body = "\n".join([
        f"Monthly estimate in {region}: dev blueprint **${dev:,.2f}**, production blueprint "
        f"**${prod:,.2f}**; the seed's design (3 on-demand t3.medium, MSK 3 x kafka.m5.large, "
        f"one NAT per AZ, EKS) prices at **${seed:,.2f}** with the same table: dev is "
        f"{dev / seed:.0%} of it.", "",
        "Output for the reference marketplace (`examples/marketplace`), generated at build time:",
        "", f"{fence}text", "$ marketplace-kit cost",
        _captured(print_cost, estimate(graph, region)), fence, "",
        f"{fence}text", "$ marketplace-kit timeline",
        _captured(print_timeline, critical_path(graph)), fence,
    ])
    mermaid = build(graph, platform.services).to_mermaid().rstrip()
    return body, f"{fence}mermaid\n{mermaid}\n{fence}", contract_example(graph)


def contract_example(graph: Any) -> str:
    """The container part of one reference service's rendered Deployment, as `render` writes it."""
    import yaml

    from marketplace_kit.render.manifests import manifests

    deployments = [m for m in manifests(graph)
                   if m.kind == "Deployment" and m.name == "order"]
    if len(deployments) != 1:
        raise SystemExit("docs: the reference plan has no single Deployment 'order'")
    pod = deployments[0].object["spec"]["template"]["spec"]
    container = dict(pod["containers"][0])
    shown = {key: container[key] for key in ("env", "volumeMounts", "ports", "readinessProbe",
                                             "livenessProbe") if key in container}
    shown["volumes"] = pod.get("volumes", [])
    return "```yaml\n" + yaml.safe_dump(shown, sort_keys=False).rstrip() + "\n```"


def fill(page: str, marker: str, text: str) -> None:
    """Replace ``<!-- generated: marker -->`` in a hand-written page with generated text."""
    source = (ROOT / "docs" / page).read_text(encoding="utf-8")
    tag = GENERATED.format(marker)
    if tag not in source:
        raise SystemExit(f"docs/{page}: the marker {tag} is missing")
    with mkdocs_gen_files.open(page, "w") as handle:
        handle.write(source.replace(tag, text))


def browser_assets() -> None:
    """Mermaid for the diagrams, from the installed kit (pinned in versions.py, fetched from npm
    when the kit was built): the site loads it from itself, never from a CDN."""
    from marketplace_kit.assets.pages import asset

    with mkdocs_gen_files.open("assets/mermaid.min.js", "wb") as handle:
        handle.write(asset("mermaid.min.js"))


def main() -> None:
    browser_assets()
    for page, text in (("reference/cli.md", cli_reference()),
                       ("reference/config.md", config_reference()),
                       ("reference/components.md", components_reference())):
        with mkdocs_gen_files.open(page, "w") as handle:
            handle.write(text)
    body, diagram, contract = estimates()
    fill("how-to/estimate-and-check.md", "estimates", body)
    fill("concepts/architecture.md", "diagram", diagram)
    fill("concepts/contract.md", "contract", contract)


main()
