"""Strict types and names (issue 36): the grammars (ARNs, image references, registries, versions),
the names the platform or Kubernetes own (namespaces, the platform's objects in the workload
namespace), the sidecar's ports, route prefixes, dead-letter topics and the count limits, in every
section of marketplace.yaml and service.yaml: property tests over the loader, and the CLI's one
``error: ... fix: ...`` line with exit 2 and nothing written.

The names refused come from the platform's own definitions (``platform/namespaces.py``,
``platform/workload_names.py``); two tests plan a platform and check those definitions cover
every namespace and every workload-namespace object the plan creates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from support.cli import assert_one_error_line, run_cli, snapshot

from marketplace_kit.config import (
    ConfigModel,
    PlatformConfig,
    ServiceSpec,
    limits,
    load_platform,
    numbers_only,
    parse_platform,
    parse_service,
)
from marketplace_kit.contract import api_docs_paths
from marketplace_kit.contract.container import SIDECAR_PORTS
from marketplace_kit.contract.routing import routed
from marketplace_kit.core.events import DEAD_LETTER_SUFFIX
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform import api_docs, namespaces, workload_names
from marketplace_kit.validation import grammars

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLATFORM = {"name": "shop", "blueprint": "dev"}
SERVICE = {"name": "orders", "publishes": ["order-events"]}
HERE = Path("marketplace.yaml")


def refused(parse: Any, document: dict[str, Any], *fragments: str) -> str:
    """The one-line ConfigError ``parse`` gives for ``document``, holding every fragment."""
    with pytest.raises(ConfigError) as caught:
        parse(document, HERE)
    message = str(caught.value)
    assert "\n" not in message and "; fix: " in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    head, *rest = path
    inner = data.get(head)
    child = _set(dict(inner) if isinstance(inner, dict) else {}, tuple(rest), value) if rest \
        else value
    return {**data, head: child}


# --- booleans are not numbers, at any depth of either file ----------------------------------


def _number_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The key path of every number in a file's model, nested sections included."""
    found: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for inner in candidates:
            if isinstance(inner, type) and issubclass(inner, ConfigModel):
                found += _number_paths(inner, (*prefix, name))
        if numbers_only(annotation):
            found.append((*prefix, name))
    return found


PLATFORM_NUMBERS = _number_paths(PlatformConfig)
SERVICE_NUMBERS = _number_paths(ServiceSpec)


def test_every_section_holds_numbers_the_properties_reach() -> None:
    sections = {path[0] for path in PLATFORM_NUMBERS if len(path) > 1}
    assert {"network", "cluster", "mesh", "gateway", "eventbus", "datastores", "observability",
            "tokens"} <= sections, sections
    assert {("port",), ("replicas", "min"), ("slo", "latency_ms")} <= set(SERVICE_NUMBERS)


@PROPERTIES
@given(st.sampled_from(PLATFORM_NUMBERS), st.booleans())
def test_a_boolean_is_never_a_number_in_marketplace_yaml(
    path: tuple[str, ...], value: bool
) -> None:
    refused(parse_platform, _set(PLATFORM, path, value), ".".join(path), "not true or false")


@PROPERTIES
@given(st.sampled_from(SERVICE_NUMBERS), st.booleans())
def test_a_boolean_is_never_a_number_in_service_yaml(path: tuple[str, ...], value: bool) -> None:
    refused(parse_service, _set(SERVICE, path, value), ".".join(path), "not true or false")


# --- namespaces and object names the platform or Kubernetes own -----------------------------


@PROPERTIES
@given(st.sampled_from(sorted(namespaces.RESERVED)))
def test_a_platform_is_never_named_like_a_namespace_it_does_not_own(name: str) -> None:
    refused(parse_platform, {**PLATFORM, "name": name}, "name:", repr(name), "namespace")


def test_the_reserved_namespaces_are_kubernetes_and_the_add_ons() -> None:
    assert {"default", "kube-system", "kube-public", "kube-node-lease", "istio-system",
            "observability"} <= namespaces.RESERVED


platform_object_names = st.sampled_from(sorted(workload_names.FIXED)) | st.from_regex(
    r"[a-z0-9-]{0,12}[a-z0-9]", fullmatch=True).map(lambda s: workload_names.DERIVED_PREFIX + s)


@PROPERTIES
@given(platform_object_names)
def test_a_service_is_never_named_like_the_platform_s_own_objects(name: str) -> None:
    assert workload_names.taken_by_platform(name) is not None
    refused(parse_service, {**SERVICE, "name": name}, "name:", repr(name), "collide")


@PROPERTIES
@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True))
def test_other_service_names_do_not_collide(name: str) -> None:
    if "--" in name or workload_names.taken_by_platform(name) is not None:
        return
    try:
        parse_service({**SERVICE, "name": name}, HERE)
    except ConfigError as exc:  # the rules older than issue 36 (stdlib modules, DNS labels)
        assert "collide" not in str(exc), exc


# --- ports, route prefixes, dead-letter topics ----------------------------------------------


@PROPERTIES
@given(st.integers(SIDECAR_PORTS.start, SIDECAR_PORTS.stop - 1))
def test_a_port_the_sidecar_owns_is_refused(port: int) -> None:
    refused(parse_service, {**SERVICE, "port": port}, "port:", str(port), "sidecar")


def test_the_sidecar_ports_include_istio_s_own() -> None:
    for port in (15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090):
        assert port in SIDECAR_PORTS


segment = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,6}", fullmatch=True)
prefixes = st.lists(segment, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@PROPERTIES
@given(prefixes, st.booleans())
def test_route_prefixes_are_normalised(prefix: str, trailing: bool) -> None:
    spec = parse_service({**SERVICE, "path": prefix + ("/" if trailing else "")}, HERE)
    assert spec.route_prefix == prefix


@PROPERTIES
@given(st.lists(segment, min_size=1, max_size=3), st.sampled_from(["", ".", ".."]),
       st.integers(0, 3))
def test_empty_and_dot_segments_are_refused(parts: list[str], bad: str, at: int) -> None:
    parts.insert(min(at, len(parts)), bad)
    path = "/" + "/".join(parts)
    if bad == "" and path.endswith("/") and "//" not in path:
        return  # a trailing "/" is normalised away
    refused(parse_service, {**SERVICE, "path": path}, "path:")
    refused(parse_service, {**SERVICE, "public_routes": [f"GET {path}/x"]}, "public_routes")


@PROPERTIES
@given(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True))
def test_a_dead_letter_topic_is_never_published(topic: str) -> None:
    dlq = topic + DEAD_LETTER_SUFFIX
    refused(parse_service, {**SERVICE, "publishes": [dlq]}, "publishes", repr(dlq),
            "dead-letter topic")
    consumer = parse_service({"name": "billing", "consumes": [topic]}, HERE)
    assert dlq in consumer.dead_letter_topics  # what it may not publish is a consumer's DLQ



@PROPERTIES
@given(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True))
def test_a_dead_letter_topic_is_never_consumed(topic: str) -> None:
    dlq = topic + DEAD_LETTER_SUFFIX
    message = refused(parse_service, {"name": "billing", "consumes": [dlq]}, "consumes",
                      repr(dlq), "dead-letter topic", f"consume {topic!r} instead")
    assert "no service publishes" not in message


def test_consuming_a_dead_letter_topic_is_one_line_exit_2(tmp_path: Path) -> None:
    config = _platform_dir(tmp_path, {
        "orders": SERVICE,
        "billing": {"name": "billing", "port": 8001,
                    "consumes": [f"order-events{DEAD_LETTER_SUFFIX}"]}})
    assert_refused_by_the_cli(tmp_path, config)
    _, _, stderr = run_cli(["plan", "--config", str(config)], tmp_path)
    assert_one_error_line(2, stderr, "consumes", "dead-letter topic",
                          "consume 'order-events' instead")

# --- grammars -------------------------------------------------------------------------------

ACCOUNT = st.from_regex(r"[0-9]{12}", fullmatch=True)
iam_names = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,20}", fullmatch=True)
principals = st.tuples(st.sampled_from(grammars.PARTITIONS), ACCOUNT,
                       st.sampled_from(["role", "user"]), iam_names).map(
    lambda t: f"arn:{t[0]}:iam::{t[1]}:{t[2]}/{t[3]}")
# What a hostile value carries: a shell command, a space, a newline, a quote.
SPOILERS = [" ", "\n", ";", "$(id)", "`id`", "&&", "|", "'", '"', ">", "\t"]


def spoiled(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value with a shell metacharacter or a space inserted somewhere."""
    return st.tuples(values, st.sampled_from(SPOILERS), st.integers(0, 200)).map(
        lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1):])


@PROPERTIES
@given(principals)
def test_admin_principals_in_the_region_s_partition_are_accepted(arn: str) -> None:
    region = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[
        grammars.arn_partition(arn)]
    config = parse_platform({**PLATFORM, "region": region,
                             "cluster": {"admin_principal_arns": [arn]}}, HERE)
    assert config.cluster.admin_principal_arns == [arn]


@PROPERTIES
@given(principals.filter(lambda a: grammars.arn_partition(a) != "aws"))
def test_an_arn_of_another_partition_is_refused(arn: str) -> None:
    refused(parse_platform, {**PLATFORM, "cluster": {"admin_principal_arns": [arn]}},
            "partition", "us-east-1")


@PROPERTIES
@given(spoiled(principals) | st.text(max_size=30) | st.sampled_from([
    "admin", "arn:aws:iam::123456789012:root", "arn:aws:sts::123456789012:assumed-role/a/b",
    "arn:aws:iam::12345678901:role/x", "arn:azure:iam::123456789012:role/x"]))
def test_an_admin_principal_that_is_not_an_iam_arn_is_refused(value: str) -> None:
    refused(parse_platform, {**PLATFORM, "cluster": {"admin_principal_arns": [value]}},
            "admin_principal_arns", "ARN")


@PROPERTIES
@given(spoiled(st.just("arn:aws:kms:us-east-1:123456789012:key/"
                       "1234abcd-12ab-34cd-56ef-1234567890ab")) | st.text(max_size=20),
       st.sampled_from(["state_key_arn", "github_oidc_provider_arn"]))
def test_deploy_access_arns_are_checked(value: str, key: str) -> None:
    if not value:
        return  # empty: none given
    refused(parse_platform, {**PLATFORM, "deploy_access": {key: value}}, key, "ARN")


hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}", fullmatch=True)
paths = st.from_regex(r"[a-z0-9]{1,6}((__|[._]|-+)[a-z0-9]{1,6}){0,2}(/[a-z0-9]{1,6}){0,2}",
                      fullmatch=True)
registries = st.tuples(hosts, st.none() | st.integers(1, 65535), st.none() | paths).map(
    lambda t: t[0] + (f":{t[1]}" if t[1] else "") + (f"/{t[2]}" if t[2] else ""))
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
digests = st.from_regex(r"[0-9a-f]{64}", fullmatch=True).map(lambda h: f"sha256:{h}")
images = st.tuples(st.none() | registries, paths, st.none() | tags, st.none() | digests).map(
    lambda t: (f"{t[0]}/" if t[0] else "") + t[1] + (f":{t[2]}" if t[2] else "")
    + (f"@{t[3]}" if t[3] else ""))


@PROPERTIES
@given(images, registries)
def test_image_references_and_registries_of_the_oci_grammar_are_accepted(
    image: str, registry: str
) -> None:
    assert parse_service({**SERVICE, "image": image}, HERE).image == image
    assert parse_platform({**PLATFORM, "image_registry": registry}, HERE).image_registry == registry


@PROPERTIES
@given(spoiled(images) | st.sampled_from([" ghcr.io/a/b:1", "ghcr.io/a/b:1 ", "Ghcr.io/A/b",
                                          "a//b", "a:b:c", "a@sha256:abc", "https://a/b"]))
def test_an_image_outside_the_grammar_is_refused(image: str) -> None:
    refused(parse_service, {**SERVICE, "image": image}, "image:", "OCI image reference")


@PROPERTIES
@given(spoiled(registries) | st.sampled_from(["https://ghcr.io", "ghcr.io/", "ghcr.io/a:1"]))
def test_a_registry_outside_the_grammar_is_refused(registry: str) -> None:
    refused(parse_platform, {**PLATFORM, "image_registry": registry}, "image_registry",
            "not an image registry")


versions = st.tuples(st.integers(0, 999), st.integers(0, 999), st.integers(0, 999),
                     st.none() | st.from_regex(r"[0-9A-Za-z]{1,5}(\.[0-9A-Za-z]{1,5}){0,2}",
                                               fullmatch=True)).map(
    lambda t: f"{t[0]}.{t[1]}.{t[2]}" + (f"-{t[3]}" if t[3] else ""))


@PROPERTIES
@given(versions, spoiled(versions) | st.sampled_from(["1.0", "v1.0.0", "01.0.0", "1.0.0+b1",
                                                     "latest", "1.0.0-"]))
def test_versions_are_semver_like(good: str, bad: str) -> None:
    assert parse_service({**SERVICE, "version": good}, HERE).version == good
    refused(parse_service, {**SERVICE, "version": bad}, "version:", "MAJOR.MINOR.PATCH")


labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
dns_names = st.lists(labels, min_size=1, max_size=4).map(".".join).filter(lambda h: len(h) <= 251)


@PROPERTIES
@given(dns_names, st.booleans())
def test_gateway_hosts_are_dns_names_with_an_optional_wildcard(name: str, wildcard: bool) -> None:
    host = f"*.{name}" if wildcard else name
    config = parse_platform({**PLATFORM, "gateway": {"hosts": ["*", host]}}, HERE)
    assert config.gateway.hosts == ["*", host]


@PROPERTIES
@given(dns_names, st.sampled_from([
    "{}.", ".{}", "-{}", "{}-", "{}..x", "*{}", "**.{}", "x.*.{}", "{}/x", "ns/{}", "https://{}",
    "{} ", "{}:443", "{}_x", "A{}", "{}\n", "*.*", "*."]))
def test_a_gateway_host_outside_rfc_1123_is_refused(name: str, shape: str) -> None:
    host = shape.format(name)
    refused(parse_platform, {**PLATFORM, "gateway": {"hosts": [host]}}, "gateway.hosts",
            "is not a host name")


def test_long_host_names_and_labels_are_refused() -> None:
    assert grammars.host("a" * 63 + ".example.com")
    for host in ("a" * 64 + ".example.com", ".".join(["a" * 50] * 5) + ".com"):
        refused(parse_platform, {**PLATFORM, "gateway": {"hosts": [host]}}, "gateway.hosts")
    refused(parse_platform, {**PLATFORM, "gateway": {"hosts": ["a.com", "a.com"]}}, "twice")


@PROPERTIES
@given(dns_names)
def test_the_tls_secret_is_a_dns_1123_subdomain(name: str) -> None:
    assert parse_platform({**PLATFORM, "gateway": {"tls_secret": name}}, HERE).gateway.tls_secret \
        == name
    for bad in (f"{name}.", f"-{name}", name.upper() + "A", f"{name}/x", f"{name}_x", "",
                "a" * 254):
        refused(parse_platform, {**PLATFORM, "gateway": {"tls_secret": bad}},
                "gateway.tls_secret", "is not a Secret name")

# --- counts ---------------------------------------------------------------------------------

COUNTED = [
    (parse_service, SERVICE, ("publishes",), limits.PUBLISHES, "t{}"),
    (parse_service, SERVICE, ("public_routes",), limits.PUBLIC_ROUTES, "GET /orders/r{}"),
    (parse_service, SERVICE, ("calls",), limits.CALLS, "s{}"),
    (parse_platform, PLATFORM, ("cluster", "admin_principal_arns"), limits.ADMIN_PRINCIPALS,
     "arn:aws:iam::123456789012:role/r{}"),
    (parse_platform, PLATFORM, ("gateway", "hosts"), limits.GATEWAY_HOSTS, "h{}.example.com"),
    (parse_platform, PLATFORM, ("tokens", "signing_keys"), limits.SIGNING_KEYS, "k{}"),
]


@pytest.mark.parametrize(("parse", "base", "path", "limit", "item"), COUNTED,
                         ids=[".".join(c[2]) for c in COUNTED])
def test_counts_are_limited_and_the_message_names_the_limit(
    parse: Any, base: dict[str, Any], path: tuple[str, ...], limit: int, item: str
) -> None:
    parse(_set(base, path, [item.format(i) for i in range(limit)]), HERE)  # at the limit: fine
    message = refused(parse, _set(base, path, [item.format(i) for i in range(limit + 1)]),
                      ".".join(path), str(limit))
    assert f"list at most {limit}" in message


def test_consumed_topics_are_limited() -> None:
    refused(parse_service, {**SERVICE, "consumes": [f"t{i}" for i in range(limits.CONSUMES + 1)]},
            "consumes", str(limits.CONSUMES))


def _platform_dir(root: Path, services: dict[str, dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "marketplace.yaml"
    config.write_text(yaml.safe_dump(PLATFORM))
    for name, document in services.items():
        folder = root / "services" / name
        folder.mkdir(parents=True)
        (folder / "service.yaml").write_text(yaml.safe_dump(document))
    (root / "services").mkdir(exist_ok=True)
    return config


def _services(count: int, topics: int = 1) -> dict[str, dict[str, Any]]:
    return {f"s{i:03d}": {"name": f"s{i:03d}", "port": 8000 + i, "datastore": "none",
                          "publishes": [f"s{i:03d}-t{j}" for j in range(topics)]}
            for i in range(count)}


def test_the_number_of_services_is_limited(tmp_path: Path) -> None:
    at_limit = _platform_dir(tmp_path / "at", _services(limits.SERVICES))
    assert len(load_platform(at_limit).services) == limits.SERVICES
    above = _platform_dir(tmp_path / "above", _services(limits.SERVICES + 1))
    with pytest.raises(ConfigError, match=rf"services_dir: {limits.SERVICES + 1} services .* at "
                                          rf"most {limits.SERVICES}; fix: "):
        load_platform(above)


def test_the_topics_of_a_platform_are_limited(tmp_path: Path) -> None:
    per = limits.PUBLISHES
    count = limits.TOPICS // per
    assert len(load_platform(_platform_dir(tmp_path / "at", _services(count, per))).topics) == (
        limits.TOPICS)
    above = _platform_dir(tmp_path / "above", _services(count + 1, per))
    with pytest.raises(ConfigError, match=rf"publishes: .* more than {limits.TOPICS} topics.*; "
                                          "fix: "):
        load_platform(above)


# --- the API documents' paths at the gateway (gateway.api_docs) ---------------------------

API_DOCS = {**PLATFORM, "gateway": {"api_docs": True}}


@pytest.mark.parametrize(("path", "served"), [
    ("/", "/openapi.json"), ("/docs", "/docs"), ("/doc", "/docs"), ("/openapi", "/openapi.json"),
    ("/docs/v1", "/docs/"), ("/asyncapi", "/asyncapi/"), ("/asyncapi/orders", "/asyncapi/"),
    ("/docs/swagger-ui", "/docs/"),
])
def test_a_path_the_api_documents_take_collides(path: str, served: str) -> None:
    assert api_docs_paths.collision(path) == served


@pytest.mark.parametrize(
    "path", ["/orders", "/docsy", "/openapi-v2", "/events", "/api/docs", "/v1/asyncapi"])
def test_paths_apart_from_the_api_documents_do_not_collide(path: str) -> None:
    assert api_docs_paths.collision(path) is None
    assert not any(routed(path, served) for served in api_docs_paths.SERVED)
    assert not any(routed(subtree, path) for subtree in api_docs_paths.SUBTREES)


def test_the_api_docs_server_routes_exactly_the_contract_s_paths() -> None:
    exact = {m["uri"]["exact"] for m in
             api_docs.virtual_service_spec("h", ["*"], "g/g")["http"][0]["match"] if "exact" in
             m["uri"]}
    assert api_docs_paths.OPENAPI_PATH in exact and api_docs_paths.DOCS_PATH in exact
    for path in exact:  # every exact path it serves is one the check refuses
        assert api_docs_paths.collision(path) is not None


@pytest.mark.parametrize("service", [
    {**SERVICE, "path": "/docs"},
    {**SERVICE, "path": "/"},
    {**SERVICE, "name": "asyncapi"},
])
def test_a_service_on_the_api_documents_paths_is_refused_with_api_docs(
        tmp_path: Path, service: dict[str, Any]) -> None:
    config = _platform_dir(tmp_path, {"orders": service})
    assert load_platform(config).services  # without gateway.api_docs it is the service's path
    config.write_text(yaml.safe_dump(API_DOCS))
    with pytest.raises(ConfigError, match=r"path: .* collides with .*gateway.api_docs.*; fix: "):
        load_platform(config)


def test_a_public_route_on_the_api_documents_paths_is_refused(tmp_path: Path) -> None:
    config = _platform_dir(tmp_path, {"orders": {**SERVICE, "path": "/orders",
                                                 "public_routes": ["GET /*"]}})
    config.write_text(yaml.safe_dump(API_DOCS))
    assert load_platform(config).services  # /orders/ is apart from the documents
    config = _platform_dir(tmp_path / "root", {"orders": {**SERVICE, "path": "/",
                                                          "public_routes": ["GET /docs"]}})
    config.write_text(yaml.safe_dump(API_DOCS))
    with pytest.raises(ConfigError, match=r"collides with '/openapi.json'"):
        load_platform(config)


def test_a_service_on_the_api_documents_paths_is_one_line_exit_2(tmp_path: Path) -> None:
    config = _platform_dir(tmp_path, {"orders": {**SERVICE, "path": "/docs"}})
    config.write_text(yaml.safe_dump(API_DOCS))
    assert_refused_by_the_cli(tmp_path, config)
    _, _, stderr = run_cli(["plan", "--config", str(config)], tmp_path)
    assert_one_error_line(2, stderr, "path: '/docs' collides with '/docs'", "gateway.api_docs",
                          "e.g. /orders")


# --- the CLI: one line, exit 2, nothing written ---------------------------------------------

hostile_services = st.one_of(
    platform_object_names.map(lambda n: {**SERVICE, "name": n}),
    st.integers(SIDECAR_PORTS.start, SIDECAR_PORTS.stop - 1).map(lambda p: {**SERVICE, "port": p}),
    st.sampled_from(["/a//b", "/a/../b", "/./a", "//"]).map(lambda p: {**SERVICE, "path": p}),
    st.just({**SERVICE, "publishes": [f"order-events{DEAD_LETTER_SUFFIX}"]}),
    spoiled(images).map(lambda i: {**SERVICE, "image": i}),
    spoiled(versions).map(lambda v: {**SERVICE, "version": v}),
    st.just({**SERVICE, "publishes": [f"t{i}" for i in range(limits.PUBLISHES + 1)]}),
)
hostile_platforms = st.one_of(
    st.sampled_from(sorted(namespaces.RESERVED)).map(lambda n: {**PLATFORM, "name": n}),
    spoiled(registries).map(lambda r: {**PLATFORM, "image_registry": r}),
    spoiled(principals).map(lambda a: {**PLATFORM, "cluster": {"admin_principal_arns": [a]}}),
    st.booleans().map(lambda b: {**PLATFORM, "eventbus": {"brokers": b}}),
    st.sampled_from(["ns/shop.example.com", "https://shop.example.com", "shop..example.com"]).map(
        lambda h: {**PLATFORM, "gateway": {"hosts": [h]}}),
    st.sampled_from(["Gateway-TLS", "tls/secret", "-tls"]).map(
        lambda t: {**PLATFORM, "gateway": {"tls_secret": t}}),
)


def assert_refused_by_the_cli(root: Path, config: Path) -> None:
    """plan and render each give one ``error: ... fix: ...`` line, exit 2, and write nothing."""
    before = snapshot(root)
    for args in (["plan", "--config", str(config)],
                 ["render", "--config", str(config), "--out", str(root / "rendered")]):
        code, stdout, stderr = run_cli(args, root)
        assert_one_error_line(code, stderr)
        assert stdout == "" and "Traceback" not in stderr
        assert snapshot(root) == before


@CLI
@given(hostile_services)
def test_a_hostile_service_yaml_is_one_line_exit_2(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="mk-names-") as name:
        root = Path(name)
        config = _platform_dir(root, {"orders": document})
        assert_refused_by_the_cli(root, config)


@CLI
@given(hostile_platforms)
def test_a_hostile_marketplace_yaml_is_one_line_exit_2(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="mk-names-") as name:
        root = Path(name)
        config = _platform_dir(root, {})
        config.write_text(yaml.safe_dump(document))
        assert_refused_by_the_cli(root, config)


def test_too_many_services_is_one_line_exit_2(tmp_path: Path) -> None:
    config = _platform_dir(tmp_path, _services(limits.SERVICES + 1))
    assert_refused_by_the_cli(tmp_path, config)


# --- the definitions cover what the platform creates ----------------------------------------


@pytest.fixture(scope="module")
def local_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """The reference marketplace on the local blueprint (in-cluster PostgreSQL, the API document
    server, the token issuer's keys): its workload namespace and its plan."""
    import shutil

    from support.marketplace import MARKETPLACE

    from marketplace_kit.blueprints.program import plan_platform

    copy = tmp_path_factory.mktemp("names") / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    config = copy / "marketplace.yaml"
    document = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**document, "target": "local", "blueprint": "local"}))
    platform = load_platform(config)
    assert platform.token_issuer is not None and platform.config.gateway.api_docs
    return platform.config.name, (platform, plan_platform(platform))


def _objects(graph: Any) -> list[tuple[str | None, str, str]]:
    """(namespace, kind, name) of every Kubernetes object and Helm release the plan creates."""
    found = []
    for resource in graph:
        inputs = resource.inputs or {}
        if resource.type.startswith("kubernetes:helm.sh/"):
            found.append((inputs.get("namespace"), "Release", inputs.get("name", "")))
        elif resource.type.startswith("kubernetes:"):
            metadata = inputs.get("metadata") or {}
            found.append((metadata.get("namespace"), inputs.get("kind", resource.type),
                          metadata.get("name", "")))
    return found


def test_every_namespace_the_platform_uses_is_reserved(local_plan: tuple[str, Any]) -> None:
    workload, (_, graph) = local_plan
    used = {ns for ns, _, _ in _objects(graph) if ns} | {
        name for _, kind, name in _objects(graph) if kind == "Namespace"}
    assert used - {workload} <= namespaces.RESERVED, used - {workload} - namespaces.RESERVED
    assert used - {workload}, "the plan put nothing outside the workload namespace"


def test_every_platform_object_in_the_workload_namespace_is_defined(
    local_plan: tuple[str, Any]
) -> None:
    workload, (platform, graph) = local_plan
    services = {n for s in platform.services for n in workload_names.service_objects(s.name)}
    topics = set(platform.topics) | set(platform.dead_letter_topics)
    mine = [(kind, name) for ns, kind, name in _objects(graph) if ns == workload
            and name not in services and name not in topics]
    assert mine, "the plan has no platform objects in the workload namespace"
    undefined = [(kind, name) for kind, name in mine
                 if workload_names.taken_by_platform(name) is None]
    assert not undefined, undefined  # add them to platform/workload_names.py
