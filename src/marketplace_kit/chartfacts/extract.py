"""Facts from one release's rendered documents: workloads (replicas, requests, limits, volumes),
the Prometheus selectors, the Secret and ConfigMap keys read from objects the chart does not
render, images, CRDs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from marketplace_kit.chartfacts.render import Rendered

POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# prometheus-operator custom resources that become StatefulSets (the operator renders them).
OPERATED_KINDS = {"Prometheus": "prometheus", "Alertmanager": "alertmanager"}
SELECTORS = ("ruleSelector", "ruleNamespaceSelector", "serviceMonitorSelector",
             "serviceMonitorNamespaceSelector", "podMonitorSelector",
             "podMonitorNamespaceSelector")
# istiod's ConfigMap (``-<revision>`` appended for a revision's): what every sidecar is made from
INJECTOR = "istio-sidecar-injector"


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    kind = doc["kind"]
    if kind == "Pod":
        spec = doc.get("spec")
    elif kind == "CronJob":
        spec = _get(doc, "spec", "jobTemplate", "spec", "template", "spec")
    else:
        spec = _get(doc, "spec", "template", "spec")
    return spec if isinstance(spec, dict) else {}


def _resources(container: dict[str, Any]) -> dict[str, Any]:
    resources = container.get("resources") or {}
    return {"requests": {k: str(v) for k, v in (resources.get("requests") or {}).items()},
            "limits": {k: str(v) for k, v in (resources.get("limits") or {}).items()}}


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for field, init in (("initContainers", True), ("containers", False)):
        for c in spec.get(field) or []:
            entry = {"name": c.get("name"), "image": str(c.get("image", "")), **_resources(c)}
            if init:
                entry["init"] = True
            found.append(entry)
    return found


def _claim(template: dict[str, Any]) -> dict[str, Any]:
    return {"name": _get(template, "metadata", "name") or "",
            "size": str(_get(template, "spec", "resources", "requests", "storage") or ""),
            "storage_class": _get(template, "spec", "storageClassName")}


def _hook(doc: dict[str, Any]) -> str | None:
    hook = _get(doc, "metadata", "annotations", "helm.sh/hook")
    return str(hook) if hook else None


def _workload(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    kind = doc["kind"]
    spec = doc.get("spec") or {}
    replicas: int | None
    if kind == "DaemonSet":
        replicas = None  # one pod per node
    elif kind in ("Job", "CronJob", "Pod"):
        replicas = 1
    else:
        replicas = int(spec.get("replicas", 1))
    return {
        "kind": kind,
        "name": _get(doc, "metadata", "name"),
        "namespace": _get(doc, "metadata", "namespace") or namespace,
        "replicas": replicas,
        "containers": _containers(_pod_spec(doc)),
        "volumes": [_claim(t) for t in spec.get("volumeClaimTemplates") or []],
        "hook": _hook(doc),
        "node_selector": dict(_pod_spec(doc).get("nodeSelector") or {}),
    }


def _operated(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A Prometheus or Alertmanager: the StatefulSet its operator makes (main container only;
    ``shards`` multiply a Prometheus' replicas)."""
    spec = doc.get("spec") or {}
    replicas = int(spec.get("replicas", 1)) * int(spec.get("shards", 1) or 1)
    template = _get(spec, "storage", "volumeClaimTemplate")
    container = {"name": OPERATED_KINDS[doc["kind"]], "image": str(spec.get("image", "")),
                 **_resources(spec)}
    return {
        "kind": doc["kind"],
        "name": _get(doc, "metadata", "name"),
        "namespace": _get(doc, "metadata", "namespace") or namespace,
        "replicas": replicas,
        "containers": [container],
        "volumes": [_claim(template)] if isinstance(template, dict) else [],
        "hook": None,
        "node_selector": dict(spec.get("nodeSelector") or {}),
    }


def workloads(docs: list[Rendered], namespace: str) -> list[dict[str, Any]]:
    """Every workload a release starts, with its HPA minimum where one targets it."""
    found = []
    minimums = {(_get(d.doc, "spec", "scaleTargetRef", "kind"),
                 _get(d.doc, "spec", "scaleTargetRef", "name")):
                int(_get(d.doc, "spec", "minReplicas") or 1)
                for d in docs if d.doc["kind"] == "HorizontalPodAutoscaler"}
    for d in docs:
        kind = d.doc["kind"]
        if kind in POD_KINDS:
            entry = _workload(d.doc, namespace)
        elif kind in OPERATED_KINDS:
            entry = _operated(d.doc, namespace)
        else:
            continue
        minimum = minimums.get((kind, entry["name"]))
        if minimum is not None:
            entry["hpa_min_replicas"] = minimum
        found.append(entry)
    return sorted(found, key=lambda w: (w["kind"], w["name"]))


def claims(docs: list[Rendered]) -> list[dict[str, Any]]:
    """PersistentVolumeClaims the release renders by themselves (one volume each)."""
    return sorted((_claim(d.doc) for d in docs if d.doc["kind"] == "PersistentVolumeClaim"),
                  key=lambda c: c["name"])


def prometheus(docs: list[Rendered], namespace: str) -> list[dict[str, Any]]:
    """Each Prometheus the release renders: where it runs and what it selects (None: unset)."""
    found = []
    for d in docs:
        if d.doc["kind"] != "Prometheus":
            continue
        spec = d.doc.get("spec") or {}
        found.append({"name": _get(d.doc, "metadata", "name"),
                      "namespace": _get(d.doc, "metadata", "namespace") or namespace,
                      **{s: spec.get(s) for s in SELECTORS}})
    return sorted(found, key=lambda p: p["name"])


def _refs(spec: dict[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    """(kind, name, key or None for the whole object, optional) of a pod spec's references."""
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for env in c.get("env") or []:
            for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = _get(env, "valueFrom", field)
                if isinstance(ref, dict):
                    yield kind, str(ref.get("name")), str(ref.get("key")), bool(ref.get("optional"))
        for source in c.get("envFrom") or []:
            for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref = source.get(field)
                if isinstance(ref, dict):
                    yield kind, str(ref.get("name")), None, bool(ref.get("optional"))
    for volume in spec.get("volumes") or []:
        sources = [volume, *list(_get(volume, "projected", "sources") or [])]
        for source in sources:
            for field, kind, name_key in (("secret", "Secret", "secretName"),
                                          ("configMap", "ConfigMap", "name")):
                ref = source.get(field)
                if not isinstance(ref, dict):
                    continue
                name = ref.get(name_key) or ref.get("name")
                items = ref.get("items") or []
                optional = bool(ref.get("optional"))
                if not items:
                    yield kind, str(name), None, optional
                for item in items:
                    yield kind, str(name), str(item.get("key")), optional


def reads(docs: list[Rendered], namespace: str) -> list[dict[str, Any]]:
    """Secret and ConfigMap keys the release's pods read from objects it does not render."""
    own = {(d.doc["kind"], _get(d.doc, "metadata", "name")) for d in docs
           if d.doc["kind"] in ("Secret", "ConfigMap")}
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for d in docs:
        if d.doc["kind"] not in POD_KINDS:
            continue
        workload = f"{d.doc['kind']}/{_get(d.doc, 'metadata', 'name')}"
        for kind, name, key, optional in _refs(_pod_spec(d.doc)):
            if (kind, name) in own:
                continue
            entry = found.setdefault((kind, name, key or "", workload), {
                "kind": kind, "name": name, "namespace": namespace, "key": key,
                "optional": optional, "workload": workload})
            entry["optional"] = entry["optional"] and optional
    return [found[k] for k in sorted(found)]


def images(workload_list: list[dict[str, Any]]) -> list[str]:
    """Every image the release's workloads run (sorted, once each)."""
    return sorted({c["image"] for w in workload_list for c in w["containers"] if c["image"]})


def crds(docs: list[Rendered]) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions the release installs, and whether from ``crds/``."""
    return sorted(({"name": _get(d.doc, "metadata", "name"),
                    "from": "crds" if d.from_crds_folder else "templates"}
                   for d in docs if d.doc["kind"] == "CustomResourceDefinition"),
                  key=lambda c: c["name"])


def sidecar(docs: list[Rendered]) -> dict[str, Any] | None:
    """The requests and limits istiod's injector gives every sidecar (its ``values``)."""
    for d in docs:
        name = str(_get(d.doc, "metadata", "name"))
        if d.doc["kind"] == "ConfigMap" and (name == INJECTOR or name.startswith(f"{INJECTOR}-")):
            values = json.loads(str(_get(d.doc, "data", "values") or "{}"))
            found = _get(values, "global", "proxy")
            if isinstance(found, dict):
                return _resources(found)
    return None


def release_facts(docs: list[Rendered], namespace: str) -> dict[str, Any]:
    """All the facts of one rendered release."""
    found = workloads(docs, namespace)
    facts = {"workloads": found, "claims": claims(docs), "prometheus": prometheus(docs, namespace),
             "reads": reads(docs, namespace), "images": images(found), "crds": crds(docs)}
    injected = sidecar(docs)
    if injected is not None:
        facts["sidecar"] = injected
    return facts
