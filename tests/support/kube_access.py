"""Asking the test Kubernetes API (`support.kube_api`) what a user may do: a SubjectAccessReview,
answered by the apiserver's own authorizers (RBAC here), as for a request of that user."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@dataclass(frozen=True)
class Subject:
    """A user and its groups, as the authenticator hands them to the authorizer (an
    authenticated user is always in ``system:authenticated`` too)."""

    user: str
    groups: tuple[str, ...]


def may(http: httpx.Client, subject: Subject, verb: str, group: str, resource: str,
        namespace: str, name: str = "") -> bool:
    """Whether the apiserver would authorize ``subject``'s request (``name`` "": the verb on
    every object of the kind, as a list or watch asks)."""
    attributes = {"verb": verb, "group": group, "resource": resource, "namespace": namespace}
    if name:
        attributes["name"] = name
    answer = http.post(REVIEWS, json={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": subject.user, "groups": [*subject.groups, "system:authenticated"],
                 "resourceAttributes": attributes}})
    answer.raise_for_status()
    status = answer.json()["status"]
    assert "evaluationError" not in status, status
    return bool(status.get("allowed"))
