"""The Pins of each step: what runs, then each step's move on top (cumulative), and whether a
re-read state shows a step's move.

A step moves what its id names (``steps.py``: ids are stable): ``chart:NAME`` a chart,
``crds:strimzi`` Strimzi's CRD file, ``kafka:version``/``kafka:metadata`` Kafka,
``eks:MINOR`` the control plane, ``addon:NAME@MINOR`` an add-on build, ``nodes:GROUP@MINOR`` a
node group (to the AMI release pinned for the minor), ``nodes:ami`` the node groups' AMI
release and Karpenter's alias. Istio by revision (``mesh_revision.py``): ``istio:canary``
installs the new revision beside the old (the injection stays), ``istio:relabel`` moves the
injection, and with it the gateway's revision and the mesh Deployments' pod templates (so
``istio:restart`` and a gateway step that moves no chart land in the relabel's ``up``),
``istio:gateway`` the gateway chart, ``istio:remove-old`` keeps the new revision only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    SIDECAR_REVISION_ANNOTATION,
    release_revision,
    revision_version,
    sidecar_annotations,
)
from marketplace_kit.platform.pins import UNSET, Pins, released_charts
from marketplace_kit.upgrade.running import Running
from marketplace_kit.upgrade.steps import Step
from marketplace_kit.upgrade.targets import Targets


def _oldest_first(revision: str) -> tuple[int, ...]:
    """Revisions in install order: in place first, then by the Istio version they stand for."""
    version = revision_version(revision)
    return (-1,) if version is None else tuple(int(p) for p in version.split("."))


def _mesh_pins(running: Running, targets: Targets) -> tuple[tuple[str, ...], str, str | None]:
    """The istiod revisions, the injection and the in-place istiod's version that run (without
    an istiod in the state: the injection the namespaces have, else the target's)."""
    istiods = running.istiod_revisions()
    injection = next(iter(running.injected.values()), None) or (
        next(iter(istiods)) if len(istiods) == 1 else targets.istio_revision)
    revisions = sorted({*istiods, injection}, key=_oldest_first)
    in_place = istiods.get(IN_PLACE)
    version = (in_place.version if in_place else versions.ISTIO) if IN_PLACE in revisions \
        else None
    return tuple(revisions), injection, version


def running_pins(running: Running, targets: Targets) -> Pins:
    """The Pins that deploy what runs (what is not in the state: the target's)."""
    kubernetes = running.kubernetes or targets.kubernetes
    builds = targets.addon_builds.get(kubernetes) or targets.addon_builds[targets.kubernetes]
    revisions, injection, in_place = _mesh_pins(running, targets)
    return Pins(
        kubernetes=kubernetes,
        addons={name: running.addons.get(name, build) for name, build in builds.items()},
        charts={name: running.releases[name].version if name in running.releases else version
                for name, version in released_charts(targets.charts).items()},
        strimzi_crds=running.strimzi_crds or targets.strimzi,
        kafka=running.kafka or targets.kafka,
        kafka_metadata=running.kafka_metadata,
        node_kubernetes={g.name: g.version for g in running.node_groups if g.version},
        node_releases={g.name: g.release or UNSET for g in running.node_groups},
        karpenter_ami_alias=running.ami_alias or targets.ami_alias,
        istio_revisions=revisions,
        istio_injection=injection,
        istio_in_place=in_place,
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
    if step_id == "istio:canary":  # the new istiod beside the old; the injection stays
        kept = tuple(r for r in pins.istio_revisions if r != new)
        return replace(pins, istio_revisions=(*kept, new))
    if step_id in ("istio:relabel", "istio:restart"):  # the gateway follows the injection
        return replace(pins, istio_injection=new)
    if step_id == "istio:gateway":
        return replace(_chart(pins, "gateway", targets.charts["gateway"].version),
                       istio_injection=new)
    if step_id == "istio:remove-old":
        return replace(pins, istio_revisions=(new,), istio_injection=new, istio_in_place=None)
    if kind == "eks":  # the node groups stay where they run (each rolled by its own step)
        return replace(pins, kubernetes=what)
    if kind == "addon":
        return replace(pins, addons={**pins.addons, name: targets.addon_builds[minor][name]})
    if step_id == "nodes:ami":  # the groups at the target minor to its pinned release
        return replace(pins, karpenter_ami_alias=targets.ami_alias, node_releases={
            g: r for g, r in pins.node_releases.items()
            if pins.node_version(g) != targets.kubernetes})
    if kind == "nodes":
        return replace(pins, node_kubernetes={**pins.node_kubernetes, name: minor},
                       node_releases={**pins.node_releases,
                                      name: targets.ami_releases.get(minor, UNSET)})
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


def _one(values: Mapping[str, str | None]) -> str | None:
    """What several objects show: their one value, else each object's."""
    found = set(values.values())
    if len(found) == 1:
        return found.pop()
    return ", ".join(f"{what}={value or 'none'}" for what, value in values.items()) or None


def _istiods(revisions: dict[str, str]) -> str:
    return ", ".join(f"{r} (istiod {v})" for r, v in sorted(revisions.items()))


def mesh_moves(pins: Pins, running: Running) -> list[Move]:
    """What ``pins``' injection makes, each with what ``running`` shows: every injected
    namespace's revision, the mesh Deployments' pod-template revision, the gateway's."""
    injection = pins.istio_injection
    found = [Move("namespaces' sidecar injection", injection, _one(running.injected))]
    if running.mesh_workloads:
        wanted = sidecar_annotations(injection).get(SIDECAR_REVISION_ANNOTATION)
        found.append(Move("mesh Deployments' sidecar revision", wanted,
                          _one(running.mesh_workloads)))
    gateway = running.releases.get("gateway")
    if gateway is not None:
        found.append(Move("gateway revision", injection, release_revision(gateway.values)))
    return found


def moves(before: Pins, after: Pins, running: Running, step_id: str = "") -> list[Move]:
    """What ``after`` moved from ``before``, each with what ``running`` (a state) shows; for an
    Istio step also what its injection makes (which may have landed with an earlier step's
    ``up``: ``istio:restart`` and the gateway's revision with ``istio:relabel``'s)."""
    found = []
    if after.kubernetes != before.kubernetes:
        found.append(Move("Kubernetes", after.kubernetes, running.kubernetes))
    found += [Move(f"add-on {name}", build, running.addons.get(name))
              for name, build in after.addons.items() if before.addons.get(name) != build]
    for g in running.node_groups:
        if before.node_version(g.name) != after.node_version(g.name):
            found.append(Move(f"node group {g.name}", after.node_version(g.name), g.version))
        ami = after.node_release(g.name)
        if ami is not None and before.node_release(g.name) != ami:
            found.append(Move(f"node group {g.name} AMI release", ami, g.release))
    if after.karpenter_ami_alias != before.karpenter_ami_alias:
        found.append(Move("Karpenter's AMI alias", after.karpenter_ami_alias, running.ami_alias))
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
    if after.istiod_versions() != before.istiod_versions():
        found.append(Move("istiod revisions", _istiods(after.istiod_versions()), _istiods(
            {r: i.version for r, i in running.istiod_revisions().items()}) or None))
    if after.istio_injection != before.istio_injection or step_id.startswith("istio:"):
        found += mesh_moves(after, running)
    return found
