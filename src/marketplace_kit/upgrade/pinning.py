"""The Pins of each step: what runs, then each step's move on top (cumulative), and whether a
re-read state shows a step's move.

A step moves what its id names (``steps.py``: ids are stable): ``chart:NAME`` a chart,
``crds:strimzi`` Strimzi's CRD file, ``kafka:version``/``kafka:metadata`` Kafka,
``istio:canary`` istiod to a new revision beside the old, ``istio:relabel`` the injection label,
``istio:gateway`` the gateway chart, ``istio:remove-old`` the old revision, ``eks:MINOR`` the
control plane, ``addon:NAME@MINOR`` an add-on build, ``nodes:GROUP@MINOR`` a node group. Other
steps (``istio:restart``) move nothing ``up`` deploys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from marketplace_kit.platform.pins import IN_PLACE, Pins
from marketplace_kit.upgrade.running import Running
from marketplace_kit.upgrade.steps import Step
from marketplace_kit.upgrade.targets import Targets


def running_pins(running: Running, targets: Targets) -> Pins:
    """The Pins that deploy what runs (what is not in the state: the target's)."""
    kubernetes = running.kubernetes or targets.kubernetes
    builds = targets.addon_builds.get(kubernetes) or targets.addon_builds[targets.kubernetes]
    istiod = running.releases.get("istiod")
    revision = (running.istio_revision or IN_PLACE) if istiod else targets.istio_revision
    return Pins(
        kubernetes=kubernetes,
        addons={name: running.addons.get(name, build) for name, build in builds.items()},
        charts={name: (running.releases[name].version if name in running.releases
                       else chart.version) for name, chart in targets.charts.items()},
        strimzi_crds=running.strimzi_crds or targets.strimzi,
        kafka=running.kafka or targets.kafka,
        kafka_metadata=running.kafka_metadata,
        node_kubernetes={g.name: g.version for g in running.node_groups if g.version},
        istio_revisions=(revision,),
        istio_injection=revision,
    )


def _chart(pins: Pins, name: str, version: str) -> Pins:
    return replace(pins, charts={**pins.charts, name: version})


def advance(pins: Pins, step_id: str, targets: Targets) -> Pins:
    """``pins`` once step ``step_id`` is done."""
    kind, _, what = step_id.partition(":")
    name, _, minor = what.partition("@")
    new = targets.istio_revision
    if kind == "chart":
        return _chart(pins, name, targets.charts[name].version)
    if step_id == "crds:strimzi":
        return replace(pins, strimzi_crds=targets.strimzi)
    if step_id == "kafka:version":
        return replace(pins, kafka=targets.kafka)
    if step_id == "kafka:metadata":
        return replace(pins, kafka_metadata=None)
    if step_id == "istio:canary":
        kept = tuple(r for r in pins.istio_revisions if r != new)
        return replace(_chart(pins, "istiod", targets.istio), istio_revisions=(*kept, new))
    if step_id == "istio:relabel":
        return replace(pins, istio_injection=new)
    if step_id == "istio:gateway":
        return _chart(pins, "gateway", targets.charts["gateway"].version)
    if step_id == "istio:remove-old":
        return replace(pins, istio_revisions=(new,))
    if kind == "eks":  # the node groups stay where they run (each rolled by its own step)
        return replace(pins, kubernetes=what)
    if kind == "addon":
        return replace(pins, addons={**pins.addons, name: targets.addon_builds[minor][name]})
    if kind == "nodes":
        return replace(pins, node_kubernetes={**pins.node_kubernetes, name: minor})
    return pins


def with_pins(steps: tuple[Step, ...], running: Running, targets: Targets) -> tuple[Step, ...]:
    """``steps``, each with the Pins after it."""
    pins = running_pins(running, targets)
    pinned = []
    for step in steps:
        pins = advance(pins, step.id, targets)
        pinned.append(replace(step, pins=pins))
    return tuple(pinned)


@dataclass(frozen=True)
class Move:
    """One version a step moves, and what a re-read state says runs (None: nothing there)."""

    what: str
    wanted: str | None
    runs: str | None

    @property
    def landed(self) -> bool:
        return self.runs == self.wanted


def moves(before: Pins, after: Pins, running: Running) -> list[Move]:
    """What ``after`` moved from ``before``, each with what ``running`` (a state) shows.

    Istio's revisions and injection label are not read back (the state's reader knows one
    istiod per chart): a step that moves only them shows its istiod chart."""
    found = []
    if after.kubernetes != before.kubernetes:
        found.append(Move("Kubernetes", after.kubernetes, running.kubernetes))
    found += [Move(f"add-on {name}", build, running.addons.get(name))
              for name, build in after.addons.items() if before.addons.get(name) != build]
    found += [Move(f"node group {g.name}", after.node_version(g.name), g.version)
              for g in running.node_groups
              if before.node_version(g.name) != after.node_version(g.name)]
    for name, version in after.charts.items():
        release = running.releases.get(name)
        if before.charts.get(name) != version:
            found.append(Move(f"chart {name}", version, release.version if release else None))
    for what, was, now, runs in (
            ("Strimzi CRDs", before.strimzi_crds, after.strimzi_crds, running.strimzi_crds),
            ("Kafka", before.kafka, after.kafka, running.kafka),
            ("Kafka metadata version", before.kafka_metadata, after.kafka_metadata,
             running.kafka_metadata)):
        if was != now:
            found.append(Move(what, now, runs))
    return found
