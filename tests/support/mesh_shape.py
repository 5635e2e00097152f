"""A platform whose mesh runs other istiod revisions than the pins': what an earlier kit left
(in place) or an upgrade's canary (old and new side by side).

The blueprints build the mesh from ``in_cluster.mesh_args``; here its revision fields are set
for the duration of a ``with`` block (plans and inline engine programs run in this process), the
rest of the program unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace

from marketplace_kit.blueprints import in_cluster
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh import ServiceMesh
from marketplace_kit.platform.mesh_revision import IN_PLACE, istio_revision

PINNED = istio_revision(versions.ISTIO)


@contextmanager
def mesh_shape(revisions: tuple[str, ...], injection: str,
               in_place_version: str = versions.ISTIO) -> Iterator[None]:
    """Inside the block, every platform program installs these istiod ``revisions`` and injects
    ``injection`` (``IN_PLACE``: as the kit before revisions did)."""
    original = in_cluster.IN_CLUSTER["mesh"]

    def mesh(ctx: in_cluster.Context) -> ServiceMesh:
        args = replace(in_cluster.mesh_args(ctx), revisions=revisions,
                       injection_revision=injection, in_place_version=in_place_version)
        return ServiceMesh("mesh", args, opts=ctx.opts)

    in_cluster.IN_CLUSTER["mesh"] = mesh
    try:
        yield
    finally:
        in_cluster.IN_CLUSTER["mesh"] = original


def in_place() -> AbstractContextManager[None]:
    """The shape the kit before revisions installed: istiod in place, ``istio-injection``."""
    return mesh_shape((IN_PLACE,), IN_PLACE)
