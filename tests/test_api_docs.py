"""ApiDocs: the merged API document on the cluster. The component's objects (validated), the
rendered server config and site served by a real nginx, and a conflict between two services'
documents refused at plan time with one line."""

from __future__ import annotations

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
from support.marketplace import SCHEMA_CLASH_ERROR, copy_with_schema_clash

from marketplace_kit.assets.pages import asset, docs_csp, docs_page
from marketplace_kit.devenv import free_port
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import registry, versions
from marketplace_kit.platform.api_docs import (
    CONF_DIR,
    SITE_DIR,
    SWAGGER_CDN,
    ApiDocs,
    ApiDocsArgs,
    DocumentsTooLarge,
    site_files,
)
from marketplace_kit.platform.traffic import Traffic

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
    assert f"swagger-ui-dist@{versions.SWAGGER_UI}" in site["docs.html"]
    pod = graph.named("api-docs-deployment").inputs["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == versions.API_DOCS_IMAGE
    assert {m["mountPath"] for m in container["volumeMounts"]} >= {SITE_DIR, CONF_DIR}
    route = graph.named("api-docs-route").inputs["spec"]
    assert route["gateways"] == ["istio-ingress/marketplace"]
    assert route["http"][0]["match"] == [{"uri": {"exact": "/openapi.json"}},
                                         {"uri": {"exact": "/docs"}},
                                         {"uri": {"exact": "/docs/swagger-init.js"}},
                                         {"uri": {"prefix": "/asyncapi/"}}]
    opened = [r for r in graph if r.name == "api-docs-open"]
    assert len(opened) == int(open_at_gateway)
    if opened:
        (rule,) = opened[0].inputs["spec"]["rules"]
        assert rule["to"][0]["operation"]["methods"] == ["GET", "HEAD"]
        assert opened[0].inputs["metadata"]["namespace"] == "istio-ingress"


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
    for directory, name in ((site, "api-docs-site"), (conf, "api-docs-nginx")):
        directory.mkdir()
        for key, text in graph.named(name, CONFIGMAP).inputs["data"].items():
            (directory / key).write_text(text)
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
        # The same page as dev's, its bundle from the pinned CDN (too big for the ConfigMap),
        # under a CSP that allows that origin and no other; the start script served here.
        assert docs.text == docs_page("/openapi.json", "marketplace API", assets=SWAGGER_CDN)
        assert docs.headers["content-security-policy"] == docs_csp("https://cdn.jsdelivr.net")
        init = http.get("/docs/swagger-init.js")
        assert init.status_code == 200 and init.content == asset("swagger-init.js")
        assert "SwaggerUIBundle" in init.text
        assert http.get("/asyncapi/order.json").json() == ASYNCAPI["order"]
        assert http.get("/healthz").status_code == 200
        for missing in ("/asyncapi/nobody.json", "/asyncapi/Order.json", "/docs.html",
                        "/openapi.json/x", "/"):
            assert http.get(missing).status_code == 404, missing


@pytest.mark.slow  # one service's document is built again (the others come from the cache)
def test_a_schema_name_clash_fails_the_plan_in_one_line(tmp_path: Path) -> None:
    copy = copy_with_schema_clash(tmp_path)
    code, _, stderr = run_cli(["plan", "--config", str(copy / "marketplace.yaml")], tmp_path)
    assert_one_error_line(code, stderr, SCHEMA_CLASH_ERROR)
