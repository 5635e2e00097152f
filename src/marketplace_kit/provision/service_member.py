"""``deploy-service``'s target: a service directory of the configured platform, or one line.

A directory is deployed as the stack of the service its ``service.yaml`` names, so it must be
that service's own directory among the platform's (a directory outside the services folder, or
a copy of another service's, would replace that service's workload with whatever it holds), and
the answers it was generated with (``.marketplace-kit.yaml``, when it has them) must name the
same service (a copied directory renamed only in its ``service.yaml`` still holds the other
service's code).
"""

from __future__ import annotations

from pathlib import Path

from marketplace_kit.config import SERVICE_FILE, Platform, ServiceSpec, load_service
from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import ANSWERS_FILE, answers_from_file


def platform_service(platform: Platform, directory: Path, verb: str = "deploy") -> ServiceSpec:
    """The platform's service whose directory ``directory`` is; a KitError otherwise (saying
    nothing was done: ``verb`` is deploy-service's or destroy-service's)."""
    file = directory / SERVICE_FILE
    if not file.is_file():
        raise KitError(f"{directory}: no {SERVICE_FILE}; fix: give the directory of a service")
    where = platform.services_dir or "its services_dir"
    if platform.source is None:
        raise KitError(f"{directory}: no marketplace.yaml names the platform it belongs to; fix: "
                       "run beside the platform's marketplace.yaml or pass --config")
    mine = next((f for f in platform.service_files.values()
                 if f.parent.resolve() == directory.resolve()), None)
    if mine is None:
        name = load_service(file).name
        known = platform.service_files.get(name)
        what = (f"a copy of {name}, whose directory is {known.parent}" if known is not None
                else "not one of its services")
        raise KitError(f"{directory}: not a service directory of the platform in "
                       f"{platform.source} ({what}); refused, nothing was {verb}ed; fix: {verb} "
                       f"a service directory in {where}")
    spec = next(s for s in platform.services if platform.service_files.get(s.name) == mine)
    answers = directory / ANSWERS_FILE
    if answers.is_file():
        recorded = answers_from_file(answers).name
        if recorded != spec.name:
            raise KitError(f"{directory}: its {ANSWERS_FILE} records the service {recorded!r} but "
                           f"its {SERVICE_FILE} names {spec.name!r} (a copy of {recorded}?); "
                           f"refused, nothing was {verb}ed; fix: generate the service with "
                           "`marketplace-kit new-service`, or correct the name")
    return spec
