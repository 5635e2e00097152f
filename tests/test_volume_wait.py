"""destroy's wait for the EBS volumes, against a real kube-apiserver with a bearer token (a
service account's, from the TokenRequest API, as EKS's are bearer tokens): PersistentVolumes of
the EBS CSI driver with reclaim policy Delete are waited for; others are not; the wait returns
when the provisioner (here the test) deletes the last one, or gives up after its bound with one
line naming the volumes. What only AWS can confirm: that the PV goes only after EC2 accepted
the volume's deletion (the external-provisioner's order)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.kube_api import KubeApi

from marketplace_kit.provision.api_check import ClusterApi
from marketplace_kit.provision.volume_wait import gave_up_line, wait_for_volumes

PVS = "/api/v1/persistentvolumes"


def _pv(name: str, driver: str, reclaim: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": reclaim,
                     "csi": {"driver": driver, "volumeHandle": f"vol-{name}"}}}


def _token(http: httpx.Client) -> str:
    """A token of service account ``destroyer`` allowed to list PersistentVolumes."""
    namespace = "/api/v1/namespaces/default"
    made = http.post(f"{namespace}/serviceaccounts", json={
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "destroyer"}})
    assert made.status_code in (201, 409), made.text
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    for path, body in (
        (f"{rbac}/clusterroles", {"metadata": {"name": "pv-reader"}, "rules": [
            {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["list"]}]}),
        (f"{rbac}/clusterrolebindings", {"metadata": {"name": "pv-reader"}, "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pv-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "destroyer",
                          "namespace": "default"}]})):
        answer = http.post(path, json=body)
        assert answer.status_code in (201, 409), answer.text
    answer = http.post(f"{namespace}/serviceaccounts/destroyer/token", json={
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["status"]["token"])


def _delete(http: httpx.Client, name: str) -> None:
    """As the provisioner's PV deletion ends (no pv-protection controller runs here)."""
    http.patch(f"{PVS}/{name}", json={"metadata": {"finalizers": None}},
               headers={"Content-Type": "application/merge-patch+json"}).raise_for_status()
    assert http.delete(f"{PVS}/{name}").status_code in (200, 202, 404)


@pytest.fixture
def cluster(kube_api: KubeApi) -> Iterator[tuple[ClusterApi, httpx.Client, str]]:
    with kube_api.client() as http:
        api = ClusterApi("shop-eks", kube_api.server,
                         base64.b64encode(kube_api.ca_file.read_bytes()).decode(), "eu-west-1")
        yield api, http, _token(http)
        for pv in http.get(PVS).json()["items"]:
            _delete(http, pv["metadata"]["name"])


def test_waits_for_the_ebs_volumes_then_returns(
    cluster: tuple[ClusterApi, httpx.Client, str],
) -> None:
    api, http, token = cluster
    for pv in (_pv("data-0", "ebs.csi.aws.com", "Delete"), _pv("kept", "ebs.csi.aws.com",
                                                                "Retain"),
               _pv("nfs", "nfs.csi.k8s.io", "Delete")):
        assert http.post(PVS, json=pv).status_code == 201
    timer = threading.Timer(1.0, _delete, (http, "data-0"))
    timer.start()
    left = wait_for_volumes(api, wait_seconds=30, interval=0.2, token=lambda _: token)
    timer.join()
    assert left == []  # the retained and the other driver's volumes are not waited for


def test_gives_up_after_its_bound_with_one_line(
    cluster: tuple[ClusterApi, httpx.Client, str],
) -> None:
    api, http, token = cluster
    assert http.post(PVS, json=_pv("stuck", "ebs.csi.aws.com", "Delete")).status_code == 201
    left = wait_for_volumes(api, wait_seconds=0.5, interval=0.2, token=lambda _: token)
    assert left == ["vol-stuck"]
    line = gave_up_line(left, 0.5)
    assert "\n" not in line and "vol-stuck" in line and "aws ec2 delete-volume" in line
    refused = wait_for_volumes(api, wait_seconds=0, token=lambda _: "not-a-token")
    assert refused is None and "could not list" in gave_up_line(refused, 0)
