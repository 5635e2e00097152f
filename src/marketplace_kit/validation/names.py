"""The service-name rule, one definition for ``service.yaml`` (plan, up) and ``new-service``.

A name is a DNS-1123 label of at most 32 characters, and its Python package (``-`` -> ``_``)
must not shadow a standard-library module or one the generated service imports: a service
named ``json`` could be planned but never generated or run.
"""

from __future__ import annotations

import re
import sys

SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?\Z")
# Top-level modules a generated service imports: its package must not shadow them.
DEPENDENCY_MODULES = frozenset(
    {"fastapi", "uvicorn", "pydantic", "pydantic_settings", "asyncpg", "aiokafka", "starlette",
     "prometheus_client", "opentelemetry", "httpx", "pytest", "tests", "src"}
)


def shadowed_module(name: str) -> str | None:
    """The module the service's package would shadow (None: none)."""
    package = name.replace("-", "_")
    if package in DEPENDENCY_MODULES or package in sys.stdlib_module_names:
        return package
    return None


def check_service_name(name: str) -> str:
    """``name`` if it is a valid service name; else ValueError with the fix."""
    if not SERVICE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a DNS-1123 label; fix: use lowercase letters, digits and '-', "
            "starting with a letter, at most 32 characters (e.g. order-history)"
        )
    shadowed = shadowed_module(name)
    if shadowed is not None:
        raise ValueError(f"name {name!r} would shadow the Python module {shadowed!r}; fix: "
                         "choose another name (e.g. add a suffix such as -service)")
    return name
