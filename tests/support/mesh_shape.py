"""A platform whose mesh runs other istiod revisions than the pins': what an earlier kit left
(in place) or an upgrade's canary (old and new side by side), planned through the program's own
mechanism for it: the Pins a stack in the middle of an upgrade holds (``DeployInputs.held``).
"""

from __future__ import annotations

from dataclasses import replace

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS, DeployInputs, HeldPins
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import IN_PLACE, istio_revision
from marketplace_kit.platform.pins import kit_pins

PINNED = istio_revision(versions.ISTIO)


def mesh_inputs(revisions: tuple[str, ...], injection: str, kubernetes: str = versions.KUBERNETES,
                in_place_version: str = versions.ISTIO) -> DeployInputs:
    """The plan's inputs with the kit's pins but these istiod ``revisions`` installed and
    ``injection`` injected (``IN_PLACE``: as the kit before revisions did)."""
    pins = replace(kit_pins(kubernetes), istio_revisions=revisions, istio_injection=injection,
                   istio_in_place=in_place_version if IN_PLACE in revisions else None)
    return replace(PLAN_INPUTS, held=HeldPins(pins, "", ""))
