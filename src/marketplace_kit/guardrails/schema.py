"""Schema validation of every rendered Kubernetes object.

Built-in kinds: ``kubernetes-validate`` in strict mode (unknown fields fail) at the pinned
Kubernetes version. Istio kinds: the ``cloudcoil-models-istio`` models, with unknown fields
detected by comparing the object to what the model keeps. Strimzi kinds: the kit's own strict
models (``platform/strimzi_models.py``). Kinds with no schema here are listed as notes. Given a
cache directory, objects validated before are not validated again (``schema_cache``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from marketplace_kit.guardrails import schema_cache
from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.guardrails.schema_cache import Verdict
from marketplace_kit.platform import versions
from marketplace_kit.render.manifests import Manifest

RULE = "schema"


def _builtin(group: str) -> bool:
    return group == "" or "." not in group or group.endswith(".k8s.io")


def _unknown_fields(given: Any, kept: Any, path: str = "") -> list[str]:
    """Keys of ``given`` that the model dropped (it ignores unknown fields instead of failing)."""
    if isinstance(given, dict) and isinstance(kept, dict):
        found = []
        for key, value in given.items():
            here = f"{path}.{key}" if path else str(key)
            if key not in kept:
                found.append(here)
            else:
                found += _unknown_fields(value, kept[key], here)
        return found
    if isinstance(given, list) and isinstance(kept, list):
        return [u for g, k in zip(given, kept, strict=False) for u in _unknown_fields(g, k, path)]
    return []


def _istio_model(m: Manifest) -> type[BaseModel] | None:
    module = f"cloudcoil.models.istio.{m.group.split('.')[0]}.{m.api_version.split('/')[-1]}"
    try:
        model = getattr(importlib.import_module(module), m.kind, None)
    except ModuleNotFoundError:
        return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def problem(m: Manifest) -> str | None:
    """Why an object does not match its schema; None when it does. KeyError: no schema here."""
    if _builtin(m.group):
        import kubernetes_validate
        from kubernetes_validate.utils import SchemaNotFoundError

        try:
            kubernetes_validate.validate(m.object, versions.KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            return str(exc.message)
        except SchemaNotFoundError:
            raise KeyError(m.kind) from None
        return None
    if m.group.endswith("istio.io"):
        model = _istio_model(m)
        if model is None:
            raise KeyError(m.kind)
        try:
            kept = model.model_validate(m.object).model_dump(by_alias=True, exclude_none=True)
        except ValidationError as exc:
            return str(exc.errors()[0]["msg"])
        unknown = _unknown_fields(m.object, kept)
        return f"unknown fields: {', '.join(unknown)}" if unknown else None
    if m.group == "kafka.strimzi.io":
        from marketplace_kit.platform import strimzi_models

        if m.kind not in strimzi_models.MODELS:
            raise KeyError(m.kind)
        try:
            strimzi_models.validate(m.object)
        except ValidationError as exc:
            first = exc.errors()[0]
            return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        return None
    raise KeyError(m.kind)


def verdict(m: Manifest) -> Verdict:
    """Whether the object's kind has a schema here, and why the object does not match it."""
    try:
        return Verdict(True, problem(m))
    except KeyError:
        return Verdict(False)


def verdicts(manifests: Sequence[Manifest], cache: Path | None) -> list[Verdict]:
    """Every object's verdict, read from ``cache`` when these objects were validated before."""
    key = schema_cache.key(manifests) if cache is not None else None
    if cache is None or key is None:
        return [verdict(m) for m in manifests]
    found = schema_cache.load(cache, key, len(manifests))
    if found is None:
        found = [verdict(m) for m in manifests]
        schema_cache.save(cache, key, found)
    return found


def schema_valid(ctx: CheckContext) -> Iterator[Finding]:
    """Every rendered object matches the schema of its kind."""
    skipped: set[str] = set()
    found = verdicts([m for _, m in ctx.objects], ctx.schema_cache)
    for (r, m), v in zip(ctx.objects, found, strict=True):
        if not v.schema:
            skipped.add(f"{m.api_version}/{m.kind}")
        elif v.problem:
            yield finding(r, RULE, f"{m.kind} does not match its schema: {v.problem}",
                          "correct the field named (see the kind's API reference)")
    if skipped:
        ctx.notes.append(f"not schema-validated (no schema shipped): {', '.join(sorted(skipped))}")
