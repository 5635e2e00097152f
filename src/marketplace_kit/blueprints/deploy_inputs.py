"""What only a deployment run knows (not ``marketplace.yaml``): passed to the program by ``up``.

``up`` and ``preview`` find the address they run from (for ``cluster.endpoint_access: deployer``)
and read, from the stack's state, the creator-admin flag an existing EKS cluster was created with
(``bootstrapClusterCreatorAdminPermissions`` is ForceNew: a kit upgrade keeps it). ``up`` records
these in the stack's config (``marketplace-kit:*``) and a program run without inputs of its own
(refresh, destroy's targeted run, another machine) reads them back (``recorded``), so it
registers the same program; ``plan`` uses ``PLAN_INPUTS``.

``upgrade --apply`` records the versions a stack in the middle of an upgrade holds
(``UPGRADE_PINS_KEY``: ``HeldPins`` as JSON, written before each step and removed when the last
one lands); ``up`` and ``preview`` read them back, so they keep those versions instead of
moving everything to the kit's pins at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from marketplace_kit.errors import KitError
from marketplace_kit.platform.pins import Pins, kit_pins

CONFIG_NAMESPACE = "marketplace-kit"
DEPLOYER_CIDR_KEY = f"{CONFIG_NAMESPACE}:deployerCidr"
LIFT_PROTECTION_KEY = f"{CONFIG_NAMESPACE}:liftDeletionProtection"
CREATOR_BOOTSTRAP_KEY = f"{CONFIG_NAMESPACE}:clusterCreatorBootstrap"
CHARTS_KEY = f"{CONFIG_NAMESPACE}:charts"
STRIMZI_CRDS_MIRROR_KEY = f"{CONFIG_NAMESPACE}:strimziCrdsMirror"
UPGRADE_PINS_KEY = f"{CONFIG_NAMESPACE}:upgradePins"
# What the offline plan shows where `up` puts the deployer's address (TEST-NET-2, RFC 5737).
PLAN_DEPLOYER_CIDR = "198.51.100.10/32"


@dataclass(frozen=True)
class HeldPins:
    """The versions a stack in the middle of an upgrade holds, and the step that comes next."""

    pins: Pins
    done: str  # the step that landed (or is landing), e.g. "1 of 13: Kafka 4.2.1 -> 4.3.1"
    next: str  # the step after it, one line

    def to_value(self) -> str:
        """The stack config value (JSON)."""
        return json.dumps({"pins": self.pins.to_dict(), "done": self.done, "next": self.next},
                          sort_keys=True)

    @classmethod
    def from_value(cls, text: str) -> HeldPins:
        """Read ``to_value``'s JSON; a one-line KitError naming the key otherwise."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KitError(f"stack config {UPGRADE_PINS_KEY}: not JSON ({exc.msg}); fix: run "
                           "`marketplace-kit upgrade --apply` again (it rewrites it)") from None
        if not isinstance(data, dict):
            data = {}
        return cls(Pins.from_dict(data.get("pins"), f"stack config {UPGRADE_PINS_KEY}"),
                   str(data.get("done", "")), str(data.get("next", "")))

    def line(self, stack: str) -> str:
        """The one line ``up`` says about it."""
        return (f"stack {stack!r} is in the middle of an upgrade: up keeps the versions it holds "
                f"(step {self.done} done); next: {self.next} (marketplace-kit upgrade --apply)")


@dataclass(frozen=True)
class DeployInputs:
    """Inputs of one engine run beyond the platform config."""

    deployer_cidr: str | None = None  # the public address `up` runs from, as a /32
    lift_deletion_protection: bool = False  # the user confirmed a destroy of protected stores
    # the existing cluster's recorded bootstrapClusterCreatorAdminPermissions (ForceNew): True on
    # clusters an earlier kit created with it, kept so that no kit upgrade replaces the cluster
    creator_bootstrap: bool = False
    # False: the add-ons' Helm charts (and Strimzi's CRD file) are installed separately, by
    # another stage; nothing is downloaded and the platform's own objects depend on nothing for
    # them (a cluster that reaches no chart registry; the real-engine test's kube-apiserver)
    charts: bool = True
    # where Strimzi's CRD files are read (a folder or URL holding strimzi-crds-<release>.yaml;
    # applied then even without charts); None: Strimzi's release assets on GitHub
    strimzi_crds_mirror: str | None = None
    # the versions a stack in the middle of `upgrade --apply` holds (None: the kit's pins)
    held: HeldPins | None = None

    def pins(self, kubernetes: str) -> Pins:
        """The versions this run deploys, for a platform configured at ``kubernetes``."""
        return self.held.pins if self.held is not None else kit_pins(kubernetes)

    def to_config(self) -> dict[str, str]:
        """The stack config entries that record these inputs."""
        config = {LIFT_PROTECTION_KEY: "true" if self.lift_deletion_protection else "false",
                  CREATOR_BOOTSTRAP_KEY: "true" if self.creator_bootstrap else "false"}
        if not self.charts:
            config[CHARTS_KEY] = "false"
        if self.strimzi_crds_mirror is not None:
            config[STRIMZI_CRDS_MIRROR_KEY] = self.strimzi_crds_mirror
        if self.deployer_cidr:
            config[DEPLOYER_CIDR_KEY] = self.deployer_cidr
        if self.held is not None:
            config[UPGRADE_PINS_KEY] = self.held.to_value()
        return config

    @classmethod
    def from_config(cls, config: dict[str, str]) -> DeployInputs:
        """The inputs recorded in a stack's config."""
        return cls(
            deployer_cidr=config.get(DEPLOYER_CIDR_KEY) or None,
            lift_deletion_protection=config.get(LIFT_PROTECTION_KEY) == "true",
            creator_bootstrap=config.get(CREATOR_BOOTSTRAP_KEY) == "true",
            charts=config.get(CHARTS_KEY) != "false",
            strimzi_crds_mirror=config.get(STRIMZI_CRDS_MIRROR_KEY) or None,
            held=HeldPins.from_value(config[UPGRADE_PINS_KEY]) if config.get(
                UPGRADE_PINS_KEY) else None,
        )


PLAN_INPUTS = DeployInputs(deployer_cidr=PLAN_DEPLOYER_CIDR)


def recorded() -> DeployInputs:
    """The inputs ``up`` recorded in this stack's config, read inside a running program."""
    import pulumi

    config = pulumi.Config(CONFIG_NAMESPACE)
    keys = (DEPLOYER_CIDR_KEY, LIFT_PROTECTION_KEY, CREATOR_BOOTSTRAP_KEY, CHARTS_KEY,
            STRIMZI_CRDS_MIRROR_KEY, UPGRADE_PINS_KEY)
    values = {key: config.get(key.split(":", 1)[1]) for key in keys}
    return DeployInputs.from_config({key: value for key, value in values.items() if value})
