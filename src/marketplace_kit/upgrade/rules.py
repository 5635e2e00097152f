"""The order of an upgrade: the rules that turn what runs and the pins into ordered steps.

- In-cluster controllers first (the pins support the target Kubernetes, older releases may
  not), each chart of CRDs before its controller: Karpenter's ``karpenter-crd``, the Prometheus
  operator's ``prometheus-operator-crds``, Strimzi's CRD file; Strimzi's operator before Kafka's
  version, Kafka's version before its metadata version.
- Istio by canary revision: ``base`` (its CRDs), the new istiod revision beside the old (an
  in-place istiod is the revision ``default``), namespaces relabelled to it, their workloads
  restarted, the gateway moved, the old removed; each step only while it is still to do (a
  state half-way through a canary resumes it).
  When the running Kubernetes is older than the pinned Istio supports, the mesh goes last.
- The EKS control plane one minor at a time; after each, the add-on builds pinned for that
  minor, then every node group rolled to it (within its PDBs) at the AMI release pinned for it.
- Node AMIs last: node groups no minor step rolled go to the pinned AMI release and Karpenter's
  alias moves to it, as one step (never by drift).
Durations come from the timeline model's table (``data/durations.yaml``).
"""

from __future__ import annotations

from dataclasses import replace

from marketplace_kit.errors import KitError
from marketplace_kit.estimate.data import Duration, DurationTable
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    INJECTION_LABEL,
    REVISION_LABEL,
    SIDECAR_REVISION_ANNOTATION,
    istiod_release,
    release_revision,
)
from marketplace_kit.provision.api_check import EKS_CLUSTER
from marketplace_kit.provision.teardown import HELM_RELEASE
from marketplace_kit.upgrade.pinning import with_pins
from marketplace_kit.upgrade.running import (
    ADDON,
    CRD,
    DEPLOYMENT,
    NAMESPACE,
    NODE_GROUP,
    NodeGroup,
    Running,
)
from marketplace_kit.upgrade.steps import Step, UpgradePlan
from marketplace_kit.upgrade.targets import Targets, minor_number, minor_path

# Controller chart -> the chart of its CRDs (installed or upgraded first).
CRD_CHARTS = {"karpenter": "karpenter-crd", "kube-prometheus-stack": "prometheus-operator-crds"}
ISTIO_CHARTS = ("base", "istiod", "gateway")
STRIMZI_OPERATOR = "strimzi-kafka-operator"
MAX_UNAVAILABLE_PERCENT = 33  # the node groups' update_config (platform/cluster.py)


def _times(duration: Duration, count: int, what: str) -> Duration:
    """``count`` times the timeline model's ``what``: its create time stands for the step's (an
    estimate, whatever the create time's own basis)."""
    count = max(count, 1)
    each = f"{count} x " if count > 1 else ""
    return Duration(duration.seconds * count, "estimate",
                    f"timeline model: {each}{what}, its create time ({duration.basis}: "
                    f"{duration.source})")


def _chart_step(running: Running, targets: Targets, chart: str, table: DurationTable,
                why: str = "") -> list[Step]:
    pin = targets.charts[chart]
    release = running.releases.get(chart)
    took = _times(table.for_type(HELM_RELEASE), 1, "a Helm release")
    if release is None:
        return [Step(f"chart:{chart}", f"install chart {chart} {pin.version}{why}",
                     (f"Helm release {chart} {pin.version} ({pin.source}); CRDs the controller "
                      "chart installed are adopted (Helm's release labels and annotations set on "
                      "them first)",), took,
                     f"uninstall {chart} with --keep CRDs: the CRDs stay as they were served")]
    if release.version == pin.version:
        return []
    return [Step(f"chart:{chart}", f"chart {chart} {release.version} -> {pin.version}{why}",
                 (f"Helm release {release.name or chart}: chart {release.version} -> "
                  f"{pin.version} ({pin.source})",), took,
                 f"helm rollback {release.name or chart} (chart {release.version})")]


def _controllers(running: Running, targets: Targets, table: DurationTable) -> list[Step]:
    steps: list[Step] = []
    for controller, crds in CRD_CHARTS.items():
        if controller in running.releases:
            steps += _chart_step(running, targets, crds, table, " (CRDs before their controller)")
            steps += _chart_step(running, targets, controller, table)
    return steps


def _major(version: str) -> int:
    return int(version.split(".")[0])


def _strimzi_v1_storage(running: Running, targets: Targets, table: DurationTable) -> Step:
    """Strimzi 1.x's CRDs serve only ``v1``; the apiserver refuses them while any custom resource
    is stored as ``v1beta2`` (the storage version of Strimzi 0.x): they are migrated first, by
    Strimzi's own procedure, not by ``up``."""
    return Step(
        "strimzi:v1-storage", f"Strimzi's custom resources stored as v1 (before the "
        f"{targets.strimzi} CRDs, which serve v1 only)",
        (f"every Strimzi custom resource re-stored as kafka.strimzi.io/v1 and each CRD's "
         f"status.storedVersions set to [v1], under the running {running.strimzi_crds} "
         "operator",),
        _times(table.for_type(CRD), running.strimzi_crd_count, "a CRD"),
        "none needed: Strimzi 0.x serves v1 too",
        made_by=("you, with Strimzi's v1 API conversion (its documentation's 'Upgrading to the "
                 "v1 API'); until then the apiserver refuses the next step's CRDs "
                 "(status.storedVersions holds v1beta2)"))


def _eventbus(running: Running, targets: Targets, table: DurationTable) -> tuple[list[Step],
                                                                                 list[str]]:
    steps: list[Step] = []
    notes: list[str] = []
    if running.strimzi_crds is not None and running.strimzi_crds != targets.strimzi:
        if _major(running.strimzi_crds) == 0 < _major(targets.strimzi):
            steps.append(_strimzi_v1_storage(running, targets, table))
        steps.append(Step(
            "crds:strimzi", f"Strimzi CRDs {running.strimzi_crds} -> {targets.strimzi} (before "
            "the operator)", (f"strimzi-crds-{targets.strimzi}.yaml applied server-side (Helm "
                             "never upgrades CRDs)",),
            _times(table.for_type(CRD), running.strimzi_crd_count, "a CRD"),
            f"re-apply strimzi-crds-{running.strimzi_crds}.yaml (the operator still runs "
            f"{running.strimzi_crds})"))
    if STRIMZI_OPERATOR in running.releases:
        steps += _chart_step(running, targets, STRIMZI_OPERATOR, table, " (before Kafka)")
    if running.kafka is None or running.kafka == targets.kafka:
        return steps, notes
    if running.kafka not in targets.kafka_versions:
        notes.append(f"Kafka {running.kafka} is not among the versions Strimzi {targets.strimzi} "
                     f"runs ({', '.join(targets.kafka_versions)}): move Kafka to one of them "
                     "under the running operator before its step")
    roll = _times(table.awaited_custom_resource("Kafka"), 1, "the Kafka cluster's readiness")
    steps.append(Step(
        "kafka:version", f"Kafka {running.kafka} -> {targets.kafka}",
        (f"Kafka spec.kafka.version {running.kafka} -> {targets.kafka}: Strimzi rolls the "
         f"{running.kafka_brokers or 'broker'} brokers one at a time (min.insync.replicas kept)",),
        roll, f"set spec.kafka.version back to {running.kafka} (possible while the metadata "
        "version is still its)"))
    metadata = running.kafka_metadata or f"{running.kafka}'s default"
    target_minor = ".".join(targets.kafka.split(".")[:2])
    steps.append(Step(
        "kafka:metadata", f"Kafka metadata version {metadata} -> {target_minor}",
        (f"spec.kafka.metadataVersion {running.kafka_metadata or 'unset'} -> left unset: Strimzi "
         f"moves it to Kafka {target_minor}'s default once every broker runs {targets.kafka}",),
        _times(table.awaited_custom_resource("default"), 1, "an operator's reconcile"),
        "none: Kafka does not lower a metadata version (the point of no return of this upgrade)",
        made_by=(f"Strimzi, once every broker runs {targets.kafka} (see it done: `kubectl get "
                 "kafka -A -o jsonpath='{.items[*].status.kafkaMetadataVersion}'`)")))
    return steps, notes


def _revision_name(revision: str) -> str:
    return f"{revision} (in place)" if revision == IN_PLACE else revision


def _mesh(running: Running, targets: Targets, table: DurationTable) -> list[Step]:
    istiods = running.istiod_revisions()
    if not istiods:
        return []
    new = targets.istio_revision
    old = {revision: r for revision, r in istiods.items() if revision != new}
    moved = [ns for ns, revision in running.injected.items() if revision != new]
    stale = [d for d, revision in running.mesh_workloads.items() if revision != new]
    gateway = running.releases.get("gateway")
    gateway_pin = targets.charts["gateway"]
    gateway_moves = gateway is not None and (
        gateway.version != gateway_pin.version or release_revision(gateway.values) != new)
    steps = _chart_step(running, targets, "base", table, " (Istio's CRDs before istiod)")
    helm = _times(table.for_type(HELM_RELEASE), 1, "a Helm release")
    was = ", ".join(f"{_revision_name(r)} (istiod {i.version})" for r, i in old.items()) or new
    if new not in istiods:
        steps.append(Step(
            "istio:canary", f"istiod {targets.istio} as revision {new}, beside {was}",
            (f"Helm release {istiod_release(new)}: chart istiod {targets.istio} with revision "
             f"{new}; {was} keeps serving",), helm,
            f"uninstall {istiod_release(new)} (nothing uses it yet)"))
    back = ", ".join(_revision_name(r) for r in old) or "the revision before"
    if moved:
        names = ", ".join(moved)
        steps.append(Step(
            "istio:relabel", f"namespaces to revision {new}",
            (f"namespaces {names}: {INJECTION_LABEL} removed, {REVISION_LABEL}={new} set",),
            _times(table.for_type(NAMESPACE), len(moved), "a namespace write"),
            f"relabel them back to {back}"))
    if moved or stale:
        where = ", ".join(running.injected) or "none"
        steps.append(Step(
            "istio:restart", f"restart the workloads in {where}",
            (f"the pod template's {SIDECAR_REVISION_ANNOTATION} -> {new} on every Deployment "
             f"there ({len(running.mesh_workloads)} in this state; the service stacks' at their "
             f"next deploy-service): a rolling restart, new pods get the {new} sidecar",),
            _times(table.for_type(DEPLOYMENT), len(running.mesh_workloads),
                   "a Deployment rollout"),
            f"relabel to {back} and restart again", ("pods (rolling, within their PDBs)",)))
    if gateway is not None and gateway_moves:
        steps.append(Step(
            "istio:gateway", f"gateway {gateway.version} -> {gateway_pin.version} (revision "
            f"{new})", (f"Helm release {gateway.name or 'gateway'}: chart {gateway.version} -> "
                        f"{gateway_pin.version} ({gateway_pin.source}), revision {new}",), helm,
            f"helm rollback {gateway.name or 'gateway'} (chart {gateway.version}, "
            f"revision {release_revision(gateway.values)})"))
    if old:
        steps.append(Step(
            "istio:remove-old", f"remove istiod {was}",
            tuple(f"Helm release {i.name or istiod_release(r)} (istiod {i.version}) uninstalled "
                  "once no sidecar reports to it" for r, i in old.items()), helm,
            f"reinstall {was} and relabel back"))
    return steps


def _other_charts(running: Running, targets: Targets, table: DurationTable) -> list[Step]:
    handled = {*CRD_CHARTS, *CRD_CHARTS.values(), *ISTIO_CHARTS, STRIMZI_OPERATOR}
    steps: list[Step] = []
    for chart in sorted(set(running.releases) & set(targets.charts) - handled):
        steps += _chart_step(running, targets, chart, table)
    return steps


def _roll_time(group: NodeGroup, table: DurationTable) -> tuple[int, Duration]:
    """(nodes at a time, the time) of rolling ``group`` within its update config."""
    batch = max(1, group.desired * MAX_UNAVAILABLE_PERCENT // 100)
    batches = -(-group.desired // batch)
    return batch, _times(table.for_type(NODE_GROUP), batches, "a node group's nodes")


def _pinned_release(targets: Targets, minor: str) -> str:
    release = targets.ami_releases.get(minor)
    return (f"AMI release {release} ({targets.ami_release})" if release else
            f"EKS's latest AMI release for it (the kit pins none for {minor})")


def _node_roll(running: Running, targets: Targets, minor: str,
               table: DurationTable) -> list[Step]:
    steps = []
    for group in running.node_groups:
        if group.version == minor:
            continue
        batch, took = _roll_time(group, table)
        steps.append(Step(
            f"nodes:{group.name}@{minor}", f"node group {group.name} {group.version} -> {minor}",
            (f"managed node group {group.name}: Kubernetes {minor}, "
             f"{_pinned_release(targets, minor)} (now: "
             f"{group.release or 'the one the step before took'}); {batch} node(s) at "
             "a time, drained within their PDBs",), took,
            f"roll {group.name} back to {group.version} (release "
            f"{group.release or 'the step before took'}) while the control plane allows its "
            "kubelet", (f"nodes of {group.name}",)))
    return steps


def _addon_steps(current: dict[str, str], targets: Targets, minor: str,
                 table: DurationTable) -> list[Step]:
    steps = []
    for addon, build in targets.addon_builds.get(minor, {}).items():
        old = current.get(addon)
        if old is None or old == build:
            continue
        default = ", AWS's default" if addon in targets.addon_defaults.get(minor, ()) else ""
        why = "pinned" if minor == targets.kubernetes else "the build"
        steps.append(Step(f"addon:{addon}@{minor}", f"add-on {addon} {old} -> {build}",
                          (f"EKS add-on {addon}: {old} -> {build} ({why} for {minor}{default})",),
                          _times(table.for_type(ADDON), 1, "an EKS add-on"),
                          f"update {addon} back to {old}"))
        current[addon] = build
    return steps


def _cluster(running: Running, targets: Targets, table: DurationTable) -> tuple[list[Step],
                                                                                list[str]]:
    if running.kubernetes is None:
        return [], []
    if minor_number(running.kubernetes) > minor_number(targets.kubernetes):
        raise KitError(f"the cluster runs Kubernetes {running.kubernetes}, newer than the "
                       f"platform's {targets.kubernetes}: EKS cannot downgrade; fix: set "
                       f"cluster.kubernetes_version: \"{running.kubernetes}\" or use a kit "
                       "that pins it")
    current = dict(running.addons)
    steps = _node_roll(running, targets, running.kubernetes, table)
    notes = []
    running_nodes = replace(running, node_groups=tuple(
        replace(g, version=running.kubernetes) for g in running.node_groups))
    for minor in minor_path(running.kubernetes, targets.kubernetes):
        steps.append(Step(f"eks:{minor}", f"EKS control plane -> {minor}",
                          (f"aws:eks/cluster version {minor} (one minor at a time)",),
                          _times(table.for_type(EKS_CLUSTER), 1, "an EKS control plane"),
                          "none in place: EKS cannot downgrade a control plane; the cluster runs "
                          f"on at {minor} (stop here and fix forward)"))
        if minor not in targets.addon_builds:
            notes.append(f"Kubernetes {minor}: the add-on builds' source has none for it; the "
                         "add-ons keep their builds through this minor (check `aws eks "
                         f"describe-addon-versions --kubernetes-version {minor}`)")
        else:
            steps += _addon_steps(current, targets, minor, table)
        steps += _node_roll(running_nodes, targets, minor, table)
        running_nodes = replace(running_nodes, node_groups=tuple(
            replace(g, version=minor, release=targets.ami_releases.get(minor))
            for g in running_nodes.node_groups))
    if not minor_path(running.kubernetes, targets.kubernetes):
        steps += _addon_steps(current, targets, targets.kubernetes, table)
    return steps, notes


def _ami_step(running: Running, targets: Targets, table: DurationTable) -> list[Step]:
    """Node AMIs to the pinned release, as one step after the control plane's: the node groups
    no minor step rolls (a minor step rolls to the pinned release of its minor) and Karpenter's
    alias (its nodes drift to it within the NodePools' budgets)."""
    if running.kubernetes is None:
        return []
    rolled = bool(minor_path(running.kubernetes, targets.kubernetes))
    pinned = targets.ami_releases.get(targets.kubernetes)
    groups = [g for g in running.node_groups if pinned and not rolled
              and g.version == running.kubernetes and g.release != pinned]
    alias = running.ami_alias not in (None, targets.ami_alias)
    if not groups and not alias:
        return []
    changes: list[str] = []
    replaces: list[str] = []
    rollback: list[str] = []
    seconds = 0.0
    for group in groups:
        batch, took = _roll_time(group, table)
        seconds += took.seconds
        changes.append(f"managed node group {group.name}: AMI release {group.release or 'unknown'}"
                       f" -> {pinned}; {batch} node(s) at a time, drained within their PDBs")
        replaces.append(f"nodes of {group.name}")
        rollback.append(f"node group {group.name} back to release {group.release or 'unknown'}")
    if alias:
        seconds += sum(s.duration.seconds for s in table.scale_out if s.new_node)
        changes.append(f"EC2NodeClass amiSelectorTerms alias {running.ami_alias} -> "
                       f"{targets.ami_alias}: Karpenter drifts its nodes within the NodePools' "
                       "disruption budgets")
        replaces.append("Karpenter's nodes (drifted)")
        rollback.append(f"the alias back to {running.ami_alias}")
    return [Step("nodes:ami", f"node AMIs -> release {targets.ami_release}", tuple(changes),
                 Duration(seconds, "estimate", "timeline model: each node group's roll, its "
                          "create time per batch, and a new node on the scale-out path for "
                          "Karpenter's drift (per node, within the budgets)"),
                 "; ".join(rollback), tuple(replaces))]


def plan_upgrade(running: Running, targets: Targets, table: DurationTable,
                 source: str) -> UpgradePlan:
    """The ordered steps from ``running`` to ``targets`` (none when it already runs them)."""
    in_cluster = _controllers(running, targets, table)
    bus, bus_notes = _eventbus(running, targets, table)
    mesh = _mesh(running, targets, table)
    cluster, cluster_notes = _cluster(running, targets, table)
    oldest = targets.istio_kubernetes[0]
    mesh_last = running.kubernetes is not None and minor_number(running.kubernetes) < \
        minor_number(oldest)
    ordered = [*in_cluster, *bus, *([] if mesh_last else mesh),
               *_other_charts(running, targets, table), *cluster, *(mesh if mesh_last else []),
               *_ami_step(running, targets, table)]
    return UpgradePlan(source, running.kubernetes, targets.kubernetes, targets.addon_source,
                       with_pins(tuple(ordered), running, targets),
                       (*targets.notes, *bus_notes, *cluster_notes))
