"""CRD-first through the real Pulumi engine against a real kube-apiserver, driven by
``upgrade --apply`` itself (``upgrade/apply.py``): the `local` blueprint with the reference
catalog service, first as an earlier Strimzi left it (CRDs of release 0.51.0, v1beta2 their
storage version, the operator's chart at 0.51.0), then the plan made from that stack's state:
``strimzi:v1-storage`` (Strimzi's own v1 conversion, the user's), ``crds:strimzi`` (the
EventBus's ConfigFile moves to 1.2.0's CRD file, v1 the only version served), then
``chart:strimzi-kafka-operator``. Without the conversion, the real apiserver refuses 1.2.0's CRDs
(``status.storedVersions`` holds v1beta2): ``--apply`` stops there with nothing changed. With it
(done here as Strimzi's procedure does it: its conversion tool is not on a registry reachable
here), ``--apply`` moves the CRDs alone (1.2.0's: v1 only, stored v1; the operator's chart still
held at 0.51.0), then the operator's chart; the Kafka and KafkaNodePool objects keep their uids.

Strimzi's CRD files are read from the real-parts folder ``strimzi-crds`` (.ci/parts/crds.sh:
each release's CRDs generated from its Maven artifacts)
through ``DeployInputs.strimzi_crds_mirror``.
Stand-in: no chart registry is reachable here, so the operator's Helm release is not deployed
(the program runs without its charts, see tests/test_engine_platform.py); the release in the
state ``--apply`` reads is the one the same program, planned offline with its charts, registers
under the Pins the stack holds (as tests/test_engine_mesh_revision.py does for Istio's).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest
from support.kube_api import KubeApi
from support.kube_objects import install_crds, yaml_documents
from support.platform_engine import (
    catalog_platform,
    charted_running,
    get,
    no_controllers,
    release_namespaces,
)
from support.real_engine import Engine, deadline, engine, kubernetes_plugin
from support.real_parts import real_part

from marketplace_kit.blueprints.deploy_inputs import DeployInputs, HeldPins, recorded
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.plan import plan_program
from marketplace_kit.platform import versions
from marketplace_kit.platform.pins import kit_pins
from marketplace_kit.provision import operations
from marketplace_kit.provision.errors import ProvisionError
from marketplace_kit.provision.operations import Session
from marketplace_kit.upgrade import apply

__all__ = ["engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
RELEASE = "kubernetes:helm.sh/v3:Release"
OPERATOR = versions.STRIMZI_OPERATOR.name
KAFKAS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kafkas.kafka.strimzi.io"
STRIMZI_KINDS = ("kafkas", "kafkanodepools")


def _earlier_release(mirror: Path) -> str:
    """The Strimzi release in the mirror that is not the pin (the part builds one)."""
    found = sorted(p.name.removeprefix("strimzi-crds-").removesuffix(".yaml")
                   for p in mirror.glob("strimzi-crds-*.yaml"))
    earlier = [v for v in found if v != versions.STRIMZI]
    assert versions.STRIMZI in found and len(earlier) == 1, found
    return earlier[0]


@pytest.fixture
def cluster() -> Iterator[tuple[KubeApi, httpx.Client]]:
    """An apiserver of the test's own with every CRD source installed but Strimzi's (the
    program's ConfigFile applies those)."""
    crds = real_part("crds")
    files = sorted(p for p in crds.rglob("*.yaml") if p.relative_to(crds).parts[0] != "strimzi")
    with KubeApi() as api, api.client() as http:
        install_crds(http, yaml_documents(files))
        yield api, http


def _served(http: httpx.Client) -> list[tuple[str, bool]]:
    crd = get(http, KAFKAS)
    return sorted((v["name"], v["storage"]) for v in crd["spec"]["versions"])


def _objects(http: httpx.Client, ns: str) -> dict[str, str]:
    """Strimzi's custom resources in ``ns``: kind/name -> uid."""
    found = {}
    for kind in STRIMZI_KINDS:
        for item in _once_served(http, f"/apis/kafka.strimzi.io/v1/namespaces/{ns}/{kind}")[
                "items"]:
            found[f"{kind}/{item['metadata']['name']}"] = item["metadata"]["uid"]
    return found


def _once_served(http: httpx.Client, path: str) -> dict[str, Any]:
    """``get`` once the apiserver serves the resource again (429 while a CRD's storage, just
    changed, re-initializes)."""
    deadline = time.monotonic() + 180  # a loaded machine re-initializes slowly
    while time.monotonic() < deadline:
        answer = http.get(path)
        if answer.status_code != 429:
            break
        time.sleep(0.1)
    return get(http, path)


def _restore(http: httpx.Client, path: str, stored: str) -> None:
    """Write the object at ``path`` back until etcd holds a new copy: the apiserver skips a write
    whose encoding equals what is stored, which it is while the CRD's handler still encodes at
    the old storage version (it takes the new one a moment after the CRD changes), so a new
    ``resourceVersion`` is the sign the object is now stored as v1."""
    for _ in range(600):
        current = _once_served(http, path)
        answer = http.put(path, json=current)
        assert answer.status_code in (200, 409), answer.text[:300]  # 409: changed meanwhile
        if answer.status_code == 200 and answer.json()["metadata"]["resourceVersion"] != stored:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} was not stored again in 60 s")


def _convert_to_v1_storage(http: httpx.Client) -> None:
    """Strimzi's v1 conversion, as its procedure does it (its tool is not on a registry reachable
    here): each Strimzi CRD stores v1 (applied by the manager that applied it, so the next apply
    of the CRD file owns the result alone), every custom resource is written back (stored as v1),
    then each CRD's ``status.storedVersions`` is [v1]."""
    crds = get(http, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
    for crd in (c for c in crds if c["spec"]["group"].endswith(".strimzi.io")):
        group = crd["spec"]["group"]
        name = crd["metadata"]["name"]
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        (manager,) = {m["manager"] for m in crd["metadata"]["managedFields"]
                      if m["operation"] == "Apply"}
        for version in crd["spec"]["versions"]:
            version["storage"] = version["name"] == "v1"
        applied = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {k: v for k, v in crd["metadata"].items()
                                if k in ("name", "labels", "annotations")},
                   "spec": crd["spec"]}
        answer = http.patch(path, json=applied, params={"fieldManager": manager, "force": "true"},
                            headers={"content-type": "application/apply-patch+yaml"})
        assert answer.status_code == 200, answer.text[:300]
        plural = crd["spec"]["names"]["plural"]
        for item in _once_served(http, f"/apis/{group}/v1/{plural}")["items"]:
            meta = item["metadata"]
            _restore(http, f"/apis/{group}/v1/namespaces/{meta['namespace']}/{plural}/"
                     f"{meta['name']}", meta["resourceVersion"])
        status = get(http, path)
        status["status"]["storedVersions"] = ["v1"]
        answer = http.put(f"{path}/status", json=status)
        assert answer.status_code == 200, answer.text[:300]


def _program(shop: Engine, inputs: Callable[[], DeployInputs], mirror: Path) -> Callable[[], None]:
    """The platform's program with the inputs ``inputs()`` gives at run time, its charts left
    out (Strimzi's CRDs read from ``mirror``), awaiting no controller."""
    def program() -> None:
        pulumi.runtime.register_resource_transform(no_controllers)
        platform_program(shop.platform, replace(inputs(), charts=False,
                                                strimzi_crds_mirror=str(mirror)))()

    return program


def test_upgrade_apply_plans_the_v1_storage_step_and_the_real_apiserver_holds_it_to_it(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    mirror = real_part("strimzi-crds")
    old = _earlier_release(mirror)
    assert Path(versions.strimzi_crds_url(old, str(mirror))).is_file()
    earlier = replace(kit_pins(), strimzi_crds=old, charts={**kit_pins().charts, OPERATOR: old})
    shop = catalog_platform(engine, "bazaar", service_stacks=False)
    ns = "bazaar"
    release_namespaces(http, plan_program(platform_program(shop.platform, DeployInputs(
        charts=False)), project=ns, stack="local"))
    earlier_kit = _program(shop, lambda: DeployInputs(held=HeldPins(earlier, "", "")), mirror)
    this_kit = _program(shop, recorded, mirror)
    def session(command: str) -> Session:
        return shop.session(command, this_kit)

    monkeypatch.setattr(apply, "_running", charted_running(shop, earlier))
    said: list[str] = []

    with deadline(900, "the earlier kit's Strimzi CRDs, then upgrade --apply's CRD-first steps"):
        first = operations.up(shop.session("up", earlier_kit))
        assert first.result == "succeeded", first
        assert _served(http) == [("v1", False), ("v1beta2", True)]  # 0.51.0's
        before = _objects(http, ns)
        assert sorted({k.split("/")[0] for k in before}) == sorted(STRIMZI_KINDS), before

        plan = apply.stack_plan(session("upgrade"), offline=True).plan
        assert [s.id for s in plan.steps] == ["strimzi:v1-storage", "crds:strimzi",
                                              f"chart:{OPERATOR}"]
        # step 1 is the user's (Strimzi's v1 conversion): --apply says so and goes on; not done,
        # the apiserver refuses step 2's CRDs, and nothing changed
        with pytest.raises(ProvisionError) as refused:
            apply.apply_upgrade(session("upgrade"), 2, said.append, offline=True)
        assert "status.storedVersions" in str(refused.value), refused.value
        assert said[0].startswith("step 1 of 3: Strimzi's custom resources stored as v1"), said
        assert said[1].startswith("  made by you, with Strimzi's v1 API conversion"), said
        assert any(line.startswith("step 2 of 3: Strimzi CRDs") for line in said), said
        assert _served(http) == [("v1", False), ("v1beta2", True)]
        assert _objects(http, ns) == before

        # the conversion done, --apply goes on: the CRDs alone, the operator's chart still held
        _convert_to_v1_storage(http)
        said.clear()
        assert apply.apply_upgrade(session("upgrade"), 2, said.append, offline=True) == \
            "succeeded", said
        held = operations.held_pins(session("upgrade"))
        assert held is not None and held.pins.strimzi_crds == versions.STRIMZI
        assert held.pins.charts[OPERATOR] == old
        assert _served(http) == [("v1", True)]  # 1.2.0's: v1beta2 no longer served
        assert get(http, KAFKAS)["status"]["storedVersions"] == ["v1"]
        assert _objects(http, ns) == before
        said.clear()
        assert apply.apply_upgrade(session("upgrade"), None, said.append, offline=True) == \
            "succeeded", said
        steps = [line for line in said if line.startswith("step ")]
        assert [s.rsplit("  ", 1)[-1] for s in steps] == [f"[chart:{OPERATOR}]"], said
        assert operations.held_pins(session("upgrade")) is None
        assert _served(http) == [("v1", True)] and _objects(http, ns) == before
        assert operations.destroy(session("destroy")).result == "succeeded"
