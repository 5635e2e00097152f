"""On a CI runner the default file backend would lose the stack's state: refuse it there."""

from __future__ import annotations

import os
from collections.abc import Mapping

from marketplace_kit.errors import KitError
from marketplace_kit.provision.settings import given_backend


def refuse_file_backend_in_ci(
    backend: str | None, environ: Mapping[str, str] = os.environ
) -> None:
    """Fail when ``CI=true`` and no backend was given (``--backend`` or ``PULUMI_BACKEND_URL``;
    an explicit one is always taken).

    A CI runner is thrown away after the job: state in the default ``file://`` backend goes
    with it, and the next run would create everything again beside the orphans of this one.
    """
    if given_backend(backend, environ) is None and environ.get("CI", "").strip().lower() == "true":
        raise KitError(
            "CI=true and no --backend (nor PULUMI_BACKEND_URL): the default file backend would "
            "be lost with this runner; "
            "fix: pass --backend s3://BUCKET?region=REGION (`marketplace-kit bootstrap` creates "
            "one), or --backend file://DIR if a local state is really meant"
        )
