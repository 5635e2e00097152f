"""Property tests: any malformed marketplace.yaml or service.yaml is refused by the real CLI
entry point (``main()``) with exactly one line on stderr and exit 2: no traceback, nothing written.

Most strategies are invalid by construction (unknown keys, wrong types, bad CIDRs, broken cross-
service rules, non-mappings); the arbitrary ones (garbage bytes, YAML-ish structures) keep only
the inputs the loader refuses, and every example runs both ``plan --config F`` and
``render --config F --out D``.

The hostile-input properties (issue 13) add what Kubernetes, AWS or Kafka would refuse later
(unknown regions, versions and instance types, out-of-bounds numbers, CIDRs covering the
internet, bad quantities and topic names, stdlib-shadowing names, colliding services, deep or
duplicate-key YAML), and drive ``new-service`` with generated arguments: it refuses in one line
with nothing written, or what it writes is accepted by the loader ``plan`` uses.
"""

from __future__ import annotations

import sys
import tempfile
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from support.cli import run_cli

from marketplace_kit.config import SERVICE_NAME, PlatformConfig, ServiceSpec, load_platform
from marketplace_kit.errors import ConfigError
from marketplace_kit.estimate.data import priced_items
from marketplace_kit.platform.versions import KUBERNETES_SUPPORTED
from marketplace_kit.validation.aws import AWS_REGIONS
from marketplace_kit.validation.kube import DNS_SUBDOMAIN, quantity

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
VALID_PLATFORM = {"name": "shop", "blueprint": "dev"}

# --- strategies ----------------------------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
)
yamlish = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)
containers = st.lists(scalars, min_size=1, max_size=3) | st.dictionaries(
    st.text(max_size=6), scalars, min_size=1, max_size=3
)
non_mappings = st.lists(yamlish, max_size=3) | st.integers() | st.text(min_size=1, max_size=20)


def _model_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[
    tuple[tuple[str, ...], Any]
]:
    """Every (path, annotation) of a model, nested models included."""
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        found.append((path, info.annotation))
        inner = info.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found += _model_fields(inner, path)
    return found


def _models(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[
    tuple[tuple[str, ...], type[BaseModel]]
]:
    """Every nested model (section) of a model, with its path."""
    found: list[tuple[tuple[str, ...], type[BaseModel]]] = [(prefix, model)]
    for name, info in model.model_fields.items():
        inner = info.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found += _models(inner, (*prefix, name))
    return found


def _wrong_value(annotation: Any) -> st.SearchStrategy[Any]:
    """Values no field of this annotation accepts."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return st.integers() | st.text(min_size=1, max_size=8) | st.lists(scalars, max_size=2)
    if get_origin(annotation) is list:
        return st.integers() | st.text(min_size=1, max_size=8) | st.dictionaries(
            st.text(max_size=5), scalars, min_size=1, max_size=2
        )
    return containers  # scalars (str, int, bool, Literal, IPv4Network) never accept these


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` at ``path`` (intermediate mappings created)."""
    if not path:
        return data
    head, *rest = path
    inner = data.get(head)
    child = _set(dict(inner) if isinstance(inner, dict) else {}, tuple(rest), value)
    return {**data, head: child if rest else value}


def _without_optional(fields: list[tuple[tuple[str, ...], Any]]) -> list[
    tuple[tuple[str, ...], Any]
]:
    """Fields for which None is also wrong (drop ``X | None``)."""
    return [(p, a) for p, a in fields if type(None) not in get_args(a)]


def unknown_key(model: type[BaseModel], base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``base`` with a key no section of ``model`` knows."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        path, section = draw(st.sampled_from(_models(model)))
        key = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in section.model_fields))
        return _set(base, (*path, key), draw(yamlish))

    return build()


def wrong_type(model: type[BaseModel], base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``base`` with one known key given a value of the wrong type."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        path, annotation = draw(st.sampled_from(_without_optional(_model_fields(model))))
        return _set(base, path, draw(_wrong_value(annotation)))

    return build()


octet = st.integers(0, 255)
ipv4 = st.tuples(octet, octet, octet, octet).map(lambda t: ".".join(map(str, t)))
bad_vpc_cidr = (
    st.text(max_size=20).filter(lambda t: "/" not in t or not t[0].isdigit())
    | st.tuples(ipv4, st.integers(0, 15) | st.integers(21, 40)).map(lambda t: f"{t[0]}/{t[1]}")
    | st.sampled_from(["10.0.0.1/16", "10.0.0.0/33", "300.0.0.0/16", "10.0.0.0/-1", "::/16"])
)
bad_cidrs = st.one_of(
    bad_vpc_cidr.map(lambda c: {**VALID_PLATFORM, "network": {"cidr": c}}),
    st.sampled_from(["0.0.0.0/0", "10.0.0.1/8", "not-a-cidr", "1.2.3.4/99"]).map(
        lambda c: {**VALID_PLATFORM, "cluster": {"public_access_cidrs": ["10.1.0.0/16", c]}}
    ),
)

def trailing_newline(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``base`` with one valid string value (or list item) followed by a newline."""
    keys = sorted(k for k, v in base.items() if isinstance(v, str | list) and v)

    def spoil(key: str) -> dict[str, Any]:
        value = base[key]
        bad = [f"{value[0]}\n", *value[1:]] if isinstance(value, list) else f"{value}\n"
        return {**base, key: bad}

    return st.sampled_from(keys).map(spoil)


platform_documents = st.one_of(
    trailing_newline({**VALID_PLATFORM, "region": "eu-west-1"}),
    unknown_key(PlatformConfig, VALID_PLATFORM),
    wrong_type(PlatformConfig, VALID_PLATFORM),
    bad_cidrs,
    non_mappings,
    st.sampled_from(["", "aws", "local"]).flatmap(
        lambda target: st.text(max_size=10).filter(lambda n: n not in ("aws", "local")).map(
            lambda bad: {**VALID_PLATFORM, "target": bad or target + "x"}
        )
    ),
)

VALID_SERVICE = {"name": "orders", "publishes": ["order-events"]}
service_documents = st.one_of(
    unknown_key(ServiceSpec, VALID_SERVICE),
    wrong_type(ServiceSpec, VALID_SERVICE),
    non_mappings,
    st.just({"publishes": ["x"]}),  # no name
    st.text(max_size=12).filter(lambda n: not SERVICE_NAME.match(n)).map(
        lambda n: {"name": n}
    ),
    st.sampled_from(["Bad_Topic", "-x", "a" * 70, "x y"]).map(
        lambda t: {"name": "orders", "publishes": [t]}
    ),
    st.just({"name": "orders", "publishes": ["a", "a"]}),
    trailing_newline(VALID_SERVICE | {"path": "/orders", "consumes": ["order-events"]}),
    st.just({"name": "orders", "consumes": ["nobody-publishes-this"]}),
)


def dump(document: Any) -> bytes:
    """YAML text of a document."""
    return yaml.safe_dump(document, allow_unicode=True).encode()


# --- running the CLI ------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _refused(config: Path) -> bool:
    """Whether the loader refuses this config (the oracle for arbitrary inputs)."""
    try:
        load_platform(config)
    except ConfigError:
        return True
    return False


def assert_refused_everywhere(root: Path, config: Path) -> None:
    """plan and render both refuse ``config``: one line, exit 2, no file written anywhere."""
    before = _snapshot(root)
    out_dir = root / "rendered"
    for args in (["plan", "--config", str(config)],
                 ["render", "--config", str(config), "--out", str(out_dir)]):
        code, stdout, stderr = run_cli(args, root)
        lines = stderr.splitlines()
        assert code == 2, (args, code, stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert "Traceback" not in stderr and stdout == ""
        assert not out_dir.exists()
        assert _snapshot(root) == before


def platform_case(content: bytes) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    tmp = tempfile.TemporaryDirectory(prefix="mk-prop-")
    config = Path(tmp.name) / "marketplace.yaml"
    config.write_bytes(content)
    (Path(tmp.name) / "services").mkdir()  # a platform without services (a missing one is refused)
    return tmp, config


def service_case(contents: list[bytes]) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    tmp, config = platform_case(dump(VALID_PLATFORM))
    for i, content in enumerate(contents):
        folder = Path(tmp.name) / "services" / f"svc{i}"
        folder.mkdir()
        (folder / "service.yaml").write_bytes(content)
    return tmp, config


# --- properties -----------------------------------------------------------------------------


@SETTINGS
@given(platform_documents)
def test_malformed_marketplace_yaml_is_one_line_exit_2(document: Any) -> None:
    tmp, config = platform_case(dump(document))
    with tmp:
        assert _refused(config)  # invalid by construction
        assert_refused_everywhere(Path(tmp.name), config)


@SETTINGS
@given(st.binary(max_size=200) | yamlish.map(dump))
def test_arbitrary_bytes_as_marketplace_yaml(content: bytes) -> None:
    tmp, config = platform_case(content)
    with tmp:
        assume(_refused(config))
        assert_refused_everywhere(Path(tmp.name), config)


@SETTINGS
@given(service_documents)
def test_malformed_service_yaml_is_one_line_exit_2(document: Any) -> None:
    tmp, config = service_case([dump(VALID_SERVICE), dump(document)])
    with tmp:
        assert _refused(config)
        assert_refused_everywhere(Path(tmp.name), config)


@SETTINGS
@given(st.binary(max_size=200) | yamlish.map(dump))
def test_arbitrary_bytes_as_service_yaml(content: bytes) -> None:
    tmp, config = service_case([content])
    with tmp:
        assume(_refused(config))
        assert_refused_everywhere(Path(tmp.name), config)


def test_duplicate_service_names_are_refused() -> None:
    """A cross-service rule: the same name twice (a fixed example beside the properties)."""
    tmp, config = service_case([dump(VALID_SERVICE), dump({**VALID_SERVICE, "path": "/other"})])
    with tmp:
        assert_refused_everywhere(Path(tmp.name), config)


def test_a_valid_config_is_not_refused() -> None:
    """The oracle can say yes: the base documents the strategies mutate are valid."""
    tmp, config = service_case([dump(VALID_SERVICE)])
    with tmp:
        assert not _refused(config)


# --- hostile input (issue 13): what Kubernetes, AWS or Kafka would refuse later -----------------

HOSTILE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOUNDED = [(("eventbus", "retention_hours"), 87_600), (("eventbus", "broker_storage_gib"), 16_384),
           (("observability", "metrics_retention_days"), 365),
           (("cluster", "on_demand", "max"), 450), (("gateway", "rate_limit_per_second"), 100_000),
           (("eventbus", "brokers"), 9)]
PRICED = priced_items("ec2_instance_hour")

hostile_platforms = st.one_of(
    st.sampled_from(BOUNDED).flatmap(
        lambda b: st.integers(b[1] + 1, 10**30).map(lambda v: _set(VALID_PLATFORM, b[0], v))),
    st.from_regex(r"[a-z]{2}-[a-z]{3,9}-[0-9]", fullmatch=True).filter(
        lambda r: r not in AWS_REGIONS).map(lambda r: {**VALID_PLATFORM, "region": r}),
    st.text(max_size=8).filter(lambda v: v not in KUBERNETES_SUPPORTED).map(
        lambda v: _set(VALID_PLATFORM, ("cluster", "kubernetes_version"), v)),
    st.text(min_size=1, max_size=12).filter(lambda t: t not in PRICED).map(
        lambda t: _set(VALID_PLATFORM, ("cluster", "on_demand", "instance_types"), [t])),
    # Public CIDRs that together cover more than a /8: one wide network, or several /8s.
    st.tuples(ipv4, st.integers(1, 7)).map(
        lambda t: [str(IPv4Network(f"{t[0]}/{t[1]}", strict=False))]).map(
        lambda cidrs: _set(VALID_PLATFORM, ("cluster", "public_access_cidrs"), cidrs)),
    st.lists(st.integers(1, 223), min_size=2, max_size=5, unique=True).map(
        lambda firsts: _set(VALID_PLATFORM, ("cluster", "public_access_cidrs"),
                            [f"{a}.0.0.0/8" for a in firsts])),
).map(dump)
hostile_platform_text = st.one_of(
    st.integers(33, 2000).map(lambda n: f"name: shop\nx: {'[' * n}{']' * n}\n".encode()),
    st.integers(33, 400).map(lambda n: ("name: shop\nx: " + "{a: " * n + "1" + "}" * n).encode()),
    st.sampled_from(["name", "region", "blueprint", "services_dir"]).map(
        lambda k: f"name: shop\n{k}: a\n{k}: b\n".encode()),
)


@HOSTILE
@given(hostile_platforms | hostile_platform_text)
def test_hostile_marketplace_yaml_is_one_line_exit_2(content: bytes) -> None:
    tmp, config = platform_case(content)
    with tmp:
        assert _refused(config)
        assert_refused_everywhere(Path(tmp.name), config)


def _not_a_quantity(text: str) -> bool:
    try:
        quantity(text)
    except ValueError:
        return True
    return False


STDLIB_NAMES = sorted(n.replace("_", "-") for n in sys.stdlib_module_names
                      if SERVICE_NAME.match(n.replace("_", "-")))
hostile_services = st.one_of(
    st.tuples(st.sampled_from(["cpu", "memory", "cpu_limit", "memory_limit"]),
              st.text(max_size=8).filter(_not_a_quantity)
              | st.sampled_from(["-1", "-5Gi", "1e99", "lots", "0", "1000"])).map(
        lambda kv: {**VALID_SERVICE, "resources": {kv[0]: kv[1]}}),
    st.integers(2, 96).map(lambda n: {**VALID_SERVICE, "resources": {
        "cpu": str(n), "cpu_limit": str(n - 1)}}),
    st.integers(2, 512).map(lambda n: {**VALID_SERVICE, "resources": {
        "memory": f"{n}Gi", "memory_limit": f"{n - 1}Gi"}}),
    st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True).filter(
        lambda t: not DNS_SUBDOMAIN.match(t)).map(lambda t: {**VALID_SERVICE, "publishes": [t]}),
    st.sampled_from(STDLIB_NAMES).map(lambda n: {"name": n}),
    st.integers(101, 10**12).map(lambda n: {**VALID_SERVICE, "replicas": {"max": n}}),
)
# A second service that collides with VALID_SERVICE (port 8000, route /orders).
colliding_services = st.one_of(
    st.just({"name": "billing"}),  # the same default port
    st.from_regex(r"/orders[a-z0-9/_-]{0,8}", fullmatch=True).map(
        lambda p: {"name": "billing", "port": 8001, "path": p}),
)


@HOSTILE
@given(hostile_services)
def test_hostile_service_yaml_is_one_line_exit_2(document: Any) -> None:
    tmp, config = service_case([dump(document)])
    with tmp:
        assert _refused(config)
        assert_refused_everywhere(Path(tmp.name), config)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(colliding_services)
def test_colliding_services_are_one_line_exit_2(document: Any) -> None:
    tmp, config = service_case([dump(VALID_SERVICE), dump(document)])
    with tmp:
        assert _refused(config)
        assert_refused_everywhere(Path(tmp.name), config)


# --- new-service with hostile input: refused in one line with nothing written, or generated and
# then accepted by the loader `plan` uses (the same rules on both sides) ---------------------------

texts = st.text(max_size=12)
service_names = texts | st.sampled_from(STDLIB_NAMES) | st.from_regex(SERVICE_NAME)
topic_names = texts | st.from_regex(r"[a-z0-9.-]{1,12}", fullmatch=True)


@st.composite
def new_service_args(draw: st.DrawFn) -> list[str]:
    args = ["new-service", draw(service_names), "--datastore",
            draw(st.sampled_from(["none", "postgres"]) | texts)]
    for flag, values in (("--publishes", topic_names), ("--consumes", topic_names),
                         ("--field", texts | st.from_regex(r"[a-z_]{1,8}:[a-z]{1,8}\??",
                                                           fullmatch=True)),
                         ("--port", st.integers(-5, 70_000).map(str) | texts),
                         ("--path", texts | st.from_regex(r"/[a-z0-9/_-]{0,10}", fullmatch=True)),
                         ("--owner", texts), ("--entity", texts)):
        for value in draw(st.lists(values, max_size=1 if flag not in (
                "--publishes", "--field") else 2)):
            args += [flag, value]
    return args


@HOSTILE
@given(new_service_args())
def test_new_service_with_hostile_input(args: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="mk-prop-") as name:
        root = Path(name)
        (root / "marketplace.yaml").write_text("name: shop\n")
        base = root / "services" / "base"
        base.mkdir(parents=True)
        (base / "service.yaml").write_text("name: base\nport: 8000\npath: /base\n"
                                           "publishes: [base-events]\n")
        before = _snapshot(root)
        code, _, stderr = run_cli([*args, "--dir", str(root / "services")], root)
        assert "Traceback" not in stderr
        event(f"exit {code}")
        if code == 0:
            try:  # what new-service writes, plan accepts (once its topics have publishers)
                load_platform(root / "marketplace.yaml")
            except ConfigError as exc:
                assert "no service publishes" in str(exc), (args, exc)
                assert "yet: plan refuses" in stderr
            return
        lines = stderr.splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, stderr)
        assert _snapshot(root) == before


def _numeric_fields() -> list[tuple[type, str]]:
    """Every (model, field) of marketplace.yaml and service.yaml that holds a number."""
    import inspect

    from marketplace_kit import config

    models = [m for _, m in inspect.getmembers(config, inspect.isclass)
              if issubclass(m, config.ConfigModel) and m is not config.ConfigModel]
    return [(model, name) for model in models for name, field in model.model_fields.items()
            if config.numbers_only(field.annotation)]


@pytest.mark.parametrize(("model", "field"), _numeric_fields(),
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_never_numbers(model: type, field: str, value: bool) -> None:
    """``replicas.min: true`` and ``brokers: true`` were taken as 1 (issue 36), in every section."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        model.model_validate({field: value})  # type: ignore[attr-defined]
    mine = [e for e in caught.value.errors() if e["loc"] == (field,)]
    assert mine and "not true or false" in mine[0]["msg"], caught.value.errors()


def test_every_section_has_numbers_checked() -> None:
    sections = {model.__name__ for model, _ in _numeric_fields()}
    assert {"NetworkConfig", "Replicas", "ServiceSpec"} <= sections, sections
