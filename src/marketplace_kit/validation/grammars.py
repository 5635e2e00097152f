"""The grammars of strings the config passes on to AWS, a container runtime or Kubernetes:
ARNs, OCI image references and registries, service versions, DNS host names and Kubernetes
object names. One definition each, used by every
field that holds one; each check returns the value or raises ValueError with the fix.

Patterns end in ``\\Z`` (``$`` also matches before a trailing newline).
"""

from __future__ import annotations

import re

# --- AWS ARNs -------------------------------------------------------------------------------
# arn:<partition>:<service>:<region>:<account>:<resource>; the partitions the kit's regions are in.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
ACCOUNT = r"[0-9]{12}"
# IAM names: letters, digits and +=,.@_- ; a path is "/" or "/segments/".
IAM_NAME = r"[A-Za-z0-9+=,.@_-]{1,128}"
IAM_PATH = r"/(?:[A-Za-z0-9+=,.@_-]+/)*"
_PARTITION = "(?P<partition>" + "|".join(re.escape(p) for p in PARTITIONS) + ")"
IAM_PRINCIPAL_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::{ACCOUNT}:(?:role|user){IAM_PATH}{IAM_NAME}\Z")
OIDC_PROVIDER_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::{ACCOUNT}:oidc-provider/[A-Za-z0-9.-]+(?:/[A-Za-z0-9._-]+)*\Z")
KMS_KEY_ARN = re.compile(
    rf"^arn:{_PARTITION}:kms:[a-z]{{2}}(?:-[a-z]+)+-[0-9]{{1,2}}:{ACCOUNT}:"
    r"(?:key/[A-Za-z0-9-]{1,64}|alias/[A-Za-z0-9/_-]{1,250})\Z")  # key ids: UUIDs, mrk-<hex>
ARN_KINDS = {
    "iam_principal": (IAM_PRINCIPAL_ARN, "arn:aws:iam::123456789012:role/platform-admins"),
    "oidc_provider": (OIDC_PROVIDER_ARN,
                      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
    "kms_key": (KMS_KEY_ARN, "arn:aws:kms:us-east-1:123456789012:key/<key id>"),
}
MAX_ARN = 2048


def arn(value: str, kind: str) -> str:
    """``value`` if it is an ARN of ``kind`` (a key of ``ARN_KINDS``) in a known partition."""
    pattern, example = ARN_KINDS[kind]
    if len(value) > MAX_ARN or not pattern.match(value):
        what = kind.replace("_", " ")
        raise ValueError(f"{_shown(value)} is not an {what} ARN "
                         f"(arn:{'|'.join(PARTITIONS)}:...); fix: give one such as {example}")
    return value


def arn_partition(value: str) -> str:
    """The partition of an ARN that passed ``arn``."""
    return value.split(":", 2)[1]


def region_partition(region: str) -> str:
    """The partition an AWS region is in."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --- OCI image references (github.com/distribution/reference, reference.go) ------------------
# reference := name [":" tag] ["@" digest]; name := [domain "/"] path; domain := host [":" port]
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:]+\])"
DOMAIN = rf"{_HOST}(?::[0-9]{{1,5}})?"
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|[-]+)"
PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_PATH = rf"{PATH_COMPONENT}(?:/{PATH_COMPONENT})*"
TAG = r"[\w][\w.-]{0,127}"
DIGEST = r"sha256:[0-9a-f]{64}"
IMAGE_REFERENCE = re.compile(
    rf"^(?P<name>(?:{DOMAIN}/)?{_PATH})(?::(?P<tag>{TAG}))?(?:@(?P<digest>{DIGEST}))?\Z")
# A registry the kit appends "/<service>:<version>" to: a domain, optionally a path under it.
REGISTRY = re.compile(rf"^{DOMAIN}(?:/{_PATH})?\Z")
IMAGE_DIGEST = re.compile(rf"@{DIGEST}\Z")
MAX_NAME = 255  # the reference grammar's limit on a repository name (domain and path)
MAX_REFERENCE = MAX_NAME + 1 + 128 + 1 + len("sha256:") + 64  # name, tag and digest at most


def image_reference(value: str) -> str:
    """``value`` if it is an OCI image reference: ``[host[:port]/]path[:tag][@sha256:<hex>]``."""
    match = IMAGE_REFERENCE.match(value) if len(value) <= MAX_REFERENCE else None
    if match is None or len(match["name"]) > MAX_NAME:
        raise ValueError(f"{_shown(value)} is not an OCI image reference; fix: write "
                         "[registry[:port]/]repository[:tag][@sha256:<64 hex>], lowercase "
                         "repository, no spaces (e.g. ghcr.io/acme/orders:1.2.0)")
    return value


def registry(value: str) -> str:
    """``value`` if it is an image registry: ``host[:port]`` and optionally a path under it."""
    if len(value) > MAX_NAME or not REGISTRY.match(value):
        raise ValueError(f"{_shown(value)} is not an image registry; fix: write host[:port] "
                         "with an optional lowercase path, no scheme, no trailing '/' (e.g. "
                         "123456789012.dkr.ecr.us-east-1.amazonaws.com or ghcr.io/acme)")
    return value


# --- service versions -----------------------------------------------------------------------
# MAJOR.MINOR.PATCH with an optional pre-release: it is the default image tag and the
# app.kubernetes.io/version label value, so no "+build" (neither admits "+"), at most 63.
VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                     r"(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z-]+)*)?\Z")
MAX_VERSION = 63


def version(value: str) -> str:
    """``value`` if it is a service version (``1.2.3`` or ``1.2.3-rc.1``)."""
    if len(value) > MAX_VERSION or not VERSION.match(value):
        raise ValueError(f"{_shown(value)} is not a version; fix: write MAJOR.MINOR.PATCH with "
                         f"an optional -pre-release, at most {MAX_VERSION} characters "
                         "(e.g. 1.4.0 or 2.0.0-rc.1)")
    return value


def _shown(value: str) -> str:
    """``value`` quoted for a one-line message (long values cut)."""
    return repr(value if len(value) <= 80 else f"{value[:77]}...")


# --- S3 bucket names (general purpose buckets) ----------------------------------------------
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


def s3_bucket(value: str) -> str:
    """``value`` if it is an S3 bucket name (3-63 of a-z 0-9 . -, no '..', not an IP address)."""
    if (not S3_BUCKET.match(value) or ".." in value
            or re.match(r"^[0-9]+(\.[0-9]+){3}\Z", value)):
        raise ValueError(f"{_shown(value)} is not an S3 bucket name; fix: give the bucket "
                         "`marketplace-kit bootstrap` printed (3-63 of a-z, 0-9, '.', '-')")
    return value


# --- DNS names (RFC 1123) and Kubernetes object names ---------------------------------------
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"  # a host name's label: 1-63, no '-' at the ends
# A host the gateway answers: a DNS name, optionally a leading "*." wildcard, or "*" (any host).
HOST = re.compile(rf"^(?:\*|(?:\*\.)?{_LABEL}(?:\.{_LABEL})*)\Z")
MAX_HOST = 253
# A DNS-1123 subdomain: most Kubernetes object names (a Secret's, a KafkaTopic's), at most 253.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
MAX_SUBDOMAIN = 253


def host(value: str) -> str:
    """``value`` if it is a gateway host: ``*``, a DNS name or ``*.`` and a DNS name."""
    if len(value) > MAX_HOST or not HOST.match(value):
        raise ValueError(f"{_shown(value)} is not a host name; fix: write a lowercase DNS name "
                         f"(labels of a-z, 0-9 and '-' up to 63 characters, at most {MAX_HOST} "
                         "in all) with an optional leading '*.', or '*' for any host (e.g. "
                         "shop.example.com or *.example.com)")
    return value


def dns_subdomain(value: str, what: str) -> str:
    """``value`` if it is a DNS-1123 subdomain, the name of a Kubernetes object (``what``)."""
    if len(value) > MAX_SUBDOMAIN or not DNS_SUBDOMAIN.match(value):
        raise ValueError(f"{_shown(value)} is not a {what} name; fix: use lowercase letters, "
                         "digits, '-' and '.', starting and ending with a letter or digit, at "
                         f"most {MAX_SUBDOMAIN} characters (e.g. marketplace-gateway-tls)")
    return value
