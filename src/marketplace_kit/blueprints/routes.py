"""The gateway's route table, defined once: the ApiGateway (cluster), each service's own stack,
and the local front door of ``marketplace-kit dev`` all build their routes here."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.platform.gateway import OpenRoute, Route, RoutePolicy


@dataclass(frozen=True)
class RouteTable:
    """Every route of the gateway, the policy each gets and the gateway's rate limit."""

    routes: tuple[Route, ...]
    policy: RoutePolicy
    rate_limit_per_second: int


def route_of(spec: ServiceSpec) -> Route:
    """A service's route: its prefix, port and public routes."""
    return Route(spec.name, spec.route_prefix, spec.port,
                 tuple(OpenRoute.parse(r) for r in spec.public_routes))


def route_table(platform: Platform) -> RouteTable:
    """The platform's gateway routes, as the ApiGateway applies them."""
    return RouteTable(
        routes=tuple(route_of(s) for s in platform.services),
        policy=RoutePolicy(),
        rate_limit_per_second=platform.config.gateway.rate_limit_per_second,
    )
