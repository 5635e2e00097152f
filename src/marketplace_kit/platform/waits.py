"""What a service's deploy waits for, and for how long at most (one definition: the resources'
``customTimeouts`` and the line ``deploy-service`` prints come from here).

pulumi-kubernetes waits on a Deployment until its rollout completes and on a Service until its
endpoints target ready pods (10 minutes each by default); every delete waits until the object
is gone. A Secret is never awaited (``pulumi.com/skipAwait``): its delete would open an
informer on every Secret of the namespace, which the deploy role may not list.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


@dataclass(frozen=True)
class Wait:
    """One bounded wait.

    Attributes:
        kind: The Kubernetes kind awaited.
        what: What the provider waits for.
        minutes: The most it waits (create, update and delete alike).
    """

    kind: str
    what: str
    minutes: int

    def timeouts(self) -> pulumi.CustomTimeouts:
        """The resource option bounding this wait."""
        bound = f"{self.minutes}m"
        return pulumi.CustomTimeouts(create=bound, update=bound, delete=bound)


ROLLOUT = Wait("Deployment", "every replica of the new version ready", 10)
ENDPOINTS = Wait("Service", "endpoints on ready pods", 5)
WAITS = (ROLLOUT, ENDPOINTS)


def wait_line(service: str) -> str:
    """The one line a deploy of ``service`` prints before it starts waiting."""
    parts = [f"{w.kind} {service}: {w.what} (at most {w.minutes} min)" for w in WAITS]
    return f"{service}: waits for " + "; ".join(parts)
