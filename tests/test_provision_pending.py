"""What the kit says about an interrupted run and a held lock, from the engine's own formats
(apitype.DeploymentV3's pending_operations; pkg/backend/diy/lock.go's lock error)."""

from __future__ import annotations

from marketplace_kit.provision.failures import lock_holder
from marketplace_kit.provision.pending import (
    interrupted,
    pending_creates,
    pending_operations,
)
from marketplace_kit.provision.progress import Progress

URN = "urn:pulumi:local::shop::pulumi-python:dynamic/cloud:Resource::step-{}"
DEPLOYMENT = {"resources": [], "pending_operations": [
    {"resource": {"urn": URN.format(1), "type": "pulumi-python:dynamic/cloud:Resource"},
     "type": "creating"},
    {"resource": {"urn": URN.format(0), "type": "pulumi-python:dynamic/cloud:Resource"},
     "type": "deleting"},
]}


def test_pending_operations_and_the_creates_a_later_run_keeps() -> None:
    assert pending_operations(DEPLOYMENT) == [("creating", URN.format(1)),
                                              ("deleting", URN.format(0))]
    assert pending_creates(DEPLOYMENT) == [URN.format(1)]
    assert pending_operations({"resources": []}) == [] == pending_operations(None)


def test_the_interruption_line_says_what_was_done_and_what_is_pending() -> None:
    progress = Progress("up", total=5)
    progress.done.update({URN.format(0)})
    line = str(interrupted("up", "up", progress, True, pending_operations(DEPLOYMENT)))
    assert line == (
        "up interrupted (Ctrl-C): the engine stopped at once (a second Ctrl-C); 1 of 5 changes "
        "made; pending in the state: creating step-1, deleting step-0; fix: run `marketplace-kit "
        "up` again to finish (it clears what was left pending, refreshes, and goes on)")


def test_the_lock_holder_from_the_engines_message() -> None:
    stderr = (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`.\n"
        "  s3://shop-state/.pulumi/locks/organization/shop/local/1f.json: created by "
        "ci@runner-7 (pid 4242) at 2026-12-07T05:30:00Z"
    )
    assert lock_holder(stderr) == " (held by ci@runner-7, pid 4242, since 2026-12-07T05:30:00Z)"
    assert lock_holder("error: something else") == ""
