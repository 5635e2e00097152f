"""ApiDocs: the merged API document on the cluster. The component's objects (validated), the
rendered server config and site served by a real nginx, and a conflict between two services'
documents refused at plan time with one line."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import assert_one_error_line, run_cli
from support.incluster import plan, validate_all
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply
from support.marketplace import SCHEMA_CLASH_ERROR, copy_with_moved_prefix, copy_with_schema_clash

from marketplace_kit.assets.pages import DOCS_CSP, asset, content_type, docs_page
from marketplace_kit.devenv import free_port
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import registry, versions
from marketplace_kit.platform.api_docs import (
    COMPRESSED,
    CONF_DIR,
    SITE_DIR,
    ApiDocs,
    ApiDocsArgs,
    DocumentsTooLarge,
    site_files,
)
from marketplace_kit.platform.traffic import Traffic
from marketplace_kit.render import manifests

OPENAPI = {"openapi": "3.1.0", "info": {"title": "marketplace API", "version": "1"},
           "paths": {"/order/me/orders": {"get": {"responses": {"200": {"description": "ok"}}}}}}
ASYNCAPI = {"order": {"asyncapi": "3.0.0", "info": {"title": "Order", "version": "0.1.0"}}}
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def _plan(open_at_gateway: bool) -> ResourceGraph:
    args = ApiDocsArgs(namespace="marketplace", openapi=OPENAPI, asyncapi=ASYNCAPI,
                       gateway="istio-ingress/marketplace", open_at_gateway=open_at_gateway,
                       traffic=Traffic(route_prefix=""), replicas=2)
    return plan(lambda: ApiDocs("api-docs", args))


@pytest.mark.parametrize("open_at_gateway", [True, False])
def test_the_objects_serve_the_documents_at_the_gateway(open_at_gateway: bool) -> None:
    graph = _plan(open_at_gateway)
    assert validate_all(graph) >= 10
    site = graph.named("api-docs-site", CONFIGMAP).inputs["data"]
    assert json.loads(site["openapi.json"]) == OPENAPI
    assert json.loads(site["asyncapi-order.json"]) == ASYNCAPI["order"]
    assert "https:" not in site["docs.html"]
    # Swagger UI, compressed, beside the documents (a projected volume): each ConfigMap under
    # the API server's 1 MiB (tests/test_api_docs.py::test_the_api_server_accepts_the_objects)
    assets = graph.named("api-docs-assets", CONFIGMAP).inputs["binaryData"]
    assert {key: gzip.decompress(base64.b64decode(value)) for key, value in assets.items()} == {
        f"{name}.gz": asset(name) for name in COMPRESSED}
    assert sum(len(base64.b64decode(value)) for value in assets.values()) < 1024 * 1024
    pod = graph.named("api-docs-deployment").inputs["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == versions.API_DOCS_IMAGE
    assert {m["mountPath"] for m in container["volumeMounts"]} >= {SITE_DIR, CONF_DIR}
    (site_volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "site"]
    assert site_volume["projected"]["sources"] == [{"configMap": {"name": "api-docs-site"}},
                                                   {"configMap": {"name": "api-docs-assets"}}]
    route = graph.named("api-docs-route").inputs["spec"]
    assert route["gateways"] == ["istio-ingress/marketplace"]
    assert route["http"][0]["match"] == [{"uri": {"exact": "/openapi.json"}},
                                         {"uri": {"exact": "/docs"}},
                                         {"uri": {"exact": "/docs/swagger-ui-bundle.js"}},
                                         {"uri": {"exact": "/docs/swagger-ui.css"}},
                                         {"uri": {"exact": "/docs/swagger-init.js"}},
                                         {"uri": {"prefix": "/asyncapi/"}}]
    opened = [r for r in graph if r.name == "api-docs-open"]
    assert len(opened) == int(open_at_gateway)
    if opened:
        (rule,) = opened[0].inputs["spec"]["rules"]
        assert rule["to"][0]["operation"]["methods"] == ["GET", "HEAD"]
        assert opened[0].inputs["metadata"]["namespace"] == "istio-ingress"


def test_the_api_server_accepts_the_objects(kube_api: KubeApi) -> None:
    """Server-side apply, dryRun=All, on a real kube-apiserver: the assets ConfigMap (binaryData,
    under its 1 MiB), the Deployment's projected volume and the other built-in kinds (the Istio
    ones: tests/test_apiserver_accepts.py with the CRDs)."""
    objects = [m.object for m in manifests(_plan(True))]
    with kube_api.client() as http:
        discovery = Discovery(http)
        # every namespace the objects live in exists, as the platform's other add-ons make them
        # (the session's apiserver may hold the CRDs by now: then the Istio kinds apply too)
        for name in sorted({obj["metadata"].get("namespace") or "marketplace" for obj in objects}):
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            assert apply(http, discovery, namespace, dry_run=False).status_code < 300
        checked = []
        for obj in objects:
            if discovery.resource(obj["apiVersion"], obj["kind"]) is None:
                continue  # a CRD's kind (Istio's)
            answer = apply(http, discovery, obj, dry_run=True)
            assert answer.status_code < 300, (obj["kind"], obj["metadata"]["name"], answer.text)
            checked.append(obj["metadata"]["name"])
    assert {"api-docs-site", "api-docs-assets", "api-docs"} <= set(checked)


def test_a_changed_document_rolls_the_pods() -> None:
    def checksum(openapi: dict[str, Any]) -> str:
        args = ApiDocsArgs(namespace="m", openapi=openapi, gateway="istio-ingress/m")
        pod = plan(lambda: ApiDocs("api-docs", args)).named("api-docs-deployment")
        annotations = pod.inputs["spec"]["template"]["metadata"]["annotations"]
        return str(annotations["marketplace-kit/documents-sha256"])

    assert checksum(OPENAPI) != checksum({**OPENAPI, "paths": {}})


def test_documents_over_a_configmap_are_refused() -> None:
    huge = {**OPENAPI, "info": {"title": "x", "version": "1", "description": "x" * 1_000_000}}
    with pytest.raises(DocumentsTooLarge, match="ConfigMap"):
        site_files(huge, {})


def test_it_is_an_addon_drawn_with_the_gateway() -> None:
    addon = registry.by_component("ApiDocs")
    assert addon is not None and addon.after == ("mesh", "gateway")
    assert registry.groups()["ApiDocs"] == "mesh & gateway"


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[str]:
    """Debian's nginx running the rendered server config over the rendered site (the mount
    paths and port of the pod replaced by a temporary directory and a free port)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).is_file(), "nginx is missing: apt-get install nginx-light (.ci/run)"
    graph = _plan(True)
    site, conf = tmp_path / "site", tmp_path / "conf.d"
    site.mkdir()
    conf.mkdir()
    for directory, name in ((site, "api-docs-site"), (site, "api-docs-assets"),
                            (conf, "api-docs-nginx")):
        inputs = graph.named(name, CONFIGMAP).inputs
        for key, text in inputs.get("data", {}).items():
            (directory / key).write_text(text)
        for key, encoded in inputs.get("binaryData", {}).items():
            (directory / key).write_bytes(base64.b64decode(encoded))
    port = free_port()
    server = (conf / "default.conf").read_text()
    assert f"root {SITE_DIR};" in server and "listen 8080;" in server
    (conf / "default.conf").write_text(server.replace(f"root {SITE_DIR};", f"root {site};")
                                       .replace("listen 8080;", f"listen 127.0.0.1:{port};"))
    main = tmp_path / "nginx.conf"
    temp = {k: tmp_path / k for k in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    main.write_text(
        ""
        # As root, nginx's workers would switch to nobody, who cannot read pytest's 0700 tmp
        # directory; the pod runs as UID 10001 and never switches.
        + ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log off;\n  client_body_temp_path {temp['client']};\n"
        f"  proxy_temp_path {temp['proxy']};\n  fastcgi_temp_path {temp['fastcgi']};\n"
        f"  uwsgi_temp_path {temp['uwsgi']};\n  scgi_temp_path {temp['scgi']};\n"
        f"  include {conf}/*.conf;\n}}\n")
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(main)],
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {process.stderr and process.stderr.read()}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def test_the_rendered_server_serves_the_documents(nginx: str) -> None:
    with httpx.Client(base_url=nginx) as http:
        answer = http.get("/openapi.json")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == OPENAPI
        docs = http.get("/docs")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert 'data-openapi-url="/openapi.json"' in docs.text
        # The same page as dev's, under the same CSP: every file from its own origin.
        assert docs.text == docs_page("/openapi.json", "marketplace API")
        assert docs.headers["content-security-policy"] == DOCS_CSP
        assert "https:" not in docs.text and "//" not in docs.text
        init = http.get("/docs/swagger-init.js")
        assert init.status_code == 200 and init.content == asset("swagger-init.js")
        assert "SwaggerUIBundle" in init.text
        assert http.get("/asyncapi/order.json").json() == ASYNCAPI["order"]
        assert http.get("/healthz").status_code == 200
        for missing in ("/asyncapi/nobody.json", "/asyncapi/Order.json", "/docs.html",
                        "/openapi.json/x", "/"):
            assert http.get(missing).status_code == 404, missing


@pytest.mark.parametrize("name", COMPRESSED)
def test_the_rendered_server_serves_swagger_ui_with_and_without_gzip(nginx: str,
                                                                    name: str) -> None:
    """The ConfigMap's .gz as it is to a client that takes gzip; decompressed by nginx for
    one that does not; the same bytes as the kit's npm-pinned file either way."""
    url = f"{nginx}/docs/{name}"
    with httpx.Client() as http:
        for accept in ("gzip", "identity"):
            request = http.build_request("GET", url, headers={"Accept-Encoding": accept})
            answer = http.send(request, stream=True)
            raw = b"".join(answer.iter_raw())
            answer.close()
            assert answer.status_code == 200, accept
            assert answer.headers["content-type"] == content_type(name)
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert "accept-encoding" in answer.headers["vary"].lower()
            if accept == "gzip":
                assert answer.headers["content-encoding"] == "gzip"
                assert gzip.decompress(raw) == asset(name)
            else:
                assert "content-encoding" not in answer.headers
                assert raw == asset(name)


def test_the_rendered_page_lists_the_operations_with_the_network_blocked(
        nginx: str, tmp_path: Path) -> None:
    """Headless chromium, the network blocked: the cluster's page loads Swagger UI from its own
    origin only (the CSP allows no other) and lists the document's operations."""
    from support.browser import swagger_operations

    paths, visit = swagger_operations(f"{nginx}/docs", tmp_path / "profile")
    assert paths == list(OPENAPI["paths"]), (visit.messages, visit.requests)
    assert {f"{nginx}/docs/{name}" for name in ("swagger-ui-bundle.js", "swagger-ui.css",
                                               "swagger-init.js")} <= set(visit.requests)
    assert not [u for u in visit.requests if not u.startswith((nginx, "data:", "blob:"))]
    assert not visit.blocked, visit.blocked


@pytest.mark.slow  # one service's document is built again (the others come from the cache)
def test_a_schema_name_clash_fails_the_plan_in_one_line(tmp_path: Path) -> None:
    copy = copy_with_schema_clash(tmp_path)
    code, _, stderr = run_cli(["plan", "--config", str(copy / "marketplace.yaml")], tmp_path)
    assert_one_error_line(code, stderr, SCHEMA_CLASH_ERROR)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["plan", "check"])
def test_a_prefix_that_no_longer_matches_the_code_fails_the_plan_in_one_line(
    tmp_path: Path, command: str
) -> None:
    """The gateway would route catalog's API nowhere: refused before anything is built."""
    copy = copy_with_moved_prefix(tmp_path)
    code, _, stderr = run_cli([command, "--config", str(copy / "marketplace.yaml")], tmp_path)
    assert_one_error_line(code, stderr, "catalog: its OpenAPI document declares /catalog/",
                          "route prefix is /shop")
