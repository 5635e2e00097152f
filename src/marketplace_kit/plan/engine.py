"""Run a Pulumi program function offline and return its resource graph.

The program is the very function that ``up`` hands to the Automation API: the plan is what
``up`` would register.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from marketplace_kit.plan import fakes
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.plan.recorder import ResourceMocks, run_under_mocks

STACK_REFERENCE = "pulumi:pulumi:StackReference"


SSM_PARAMETER = "aws:ssm/getParameter:getParameter"


def plan_program(
    program: Callable[[], object],  # None, a coroutine (async programs) or ignored (runpy's dict)
    *,
    project: str = "marketplace",
    stack: str = "plan",
    region: str = "us-east-1",
    references: Mapping[str, Mapping[str, Any]] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> ResourceGraph:
    """Run ``program`` under the SDK mocks and record every resource it registers.

    ``references`` maps a stack name (as given to ``pulumi.StackReference``) to its outputs: a
    program that reads another stack plans against those (e.g. the platform plan's outputs);
    ``parameters`` maps an SSM parameter's name to the value ``aws.ssm.get_parameter`` reads.
    """
    known = dict(references or {})

    def new_resource(
        type_: str, name: str, inputs: dict[str, Any], import_id: str
    ) -> tuple[str, dict[str, Any]]:
        if type_ == STACK_REFERENCE:
            stack_name = str(inputs.get("name") or import_id)
            if stack_name not in known:
                raise KeyError(f"plan: no outputs given for the stack reference {stack_name!r}")
            return stack_name, {"name": stack_name, "outputs": dict(known[stack_name]),
                                "secretOutputNames": []}
        resource_id, state = fakes.new_resource(type_, name, inputs, region)
        return import_id or resource_id, state

    def call(token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == SSM_PARAMETER:
            name = str(args.get("name"))
            if name not in (parameters or {}):
                raise KeyError(f"plan: no value given for the SSM parameter {name!r}")
            return {"name": name, "value": (parameters or {})[name], "type": "String",
                    "id": name, "arn": name, "version": 1, "insecureValue": ""}
        return fakes.call(token, args, region)

    def run() -> Awaitable[None] | None:  # an async program's coroutine is the engine's to run
        result = program()
        return result if inspect.isawaitable(result) else None

    outputs: dict[str, Any] = {}
    registered = run_under_mocks(run, ResourceMocks(new_resource, call), project=project,
                                 stack=stack, outputs=outputs)
    return ResourceGraph(registered, outputs)
