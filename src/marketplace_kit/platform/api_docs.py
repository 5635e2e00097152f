"""ApiDocs: the gateway's one API document, served on the cluster (offline: no CDN).

The merged OpenAPI document of every service (built at plan time: ``contract/openapi.py``), a
Swagger UI page and each service's AsyncAPI document in a ConfigMap, the kit's npm-pinned Swagger
UI gzip-compressed in a second one (the bundle alone is over a ConfigMap's 1 MiB), served by a
small NGINX Deployment (pinned image, the kit's own server config) in the workload namespace,
routed by the Istio gateway: ``/openapi.json``, ``/docs`` (and its files under ``/docs/``) and
``/asyncapi/<service>.json`` (``contract/api_docs_paths.py``). With token
checks at the edge, an extra ALLOW policy on the gateway opens exactly these paths (GET) without
a token. A changed document rolls the pods (its checksum is a pod annotation).
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.assets.pages import (
    DOCS_CSP,
    INIT,
    SWAGGER_FILES,
    asset,
    content_type,
    docs_page,
)
from marketplace_kit.contract.api_docs_paths import ASYNCAPI_PREFIX, DOCS_PATH, OPENAPI_PATH
from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import traffic, versions, workload_names
from marketplace_kit.platform.mesh import GATEWAY_SELECTOR, INGRESS_NAMESPACE
from marketplace_kit.platform.meta import labels, metadata, restricted_container

ADDON = AddOn(
    name="api-docs", component="ApiDocs", exports=("ApiDocs", "ApiDocsArgs"),
    group="mesh & gateway", after=("mesh", "gateway"), provides=("deployment",),
)

NAME = workload_names.API_DOCS
PORT = 8080
HEALTH_PATH = "/healthz"
SITE_DIR = "/usr/share/nginx/html"
CONF_DIR = "/etc/nginx/conf.d"
TMP_DIR = "/tmp"
# A ConfigMap holds at most 1 MiB; leave room for the other keys and the object itself.
MAX_DOCUMENT_BYTES = 900 * 1024
# Swagger UI's bundle (1.5 MB) does not fit in a ConfigMap: it and its styles ship gzip-compressed
# (0.4 MB) as binaryData of their own ConfigMap, and nginx serves the .gz as it is
# (gzip_static always) or decompressed for a client that takes no gzip (gunzip on). The page is
# dev's (assets/pages.py), under the same CSP: its own origin only.
COMPRESSED = tuple(name for name in SWAGGER_FILES if name != INIT)
MAX_CONFIGMAP_BYTES = 1024 * 1024


class DocumentsTooLarge(ValueError):
    """The documents would not fit in a ConfigMap."""


@dataclass
class ApiDocsArgs:
    """Options of the API documents' server.

    Attributes:
        namespace: Namespace of the Deployment (the workload namespace: sidecars, mTLS).
        openapi: The merged OpenAPI document (``contract.openapi.merge_openapi``).
        gateway: The Istio Gateway its routes bind to (``<namespace>/<name>``).
        asyncapi: Each service's AsyncAPI document by service name (served beside it).
        hosts: Hosts the routes answer (the gateway's).
        open_at_gateway: The gateway requires tokens (an ALLOW policy selects it): add one that
            lets GET of the documents' paths through without a token.
        traffic: Who may reach the pods (the gateway; metrics scrapes); None: no policies.
        replicas: Replicas of the Deployment (a PodDisruptionBudget keeps one up).
        image: The static server's image (pinned in ``versions.py``).
        depends_on: What must exist first (the mesh's CRDs and namespaces, the gateway).
    """

    namespace: str
    openapi: dict[str, Any]
    gateway: str
    asyncapi: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=lambda: ["*"])
    open_at_gateway: bool = False
    traffic: traffic.Traffic | None = None
    replicas: int = 1
    image: str = versions.API_DOCS_IMAGE
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class ApiDocs(pulumi.ComponentResource):
    """``/openapi.json``, ``/docs`` and ``/asyncapi/*`` at the gateway."""

    def __init__(
        self, name: str, args: ApiDocsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:ApiDocs", name, None, opts)
        ns = args.namespace
        meta = metadata(NAME, ns, "api-docs")
        child = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        files = site_files(args.openapi, args.asyncapi)
        self.site = k8s.core.v1.ConfigMap(
            "api-docs-site", metadata=metadata(f"{NAME}-site", ns, "api-docs"), data=files,
            opts=child,
        )
        self.assets = k8s.core.v1.ConfigMap(
            "api-docs-assets", metadata=metadata(f"{NAME}-assets", ns, "api-docs"),
            binary_data={key: base64.b64encode(data).decode()
                         for key, data in compressed_assets().items()},
            opts=child,
        )
        self.server_config = k8s.core.v1.ConfigMap(
            "api-docs-nginx", metadata=metadata(f"{NAME}-nginx", ns, "api-docs"),
            data={"default.conf": nginx_config()}, opts=child,
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            "api-docs-sa", metadata=meta, automount_service_account_token=False, opts=child,
        )
        checksum = hashlib.sha256(json.dumps(files, sort_keys=True).encode()
                                  + b"".join(compressed_assets().values())).hexdigest()
        self.deployment = k8s.apps.v1.Deployment(
            "api-docs-deployment", metadata=meta,
            spec=deployment_spec(args.image, args.replicas, checksum),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[
                *args.depends_on, self.site, self.assets, self.server_config,
                self.service_account]),
        )
        self.service = k8s.core.v1.Service(
            "api-docs-service", metadata=meta,
            spec={"selector": selector(), "ports": [{"name": "http", "port": PORT,
                                                     "targetPort": PORT}]},
            opts=child,
        )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            "api-docs-pdb", metadata=meta,
            spec={**({"minAvailable": 1} if args.replicas >= 2 else {"maxUnavailable": 1}),
                  "selector": {"matchLabels": selector()}},
            opts=child,
        )
        host = f"{NAME}.{ns}.svc.cluster.local"
        self.route = k8s.apiextensions.CustomResource(
            "api-docs-route", api_version=versions.ISTIO_NETWORKING_API, kind="VirtualService",
            metadata=meta, spec=virtual_service_spec(host, args.hosts, args.gateway), opts=child,
        )
        self.destination_rule = k8s.apiextensions.CustomResource(
            "api-docs-destination", api_version=versions.ISTIO_NETWORKING_API,
            kind="DestinationRule", metadata=meta,
            spec={"host": host, "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}, opts=child,
        )
        self.gateway_policy: k8s.apiextensions.CustomResource | None = None
        if args.open_at_gateway:
            self.gateway_policy = k8s.apiextensions.CustomResource(
                "api-docs-open", api_version=versions.ISTIO_SECURITY_API,
                kind="AuthorizationPolicy",
                metadata=metadata(f"{NAME}-open", INGRESS_NAMESPACE, "gateway"),
                spec=gateway_policy_spec(), opts=child,
            )
        self.authorization = self.network_policy = None
        if args.traffic is not None:
            self.authorization = k8s.apiextensions.CustomResource(
                "api-docs-authz", api_version=versions.ISTIO_SECURITY_API,
                kind="AuthorizationPolicy", metadata=meta,
                spec=traffic.authorization_policy(NAME, PORT, ns, args.traffic), opts=child,
            )
            self.network_policy = k8s.networking.v1.NetworkPolicy(
                "api-docs-netpol", metadata=meta,
                spec=traffic.network_policy(NAME, PORT, args.traffic), opts=child,
            )
        self.register_outputs({"paths": len(args.openapi.get("paths", {}))})


def selector() -> dict[str, str]:
    """The labels that select the server's pods."""
    return {"app.kubernetes.io/name": NAME}


def asyncapi_file(service: str) -> str:
    """The ConfigMap key (and file) of a service's AsyncAPI document."""
    return f"asyncapi-{service}.json"


def site_files(openapi: dict[str, Any], asyncapi: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The files the server serves; DocumentsTooLarge when they would not fit in a ConfigMap."""
    files = {"openapi.json": json.dumps(openapi, separators=(",", ":"), sort_keys=True),
             "docs.html": docs_page(OPENAPI_PATH, str(openapi.get("info", {}).get("title", ""))),
             INIT: asset(INIT).decode()}
    for service, document in sorted(asyncapi.items()):
        files[asyncapi_file(service)] = json.dumps(document, separators=(",", ":"),
                                                   sort_keys=True)
    size = sum(len(text.encode()) for text in files.values())
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentsTooLarge(f"the API documents take {size // 1024} KiB, over the ConfigMap's "
                         f"{MAX_DOCUMENT_BYTES // 1024} KiB")
    return files


@functools.cache
def compressed_assets() -> dict[str, bytes]:
    """The ``<file>.gz`` keys of the assets ConfigMap: Swagger UI's bundle and styles (the kit's
    npm-pinned copies), compressed the same way on every plan (no name, no time)."""
    files = {f"{name}.gz": gzip.compress(asset(name), compresslevel=9, mtime=0)
             for name in COMPRESSED}
    size = sum(len(data) for data in files.values())
    if size >= MAX_CONFIGMAP_BYTES:
        raise DocumentsTooLarge(f"Swagger UI takes {size // 1024} KiB compressed, over a "
                                "ConfigMap's 1 MiB")
    return files


def docs_paths() -> list[str]:
    """The Swagger UI page's paths: the page, its start script, bundle and styles."""
    return [DOCS_PATH, *(f"{DOCS_PATH}/{name}" for name in SWAGGER_FILES)]


def _compressed_location(name: str) -> str:
    """One asset from its .gz: as it is to a client that takes gzip, else decompressed."""
    return f"""    location = {DOCS_PATH}/{name} {{
        types {{ }}
        default_type "{content_type(name)}";
        rewrite ^ /{name} break;
        gzip_static always;
        gunzip on;
        gzip_vary on;
    }}
"""


def nginx_config() -> str:
    """The server block (replaces the image's ``default.conf``): the documents, a health path
    for the probes, nothing else (404)."""
    compressed = "".join(_compressed_location(name) for name in COMPRESSED)
    return f"""server {{
    listen {PORT};
    server_name _;
    root {SITE_DIR};
    server_tokens off;
    add_header X-Content-Type-Options nosniff always;
    location = {OPENAPI_PATH} {{
        default_type application/json;
        try_files /openapi.json =404;
    }}
    location = {DOCS_PATH} {{
        default_type text/html;
        add_header Content-Security-Policy "{DOCS_CSP}" always;
        add_header X-Content-Type-Options nosniff always;
        try_files /docs.html =404;
    }}
    location = {DOCS_PATH}/{INIT} {{
        default_type text/javascript;
        try_files /{INIT} =404;
    }}
{compressed}    location ~ ^{ASYNCAPI_PREFIX}([a-z][a-z0-9-]*)\\.json$ {{
        default_type application/json;
        try_files /asyncapi-$1.json =404;
    }}
    location = {HEALTH_PATH} {{
        default_type text/plain;
        return 200 "ok\\n";
    }}
    location / {{
        return 404;
    }}
}}
"""


def deployment_spec(image: str, replicas: int, checksum: str) -> dict[str, Any]:
    """The static server: non-root, read-only root filesystem, /tmp and nginx's cache writable,
    the site (documents and assets: one projected volume) and the server config mounted
    read-only from their ConfigMaps."""
    probe = {"httpGet": {"path": HEALTH_PATH, "port": PORT}, "periodSeconds": 10,
             "timeoutSeconds": 2}
    return {
        "replicas": replicas,
        "selector": {"matchLabels": selector()},
        "template": {
            "metadata": {"labels": labels(NAME, "api-docs"),
                         "annotations": {"marketplace-kit/documents-sha256": checksum}},
            "spec": {
                "serviceAccountName": NAME,
                "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "runAsGroup": 10001, "fsGroup": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": NAME,
                    "image": image,
                    "imagePullPolicy": "Always",
                    "ports": [{"name": "http", "containerPort": PORT}],
                    "readinessProbe": probe,
                    "livenessProbe": {**probe, "initialDelaySeconds": 5},
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                  "limits": {"cpu": "100m", "memory": "64Mi"}},
                    "securityContext": restricted_container(),
                    "volumeMounts": [
                        {"name": "site", "mountPath": SITE_DIR, "readOnly": True},
                        {"name": "config", "mountPath": CONF_DIR, "readOnly": True},
                        {"name": "tmp", "mountPath": TMP_DIR},
                        {"name": "cache", "mountPath": "/var/cache/nginx"},
                    ],
                }],
                "volumes": [
                    {"name": "site", "projected": {"sources": [
                        {"configMap": {"name": f"{NAME}-site"}},
                        {"configMap": {"name": f"{NAME}-assets"}}]}},
                    {"name": "config", "configMap": {"name": f"{NAME}-nginx"}},
                    {"name": "tmp", "emptyDir": {}},
                    {"name": "cache", "emptyDir": {}},
                ],
            },
        },
    }


def virtual_service_spec(host: str, hosts: list[str], gateway: str) -> dict[str, Any]:
    """The documents' paths on the gateway (exact, and the AsyncAPI prefix); GET is safe to
    retry."""
    return {
        "hosts": list(hosts),
        "gateways": [gateway],
        "http": [{
            "name": NAME,
            "match": [{"uri": {"exact": path}} for path in (OPENAPI_PATH, *docs_paths())]
                     + [{"uri": {"prefix": ASYNCAPI_PREFIX}}],
            "route": [{"destination": {"host": host, "port": {"number": PORT}}}],
            "timeout": "10s",
            "retries": {"attempts": 2, "perTryTimeout": "5s",
                        "retryOn": "5xx,reset,connect-failure"},
        }],
    }


def gateway_policy_spec() -> dict[str, Any]:
    """ALLOW on the gateway pods: GET of the documents without a token (Istio allows a request
    that any ALLOW policy matches; the gateway's own policy still guards everything else)."""
    return {
        "selector": {"matchLabels": dict(GATEWAY_SELECTOR)},
        "action": "ALLOW",
        "rules": [{"to": [{"operation": {
            "methods": ["GET", "HEAD"],
            "paths": [OPENAPI_PATH, *docs_paths(), f"{ASYNCAPI_PREFIX}*"]}}]}],
    }
