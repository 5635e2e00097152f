"""``destroy``: wait until the EBS volumes the platform's claims made are deleted, before the EBS
CSI driver goes.

Deleting a claim only starts its volume's deletion: the CSI driver's provisioner then deletes
the EBS volume and, once AWS accepted that, the PersistentVolume object. The driver (an EKS
add-on) is deleted after every claim holder (``platform/claims.py``: dependencies), but the
engine does not wait for that asynchronous work; removed too early, the driver leaves billed
volumes behind. So after the in-cluster release phase ``destroy`` lists the cluster's
PersistentVolumes with the same credentials the Kubernetes provider uses, and waits (bounded)
until none made by the EBS CSI driver with reclaim policy ``Delete`` remains.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from marketplace_kit.provision.api_check import ClusterApi, cluster_tls, get_token

EBS_CSI_DRIVER = "ebs.csi.aws.com"
WAIT_VAR = "MARKETPLACE_KIT_VOLUME_WAIT_SECONDS"
DEFAULT_WAIT = 300.0
Listing = Callable[[ClusterApi, str], "list[str] | None"]


def ebs_volumes(persistent_volumes: Mapping[str, Any]) -> list[str]:
    """The EBS volume IDs (``csi.volumeHandle``) of a PersistentVolumeList the driver will
    delete: made by the EBS CSI driver, reclaim policy ``Delete``."""
    found = []
    for pv in persistent_volumes.get("items") or []:
        spec = pv.get("spec") or {}
        csi = spec.get("csi") or {}
        if csi.get("driver") == EBS_CSI_DRIVER and spec.get(
                "persistentVolumeReclaimPolicy") == "Delete":
            found.append(str(csi.get("volumeHandle") or pv.get("metadata", {}).get("name")))
    return sorted(found)


def listed_volumes(api: ClusterApi, token: str, timeout: float = 10.0) -> list[str] | None:
    """``ebs_volumes`` of ``GET /api/v1/persistentvolumes``; None when the API does not answer."""
    request = urllib.request.Request(api.endpoint.rstrip("/") + "/api/v1/persistentvolumes",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        tls = cluster_tls(api.ca_data)
        with urllib.request.urlopen(request, timeout=timeout, context=tls) as r:
            return ebs_volumes(json.loads(r.read()))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_for_volumes(
    api: ClusterApi,
    *,
    wait_seconds: float,
    interval: float = 10.0,
    token: Callable[[ClusterApi], str] = get_token,
    listing: Listing = listed_volumes,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str] | None:
    """Return once no EBS CSI volume is left ([]), or after ``wait_seconds`` what is left (None:
    the API never answered)."""
    deadline = clock() + wait_seconds
    while True:
        left = listing(api, token(api))
        if left == [] or clock() + interval > deadline:
            return left
        sleep(interval)


def gave_up_line(left: list[str] | None, seconds: float) -> str:
    """The one warning when the wait ends with volumes left (or the API never answered)."""
    if left is None:
        return (f"could not list the cluster's PersistentVolumes for {seconds:.0f} s: the EBS CSI "
                "driver is removed without knowing its volumes are deleted; check: aws ec2 "
                "describe-volumes --filters Name=tag-key,Values=kubernetes.io/created-for/pvc/name")
    shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
    return (f"{len(left)} EBS volumes still not deleted after {seconds:.0f} s ({shown}); the EBS "
            "CSI driver is removed now: delete them with `aws ec2 delete-volume --volume-id ID` "
            f"(wait longer: {WAIT_VAR})")


def wait_seconds_from_env(environ: Mapping[str, str] = os.environ) -> float:
    """How long to wait for the volumes (``MARKETPLACE_KIT_VOLUME_WAIT_SECONDS``, default 300)."""
    try:
        return max(0.0, float(environ.get(WAIT_VAR, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT
