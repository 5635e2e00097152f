"""Kubernetes rules the config must follow before the API server sees it: resource quantities
(parsed as Kubernetes parses them, with bounds and request <= limit) and object names.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marketplace_kit.validation import grammars

# Kubernetes quantity grammar: a decimal number, then a binary suffix, a decimal suffix or an
# exponent (k8s.io/apimachinery/pkg/api/resource/quantity.go).
QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
                      r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z")
BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
           "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
           "P": Decimal("1e15"), "E": Decimal("1e18")}
# What one container may ask for: 1 millicore .. 96 cores; 4 MiB .. 768 GiB.
CPU_RANGE = (Decimal("0.001"), Decimal(96))
MEMORY_RANGE = (Decimal(4 * 2**20), Decimal(768 * 2**30))
# DNS-1123 subdomain (KafkaTopic and most object names), at most 63 characters here because
# topic names also become label values.
DNS_SUBDOMAIN = grammars.DNS_SUBDOMAIN
MAX_NAME = 63


def quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``500m`` -> 0.5, ``1Gi`` -> 1073741824)."""
    match = QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None or text != text.strip():
        raise ValueError(f"{text!r} is not a Kubernetes quantity (e.g. 500m, 2, 256Mi, 1Gi)")
    suffix = match["suffix"] or ""
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from None
    if suffix in BINARY:
        return number * BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        exponent = int(suffix[1:])
        if abs(exponent) > 30:
            raise ValueError(f"{text!r}: exponent out of range")
        return number.scaleb(exponent)
    return number * DECIMAL[suffix]


def cpu(text: str) -> Decimal:
    """A CPU quantity in cores, within ``CPU_RANGE``."""
    value = quantity(text)
    low, high = CPU_RANGE
    if not low <= value <= high:
        raise ValueError(f"cpu {text!r} is outside 1m..{high} cores; fix: give e.g. 250m or 1")
    return value


def memory(text: str) -> Decimal:
    """A memory quantity in bytes, within ``MEMORY_RANGE`` (whole bytes: no ``m`` suffix)."""
    value = quantity(text)
    low, high = MEMORY_RANGE
    if value != value.to_integral_value() or not low <= value <= high:
        raise ValueError(f"memory {text!r} is outside 4Mi..768Gi; fix: give e.g. 256Mi or 1Gi")
    return value


def object_name(name: str, what: str, max_length: int = MAX_NAME) -> str:
    """``name`` if it is a DNS-1123 subdomain of at most ``max_length`` characters."""
    if len(name) > max_length or not DNS_SUBDOMAIN.match(name):
        raise ValueError(f"{what} {name!r} is not a valid Kubernetes/Kafka name; fix: use "
                         f"lowercase letters, digits, '-' and single dots between them, at most "
                         f"{max_length} characters")
    return name
