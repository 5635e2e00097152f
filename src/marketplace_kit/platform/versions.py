"""Every pinned external version the kit deploys, in one place.

Each pin names the upstream release it comes from. Change a version here and every component,
blueprint, rendered manifest and generated service follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Chart:
    """A pinned Helm chart: name, repository and version (the upstream release it comes from)."""

    name: str
    repository: str
    version: str
    source: str


# --- Kubernetes / EKS -------------------------------------------------------------------
# EKS standard support: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
# 1.35 is in standard support until 2027-03-27 (see EKS_CALENDAR).
KUBERNETES = "1.35"


@dataclass(frozen=True)
class SupportWindow:
    """When EKS stops supporting a Kubernetes minor version (standard, then extended support).

    Attributes:
        standard_end: Last day of standard support ($0.10 per cluster-hour).
        extended_end: Last day of extended support ($0.60 per cluster-hour); after it EKS
            upgrades the control plane itself.
    """

    standard_end: date
    extended_end: date


# The EKS Kubernetes release calendar (standard support is 14 months, extended 12 more):
# https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar
EKS_CALENDAR: dict[str, SupportWindow] = {
    "1.32": SupportWindow(date(2026, 3, 23), date(2027, 3, 23)),
    "1.33": SupportWindow(date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": SupportWindow(date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": SupportWindow(date(2027, 3, 27), date(2028, 3, 27)),
}
# `check` warns this many days before standard support ends.
SUPPORT_WARNING_DAYS = 60

# EKS managed add-on builds per Kubernetes version (the AWS user guide's latest-version tables:
# managing-kube-proxy lists v1.35.3-eksbuild.2 for 1.35; the 1.35 vpc-cni, coredns and EBS CSI
# builds are the ones published for 1.35 clusters, not re-checked against `aws eks
# describe-addon-versions` from this machine, which has no AWS access). 1.33 keeps the builds it
# was pinned with, for a platform that stays on it under extended support.
EKS_ADDONS_BY_KUBERNETES: dict[str, dict[str, str]] = {
    "1.35": {
        "vpc-cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.13.2-eksbuild.1",
        "kube-proxy": "v1.35.3-eksbuild.2",
        "aws-ebs-csi-driver": "v1.53.0-eksbuild.1",
    },
    "1.33": {
        "vpc-cni": "v1.19.5-eksbuild.1",
        "coredns": "v1.12.1-eksbuild.2",
        "kube-proxy": "v1.33.0-eksbuild.2",
        "aws-ebs-csi-driver": "v1.44.0-eksbuild.1",
    },
}
EKS_ADDONS: dict[str, str] = EKS_ADDONS_BY_KUBERNETES[KUBERNETES]
# The versions a config may choose: those the EKS add-on builds above are pinned for.
KUBERNETES_SUPPORTED: tuple[str, ...] = tuple(EKS_ADDONS_BY_KUBERNETES)

# Managed node group AMI: Amazon Linux 2023 (AL2 AMIs end with Kubernetes 1.32).
# https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html#AmazonEKS-Type-Nodegroup-amiType
EKS_AMI_TYPE = "AL2023_x86_64_STANDARD"
# The EKS-optimized AL2023 AMI release every node runs: managed node groups' release_version and
# Karpenter's alias both derive from it, so nodes move only when this pin moves (an `upgrade`
# step), never by drift. AMI Release v20260714 of awslabs/amazon-eks-ami (CHANGELOG.md "AMI
# Release v20260714", https://github.com/awslabs/amazon-eks-ami/releases/tag/v20260714): the
# newest release with notes in the repository as read (tags up to v20260724, last commit
# 2026-07-23; v20260724 has no notes there yet, so its Kubernetes patches are unknown: not
# pinned). Its Kubernetes patch per minor is that entry's "Release version" column
# (1.33.13-20260714, 1.34.9-20260714, 1.35.6-20260714; it also ships 1.30-1.32 and 1.36).
EKS_AMI_RELEASE = "v20260714"
EKS_AMI_KUBERNETES_PATCHES: dict[str, str] = {"1.33": "1.33.13", "1.34": "1.34.9", "1.35": "1.35.6"}
# EKS's release_version of a managed node group: "<Kubernetes patch>-<release date>".
EKS_AMI_RELEASE_VERSIONS: dict[str, str] = {
    minor: f"{patch}-{EKS_AMI_RELEASE.removeprefix('v')}"
    for minor, patch in EKS_AMI_KUBERNETES_PATCHES.items()
}

# --- Pulumi providers (installed at these versions before `up`) -------------------------
PULUMI_PLUGINS: dict[str, str] = {
    "aws": "7.51.1",  # pulumi-aws on PyPI, same version as the plugin
    "kubernetes": "4.34.2",  # pulumi-kubernetes on PyPI
    "random": "4.21.4",  # pulumi-random on PyPI
    "tls": "5.6.2",  # pulumi-tls on PyPI (the token issuer's signing keys)
}

# Oldest Pulumi CLI the kit drives: 3.181.0 added `--client` for inline programs on refresh and
# destroy (https://github.com/pulumi/pulumi/releases/tag/v3.181.0), which the Automation API uses.
PULUMI_CLI_MINIMUM = "3.181.0"

# --- In-cluster platform ----------------------------------------------------------------
# Istio 1.31, the newest minor: 1.31.0 released 2026-08-31, 1.31.1 on 2026-09-21
# (https://istio.io/latest/news/releases/1.31.x/). "Officially supported on Kubernetes versions
# 1.32 to 1.36" (the 1.31.0 announcement). From 1.31 Istio publishes its Helm charts only at
# blob.istio.io and its images only on docker.io/istio; the GCS chart repository and
# gcr.io/registry.istio.io are removed in December 2026 (istio.io blog 2026/retirement-of-gcp).
ISTIO = "1.31.1"
ISTIO_KUBERNETES = ("1.32", "1.36")  # oldest and newest Kubernetes minor Istio supports
ISTIO_HUB = "docker.io/istio"
_ISTIO_REPO = "https://blob.istio.io/istio-release/charts"
_ISTIO_SOURCE = f"https://github.com/istio/istio/releases/tag/{ISTIO}"
ISTIO_BASE = Chart("base", _ISTIO_REPO, ISTIO, _ISTIO_SOURCE)
ISTIOD = Chart("istiod", _ISTIO_REPO, ISTIO, _ISTIO_SOURCE)
ISTIO_GATEWAY = Chart("gateway", _ISTIO_REPO, ISTIO, _ISTIO_SOURCE)

# Strimzi 1.2.0 (serves only kafka.strimzi.io/v1; KRaft only). Kafka versions it supports:
# 4.2.0, 4.2.1, 4.3.0, 4.3.1 (release notes' image list).
# https://github.com/strimzi/strimzi-kafka-operator/releases/tag/1.2.0
STRIMZI = "1.2.0"
STRIMZI_OPERATOR = Chart(
    "strimzi-kafka-operator",
    "https://strimzi.io/charts/",
    STRIMZI,
    "https://github.com/strimzi/strimzi-kafka-operator/releases/tag/1.2.0",
)
# The CRDs of that release (a release asset), applied and upgraded by the EventBus itself.
def strimzi_crds_url(release: str, mirror: str | None = None) -> str:
    """The CRD file of a Strimzi release: its release asset on GitHub, or the file of that name
    (``strimzi-crds-<release>.yaml``) in ``mirror``, a local folder or a URL holding the release
    assets (a cluster that reaches no GitHub; the real-engine tests)."""
    name = f"strimzi-crds-{release}.yaml"
    if mirror is None:
        return f"https://github.com/strimzi/strimzi-kafka-operator/releases/download/{release}/{name}"
    return f"{mirror.rstrip('/')}/{name}"


STRIMZI_CRDS_URL = strimzi_crds_url(STRIMZI)
STRIMZI_API = "kafka.strimzi.io/v1"
KAFKA = "4.3.1"
STRIMZI_KAFKA_VERSIONS = ("4.2.0", "4.2.1", "4.3.0", "4.3.1")

# Istio and Prometheus Operator custom resource API versions the kit writes.
ISTIO_NETWORKING_API = "networking.istio.io/v1"
ISTIO_ENVOYFILTER_API = "networking.istio.io/v1alpha3"
ISTIO_SECURITY_API = "security.istio.io/v1"
ISTIO_TELEMETRY_API = "telemetry.istio.io/v1"
PROMETHEUS_OPERATOR_API = "monitoring.coreos.com/v1"

# kube-prometheus-stack 79.10.0 (prometheus-community/helm-charts).
KUBE_PROMETHEUS_STACK = Chart(
    "kube-prometheus-stack",
    "https://prometheus-community.github.io/helm-charts",
    "79.10.0",
    "https://github.com/prometheus-community/helm-charts/releases/tag/kube-prometheus-stack-79.10.0",
)
# The prometheus-operator CRDs as their own chart (prometheus-operator-crds 24.0.2: operator
# v0.86.2, kube-prometheus-stack 79.10.0's appVersion). kube-prometheus-stack ships them in a
# crds/ folder, which Helm installs once and never upgrades; this chart has them as templates.
PROMETHEUS_OPERATOR_CRDS = Chart(
    "prometheus-operator-crds",
    "https://prometheus-community.github.io/helm-charts",
    "24.0.2",
    "https://github.com/prometheus-community/helm-charts/releases/tag/prometheus-operator-crds-24.0.2",
)
# metrics-server chart 3.13.1 (kubernetes-sigs/metrics-server, tag metrics-server-helm-chart-3.13.1;
# image 0.8.1): the metrics.k8s.io API the HPAs read.
METRICS_SERVER = Chart(
    "metrics-server",
    "https://kubernetes-sigs.github.io/metrics-server/",
    "3.13.1",
    "https://github.com/kubernetes-sigs/metrics-server/releases/tag/metrics-server-helm-chart-3.13.1",
)
# Karpenter 1.15.0 (kubernetes-sigs/karpenter + aws/karpenter-provider-aws, released 2026-10-10;
# supports Kubernetes 1.35): the chart from its OCI registry; NodePool and EC2NodeClass API v1.
# https://karpenter.sh/v1.15/upgrading/compatibility/
KARPENTER = Chart(
    "karpenter",
    "oci://public.ecr.aws/karpenter",
    "1.15.0",
    "https://github.com/aws/karpenter-provider-aws/releases/tag/v1.15.0",
)
# Its CRDs as a chart of their own (karpenter-crd, same version): the controller chart ships them
# in crds/, which Helm installs once and never upgrades; Karpenter's upgrade guide installs
# karpenter-crd before the controller so each version bump upgrades the CRDs
# (https://karpenter.sh/docs/upgrading/upgrade-guide/#crd-upgrades).
KARPENTER_CRD = Chart(
    "karpenter-crd",
    "oci://public.ecr.aws/karpenter",
    KARPENTER.version,
    KARPENTER.source,
)
KARPENTER_API = "karpenter.sh/v1"
KARPENTER_NODE_CLASS_API = "karpenter.k8s.aws/v1"
# The EKS-optimized Amazon Linux 2023 AMI at the pinned release (Karpenter resolves the alias
# through SSM, for its nodes' Kubernetes minor): https://karpenter.sh/docs/concepts/nodeclasses/
KARPENTER_AMI_ALIAS = f"al2023@{EKS_AMI_RELEASE}"
# Fluent Bit chart 0.46.11 (fluent/helm-charts, tag fluent-bit-0.46.11).
FLUENT_BIT = Chart(
    "fluent-bit",
    "https://fluent.github.io/helm-charts",
    "0.46.11",
    "https://github.com/fluent/helm-charts/releases/tag/fluent-bit-0.46.11",
)
# OpenSearch 3.6.0 and OpenSearch Dashboards 3.6.0 (opensearch-project/helm-charts, tags
# opensearch-3.6.0 and opensearch-dashboards-3.6.0, 2026-04-07; app version 3.6.0): the log store
# and its search UI. They replace Elastic's Helm charts, whose last release (8.5.1) is archived
# upstream in favour of ECK; OpenSearch keeps the seed's roles (search + log UI) under Apache 2.0
# in one pair of maintained charts, and Jaeger v2 stores traces in it.
OPENSEARCH = Chart(
    "opensearch",
    "https://opensearch-project.github.io/helm-charts/",
    "3.6.0",
    "https://github.com/opensearch-project/helm-charts/releases/tag/opensearch-3.6.0",
)
OPENSEARCH_DASHBOARDS = Chart(
    "opensearch-dashboards",
    "https://opensearch-project.github.io/helm-charts/",
    "3.6.0",
    "https://github.com/opensearch-project/helm-charts/releases/tag/opensearch-dashboards-3.6.0",
)
# Loki chart 6.6.5 (grafana/loki, tag helm-loki-6.6.5).
LOKI = Chart(
    "loki",
    "https://grafana.github.io/helm-charts",
    "6.6.5",
    "https://github.com/grafana/loki/releases/tag/helm-loki-6.6.5",
)
# Jaeger chart 4.11.1 (jaegertracing/helm-charts, tag jaeger-4.11.1, 2026-06-14): Jaeger v2
# (2.19.0, built on the OpenTelemetry Collector) as one all-in-one Deployment. Jaeger v1 (the
# 3.x charts) reached end of life on 2025-12-31.
JAEGER = Chart(
    "jaeger",
    "https://jaegertracing.github.io/helm-charts",
    "4.11.1",
    "https://github.com/jaegertracing/helm-charts/releases/tag/jaeger-4.11.1",
)
# OpenTelemetry Collector chart 0.140.0 (open-telemetry/opentelemetry-helm-charts).
OTEL_COLLECTOR = Chart(
    "opentelemetry-collector",
    "https://open-telemetry.github.io/opentelemetry-helm-charts",
    "0.140.0",
    "https://github.com/open-telemetry/opentelemetry-helm-charts/releases/tag/opentelemetry-collector-0.140.0",
)
OTEL_COLLECTOR_IMAGE = "otel/opentelemetry-collector-k8s"

# --- Upstream support of the pins above --------------------------------------------------
@dataclass(frozen=True)
class UpstreamSupport:
    """Until when upstream supports a pinned component's release line.

    Attributes:
        ends: Last day of support; None where upstream publishes no date and supports its
            latest release line only, or (Istio) while the minor that ends it is unreleased
            (re-check at each pin bump).
        basis: ``published`` (upstream's own page) or ``policy`` (computed from upstream's
            stated policy where its page could not be read from this machine).
        source: Where the date or the policy comes from.
    """

    ends: date | None
    basis: str
    source: str


# Istio: a minor is supported "until 6 weeks after the N+2 minor release"; the EOL notices put
# the last day 41 or 42 days after it (news/support/announcing-1.28-eol: 1.30.0 on 2026-05-18,
# 1.28 ends 2026-06-28; announcing-1.29-eol: 1.31.0 on 2026-08-31, 1.29 ends 2026-10-12).
# Release days of the .0 of each minor (istio.io news/releases); add each new minor here.
ISTIO_MINOR_RELEASED: dict[str, date] = {
    "1.30": date(2026, 5, 18),
    "1.31": date(2026, 8, 31),
}


def istio_support_ends(version: str) -> date | None:
    """Last day an Istio minor is supported (41 days after N+2), None while N+2 is unreleased."""
    major, minor = version.split(".")[:2]
    released = ISTIO_MINOR_RELEASED.get(f"{major}.{int(minor) + 2}")
    return None if released is None else released + timedelta(days=41)


_LATEST_LINE = "no end date published; upstream supports its latest release line"
# Keyed by chart name (every Chart above), plus the components pinned without a chart.
# tests/test_component_support.py fails when a pin has no entry or is past its end.
SUPPORT: dict[str, UpstreamSupport] = {
    "istio": UpstreamSupport(
        istio_support_ends(ISTIO), "published",
        "https://istio.io/latest/docs/releases/supported-releases/#support-policy (a minor is "
        "supported until six weeks after the N+2 minor; 1.33.0 is not released)"),
    "postgres": UpstreamSupport(date(2029, 11, 8), "published",
                                "https://www.postgresql.org/support/versioning/ (17: 2029-11-08)"),
    "python": UpstreamSupport(date(2028, 10, 31), "published",
                              "https://peps.python.org/pep-0693/ (3.12: end of life 2028-10)"),
    # nginx maintains only its current stable line: 1.30 until the next one (each spring).
    "nginx": UpstreamSupport(date(2027, 4, 30), "policy",
                             "https://nginx.org/en/download.html (stable 1.30 until 1.32)"),
    "kafka": UpstreamSupport(None, "published",
                             f"https://kafka.apache.org/downloads ({_LATEST_LINE})"),
    **{name: UpstreamSupport(None, "published", f"{source} ({_LATEST_LINE})") for name, source in (
        ("strimzi-kafka-operator", "https://strimzi.io/downloads/"),
        ("kube-prometheus-stack", "https://github.com/prometheus-community/helm-charts"),
        ("prometheus-operator-crds", "https://github.com/prometheus-community/helm-charts"),
        ("metrics-server", "https://github.com/kubernetes-sigs/metrics-server"),
        ("karpenter", "https://karpenter.sh/docs/upgrading/compatibility/"),
        ("karpenter-crd", "https://karpenter.sh/docs/upgrading/compatibility/"),
        ("fluent-bit", "https://github.com/fluent/helm-charts"),
        ("opensearch", "https://opensearch.org/releases/"),
        ("opensearch-dashboards", "https://opensearch.org/releases/"),
        ("loki", "https://github.com/grafana/loki"),
        ("jaeger", "https://www.jaegertracing.io/docs/ (Jaeger v2)"),
        ("opentelemetry-collector", "https://github.com/open-telemetry/opentelemetry-helm-charts"),
    )},
}
# What the kit pinned before and replaced because upstream ended it (never pin these again).
RETIRED: dict[str, str] = {
    "elasticsearch": "elastic/helm-charts 8.5.1 was the last release; the repository is "
                     "archived (Elastic supports ECK instead)",
    "kibana": "same archived elastic/helm-charts",
    "jaeger<4": "Jaeger v1 (jaeger charts 3.x) reached end of life on 2025-12-31",
}


# PostgreSQL 17.5: the RDS engine version and, for target local, the official image
# (https://www.postgresql.org/docs/release/17.5/; RDS: "PostgreSQL 17.5" in the RDS release notes).
POSTGRES = "17.5"
# RDS gets the major only: with auto minor upgrades on, AWS moves 17.5 to 17.x and a pinned
# minor would make the next `up` try to downgrade (the provider's documented advice).
POSTGRES_MAJOR = POSTGRES.split(".")[0]
POSTGRES_IMAGE = f"docker.io/library/postgres:{POSTGRES}"
# The AWS CLI v2 image the RDS bootstrap Job uses to read the master secret
# (https://gallery.ecr.aws/aws-cli/aws-cli; tag not verified from this machine).
AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.27.50"
# The API documents' static server (platform/api_docs.py): NGINX's unprivileged image (runs as
# any non-root UID, listens on 8080; https://hub.docker.com/r/nginxinc/nginx-unprivileged; tag
# not pulled from this machine). Its config is the kit's own, tested with Debian's nginx; it needs
# ngx_http_gzip_static_module and ngx_http_gunzip_module (in nginx.org's builds, which the image
# uses; Debian's nginx-light has both).
# 1.30.1: the stable line's security release (CVE-2026-42945 and five more fixed).
API_DOCS_IMAGE = "docker.io/nginxinc/nginx-unprivileged:1.30.1-alpine"
# Browser assets the kit serves itself (never from a CDN): Swagger UI of every /docs page (npm
# swagger-ui-dist) and Mermaid of the docs site's diagrams (npm mermaid; 11: what mkdocs-material
# 9.8 drives). Fetched from the npm registry when the kit is built (setup.py ->
# marketplace_kit/assets/fetch.py), checked against the registry's integrity hash below, shipped
# in the wheel; nothing of them is committed.
SWAGGER_UI = "5.27.1"
SWAGGER_UI_INTEGRITY = ("sha512-oGtpYO3lnoaqyGtlJalvryl7TwzgRuxpOVWqEHx8af0YXI+Kt+4jMpLdgMt"
                        "McmWmuQ0QTCHLKExwrBFMSxvAUA==")
MERMAID = "11.17.2"
MERMAID_INTEGRITY = ("sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa"
                     "80/qt5gHO73aCleBBg==")
# Amazon DocumentDB engine (https://docs.aws.amazon.com/documentdb/latest/developerguide/).
DOCUMENTDB = "5.0.0"

# --- Generated services (services_template renders these in) ---------------------------
# Base image of every generated service's Dockerfile: the official Python image
# (https://hub.docker.com/_/python, tag not verified from this machine; no registry access).
SERVICE_BASE_IMAGE = "python:3.12.11-slim-bookworm"
# Runtime dependencies of a generated service, pinned exactly (https://pypi.org, versions
# checked with `pip index versions`). The template's pyproject.toml reads this table.
SERVICE_DEPENDENCIES: dict[str, str] = {
    "fastapi": "0.165.0",
    "uvicorn": "0.54.0",
    "uvloop": "0.23.0",
    "httptools": "0.9.0",
    "pydantic": "2.14.4",
    "pydantic-settings": "2.16.3",
    "asyncpg": "0.32.0",
    "aiokafka": "0.14.0",
    "prometheus-client": "0.26.0",
    "opentelemetry-api": "1.45.2",
    "opentelemetry-sdk": "1.45.2",
    "opentelemetry-exporter-otlp-proto-http": "1.45.2",
    "opentelemetry-instrumentation-fastapi": "0.66b2",
    # auth.py: ES256 tokens and JWKS (https://pypi.org/project/PyJWT/, its EC keys need
    # https://pypi.org/project/cryptography/) and Argon2id password hashes
    # (https://pypi.org/project/argon2-cffi/).
    "pyjwt": "2.15.1",
    "cryptography": "50.0.2",
    "argon2-cffi": "25.1.0",
}
# Test and lint tools of a generated service (its `dev` extra, https://pypi.org).
SERVICE_DEV_DEPENDENCIES: dict[str, str] = {
    "pytest": "9.2.0",
    "pytest-asyncio": "1.5.0",
    "httpx": "0.28.1",
    "ruff": "0.17.6",
    "mypy": "2.4.1",
    # The API fuzzer of tests/test_fuzz.py (schemathesis.toml); the kit's dev extra pins it too.
    "schemathesis": "4.32.5",
}
# Build backend of a generated service (https://pypi.org/project/setuptools/).
SERVICE_BUILD_BACKEND = "setuptools>=68"
# Images of the generated CI workflow's service containers (Docker Hub official images).
CI_POSTGRES_IMAGE = "postgres:16.9-bookworm"
CI_KAFKA_IMAGE = "apache/kafka:3.9.1"
# The official AsyncAPI JSON Schemas (npm @asyncapi/specs): the tests validate every service's
# AsyncAPI document against them, fetched at test time with `npm pack` (never committed).
ASYNCAPI_SPECS_NPM = "6.11.1"
# GitHub Actions of the generated workflow, pinned to release tags
# (https://github.com/<action>/releases; tags not verified from this machine).
GITHUB_ACTIONS: dict[str, str] = {
    "actions/checkout": "v4.2.2",
    "actions/setup-python": "v5.6.0",
    "aws-actions/configure-aws-credentials": "v4.2.1",
    "aws-actions/amazon-ecr-login": "v2.0.1",
    "pulumi/actions": "v7.0.0",  # installs the Pulumi CLI (tag seen in the upstream repository)
}
# The Pulumi CLI the generated deploy job installs (the version of the pinned pulumi SDK).
PULUMI_CLI_CI = "3.272.0"
