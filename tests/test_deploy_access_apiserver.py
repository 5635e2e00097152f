"""The deploy roles' Kubernetes access, asked of a real kube-apiserver (issue 31).

The reference marketplace's deploy-access objects (each service's Role, RoleBinding,
ValidatingAdmissionPolicy and its binding, from the platform plan with ``service_stacks``) are
applied for real; each service's deploy identity is the user and groups its planned EKS access
entry maps the deploy role to. The apiserver's RBAC answers SubjectAccessReviews for it, and its
admission chain (the ValidatingAdmissionPolicy's CEL, compiled and run by the apiserver) answers
dry-run writes the admin makes while impersonating it:

- list/watch/get on what pulumi-kubernetes' awaiters watch (``AWAITERS``) in the namespace;
- no Secret listed, watched or read, neither the platform's (database passwords, signing keys)
  nor another service's, and nothing in any other namespace;
- create/get/update/patch/delete of each of its own objects, and its own objects pass admission;
- another service's objects: no update/patch/delete (RBAC), no create (admission).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.deploy_plan import (
    AWAITERS,
    deploy_identity,
    platform_plan,
    service_graph,
    services,
)
from support.incluster import kube_object
from support.kube_access import may
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, deployable

ACCESS_KINDS = {"Role", "RoleBinding", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding"}
WRITES = ("create", "get", "update", "patch", "delete")


def _access_objects() -> list[dict[str, Any]]:
    _, graph = platform_plan()
    return [o for r in graph if r.name.startswith("deploy-") and (o := kube_object(r))
            and o["kind"] in ACCESS_KINDS]


def _workload_namespace() -> str:
    (namespace,) = {o["metadata"]["namespace"] for o in _access_objects() if o["kind"] == "Role"}
    return str(namespace)


def _platform_objects(kind: str) -> list[dict[str, Any]]:
    _, graph = platform_plan()
    return [o for r in graph if (o := kube_object(r)) and o["kind"] == kind]


def _own(name: str) -> list[dict[str, Any]]:
    return [deployable(o) for r in service_graph(name) if (o := kube_object(r))]


def _where(discovery: Discovery, obj: dict[str, Any]) -> tuple[str, str]:
    """(API group, resource) of an object, from the apiserver's discovery."""
    resource = discovery.resource(obj["apiVersion"], obj["kind"])
    assert resource is not None, obj["kind"]
    api = obj["apiVersion"]
    return (api.split("/")[0] if "/" in api else ""), resource.name


def _create(http: httpx.Client, discovery: Discovery, obj: dict[str, Any]) -> httpx.Response:
    """A dry-run create (POST: RBAC's ``create`` on the collection, admission's CREATE)."""
    resource = discovery.resource(obj["apiVersion"], obj["kind"])
    assert resource is not None and resource.namespaced, obj["kind"]
    url = f"{resource.path}/namespaces/{obj['metadata']['namespace']}/{resource.name}"
    return http.post(url, params={"dryRun": "All"}, json=obj)


def _refused_by_policy(answer: httpx.Response, name: str) -> bool:
    """Refused by that service's admission policy (422: its validations give no reason)."""
    message = answer.json().get("message", "") if answer.status_code == 422 else ""
    return f"ValidatingAdmissionPolicy 'deploy-{name}' with binding" in message


@pytest.fixture(scope="module")
def cluster(crd_cluster: httpx.Client, kube_api: KubeApi) -> Iterator[httpx.Client]:
    """The CRD cluster with the workload namespace and every service's access objects stored,
    once the apiserver enforces the admission policies (it loads them asynchronously)."""
    discovery = Discovery(crd_cluster)
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": _workload_namespace()}}
    for obj in [namespace, *_access_objects()]:
        answer = apply(crd_cluster, discovery, obj, dry_run=False)
        assert answer.status_code < 300, answer.text
    first, second = services()[:2]
    probe = next(o for o in _own(second) if o["kind"] == "ConfigMap")
    deadline = time.monotonic() + 30.0
    with kube_api.client(as_user=deploy_identity(first).user,
                         as_groups=deploy_identity(first).groups) as http:
        while not _refused_by_policy(answer := _create(http, discovery, probe), first):
            assert time.monotonic() < deadline, f"the admission policy is not enforced after " \
                                                f"30 s: {answer.status_code} {answer.text[:300]}"
            time.sleep(0.2)
    yield crd_cluster


@pytest.fixture(scope="module")
def discovery(cluster: httpx.Client) -> Discovery:
    return Discovery(cluster)


def test_each_deploy_identity_is_a_group_of_its_own_and_nothing_else_binds_it() -> None:
    subjects = {name: deploy_identity(name) for name in services()}
    groups = [g for s in subjects.values() for g in s.groups]
    assert len(groups) == len(set(groups)) == len(subjects)
    bindings = [o for o in _access_objects() if o["kind"] == "RoleBinding"]
    assert sorted(s["name"] for b in bindings for s in b["subjects"]) == sorted(groups)


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_lists_and_watches_what_the_awaiters_watch(
    name: str, cluster: httpx.Client, kube_api: KubeApi,
) -> None:
    subject, namespace = deploy_identity(name), _workload_namespace()
    for group, resource in sorted(AWAITERS):
        for verb in ("list", "watch", "get"):
            assert may(cluster, subject, verb, group, resource, namespace), \
                (verb, group, resource)
    # the same through the front door: the admin impersonating it lists pods in the namespace
    with kube_api.client(as_user=subject.user, as_groups=subject.groups) as http:
        assert http.get(f"/api/v1/namespaces/{namespace}/pods").status_code == 200
        assert http.get(f"/apis/apps/v1/namespaces/{namespace}/deployments",
                        params={"watch": "true", "timeoutSeconds": "1"}).status_code == 200
        assert http.get(f"/api/v1/namespaces/{namespace}/secrets").status_code == 403


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_reads_no_secret(name: str, cluster: httpx.Client) -> None:
    subject, namespace = deploy_identity(name), _workload_namespace()
    for verb in ("list", "watch", "get"):
        assert not may(cluster, subject, verb, "", "secrets", namespace), verb
    secrets = [*_platform_objects("Secret"),
               *(o for other in services() if other != name for o in _own(other)
                 if o["kind"] == "Secret")]
    assert {"user-signing-keys", f"{name}-db"} <= {s["metadata"]["name"] for s in secrets}
    for secret in secrets:
        for verb in ("get", "watch", "update", "delete"):
            assert not may(cluster, subject, verb, "", "secrets",
                           secret["metadata"]["namespace"], secret["metadata"]["name"]), \
                (verb, secret["metadata"])


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_reaches_no_other_namespace(name: str, cluster: httpx.Client) -> None:
    subject = deploy_identity(name)
    others = {"default", "kube-system", *(o["metadata"]["name"] for o in
                                           _platform_objects("Namespace"))}
    others.discard(_workload_namespace())
    assert len(others) >= 4
    for namespace in sorted(others):
        for verb, group, resource in (("list", "", "pods"), ("watch", "apps", "deployments"),
                                      ("create", "apps", "deployments"),
                                      ("get", "", "secrets"), ("create", "", "configmaps")):
            assert not may(cluster, subject, verb, group, resource, namespace), \
                (namespace, verb, resource)


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_writes_its_own_objects(
    name: str, cluster: httpx.Client, discovery: Discovery, kube_api: KubeApi,
) -> None:
    subject, own = deploy_identity(name), _own(name)
    assert own
    for obj in own:
        group, resource = _where(discovery, obj)
        for verb in WRITES:
            assert may(cluster, subject, verb, group, resource, obj["metadata"]["namespace"],
                       obj["metadata"]["name"]), (verb, obj["kind"], obj["metadata"]["name"])
    # and each passes admission as that identity, as the provider sends it (server-side apply)
    with kube_api.client(as_user=subject.user, as_groups=subject.groups) as http:
        for obj in own:
            answer = apply(http, discovery, obj, dry_run=True)
            assert answer.status_code < 300, (obj["kind"], obj["metadata"]["name"],
                                              answer.text[:600])


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_cannot_touch_another_service_s_objects(
    name: str, cluster: httpx.Client, discovery: Discovery, kube_api: KubeApi,
) -> None:
    subject = deploy_identity(name)
    with kube_api.client(as_user=subject.user, as_groups=subject.groups) as http:
        for other in services():
            if other == name:
                continue
            for obj in _own(other):
                group, resource = _where(discovery, obj)
                for verb in ("update", "patch", "delete"):
                    assert not may(cluster, subject, verb, group, resource,
                                   obj["metadata"]["namespace"], obj["metadata"]["name"]), \
                        (verb, other, obj["kind"], obj["metadata"]["name"])
                # RBAC cannot name what is created: the apiserver's admission refuses it
                assert may(cluster, subject, "create", group, resource,
                           obj["metadata"]["namespace"], obj["metadata"]["name"])
                answer = _create(http, discovery, obj)
                assert _refused_by_policy(answer, name), \
                    (other, obj["kind"], obj["metadata"]["name"], answer.text[:300])
                assert apply(http, discovery, obj, dry_run=True).status_code == 403


@pytest.mark.parametrize("name", services())
def test_a_deploy_identity_cannot_mount_another_secret(
    name: str, cluster: httpx.Client, discovery: Discovery, kube_api: KubeApi,
) -> None:
    """Its own Deployment, but mounting or reading another service's database Secret, or
    running as another service's account: refused by the apiserver's admission (the same
    object without it passes above)."""
    subject = deploy_identity(name)
    (deployment,) = [o for o in _own(name) if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    other = next(o for o in services() if o != name)
    volume = {"name": "loot", "secret": {"secretName": f"{other}-db"}}
    env = {"name": "LOOT", "valueFrom": {"secretKeyRef": {"name": f"{other}-db",
                                                          "key": "password"}}}
    variants = [
        {**pod, "volumes": [*pod.get("volumes", []), volume]},
        {**pod, "containers": [{**pod["containers"][0],
                                "env": [*pod["containers"][0].get("env", []), env]},
                               *pod["containers"][1:]]},
        {**pod, "serviceAccountName": other},
    ]
    with kube_api.client(as_user=subject.user, as_groups=subject.groups) as http:
        for variant in variants:
            stolen = {**deployment, "spec": {**deployment["spec"], "template": {
                **deployment["spec"]["template"], "spec": variant}}}
            answer = apply(http, discovery, stolen, dry_run=True)
            assert _refused_by_policy(answer, name), answer.text[:300]
    # the admin (in no deploy group) is not the policy's concern
    assert apply(cluster, discovery, stolen, dry_run=True).status_code < 300
