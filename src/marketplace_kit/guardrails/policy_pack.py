"""The guardrails as a Pulumi policy pack, for ``pulumi up --policy-pack``.

Each rule of ``RULES`` becomes one stack validation policy; an adapter turns the policy
engine's resources into the plan's ``PlannedResource`` graph, so the very same rule functions
judge the real deployment. Requires the ``policy`` extra (``pip install marketplace-kit[policy]``).

To use it, make a directory with a ``PulumiPolicy.yaml`` (``runtime: python``) and a
``__main__.py`` that calls :func:`main`, then ``pulumi up --policy-pack <dir>``. Set the pack's
config ``production: true`` for the production-only rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.secret import Secret

from marketplace_kit.guardrails import RULES, Rule, run_checks
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK

PACK_NAME = "marketplace-kit-guardrails"


def _plain(value: Any) -> Any:
    """Policy property values as plain data; secrets masked as the plan masks them."""
    if isinstance(value, Secret):
        return SECRET_MASK
    target = value["__target"] if _proxied(value) else value  # the raw data, secrets marked
    if isinstance(target, Mapping):
        return {str(k): _plain(v) for k, v in target.items()}
    if isinstance(target, Sequence) and not isinstance(target, str | bytes):
        return [_plain(v) for v in target]
    return value


def _proxied(value: Any) -> bool:
    return type(value).__name__.endswith("SecretsProxy")


def planned_resource(resource: PolicyResource) -> PlannedResource:
    """One policy resource as a plan resource."""
    custom = resource.provider is not None or resource.resource_type.startswith("pulumi:providers:")
    return PlannedResource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        parent=resource.parent.urn if resource.parent is not None else None,
        dependencies=tuple(d.urn for d in resource.dependencies),
        provider=resource.provider.urn if resource.provider is not None else None,
        inputs=_plain(resource.props),
        custom=custom,
    )


def graph_of(args: StackValidationArgs) -> ResourceGraph:
    """The stack's resources as a plan graph."""
    return ResourceGraph([planned_resource(r) for r in args.resources])


def validator(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation function that runs one rule and reports its findings."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        production = bool(args.get_config().get("production", False))
        for f in run_checks(graph_of(args), production=production, rules=[rule]).findings:
            report_violation(f"{f.resource}: {f.message}; fix: {f.fix}", f.urn)

    return validate


def policies() -> list[StackValidationPolicy]:
    """One mandatory policy per rule."""
    schema = PolicyConfigSchema(
        properties={"production": {"type": "boolean", "default": False}}
    )
    return [
        StackValidationPolicy(
            name=rule.id,
            description=rule.title,
            validate=validator(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=schema,
        )
        for rule in RULES
    ]


def main() -> None:  # pragma: no cover - runs inside the Pulumi policy engine
    """Serve the pack (call from the pack directory's ``__main__.py``)."""
    PolicyPack(
        name=PACK_NAME, policies=list(policies()), enforcement_level=EnforcementLevel.MANDATORY
    )
