"""A service stack's offline plan: its program answered with the platform plan's outputs.

Above both programs: the platform program (``program``) and the service program
(``service_stack``) are peers that never import each other.
"""

from __future__ import annotations

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.blueprints.projects import (
    contract_parameter,
    platform_stack_name,
    service_project,
)
from marketplace_kit.blueprints.service_stack import service_program
from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.contract import platform_outputs
from marketplace_kit.plan import plan_program
from marketplace_kit.plan.graph import ResourceGraph


def plan_service(
    platform: Platform, spec: ServiceSpec, platform_plan: ResourceGraph | None = None
) -> ResourceGraph:
    """Plan one service's stack offline: the reference answers with the platform plan's outputs."""
    graph = platform_plan if platform_plan is not None else plan_platform(platform)
    name = platform_stack_name(platform)
    parameter = contract_parameter(platform, platform.config.blueprint, spec)
    parameters = {}
    if parameter:  # what the platform publishes for this service (compose.publish_contract)
        parameters[parameter] = platform_outputs.service_document(
            graph.outputs[platform_outputs.OUTPUT], spec.name,
            str(graph.outputs.get(platform_outputs.KUBECONFIG) or ""))
    return plan_program(
        service_program(spec, name, parameter),
        project=service_project(platform, spec),
        stack=platform.config.blueprint,
        region=platform.config.region,
        references={name: graph.outputs},
        parameters=parameters,
    )
