"""The kit's real program as the fake `pulumi`'s program (its ``command`` mode): run offline under
the SDK mocks with the stack config the kit recorded (``DeployInputs.from_config``: the held
upgrade Pins among them), printed as the fake's program spec.

    python pinned_program.py MARKETPLACE_YAML CACHE_DIR [EARLIER_PINS_JSON]

EARLIER_PINS_JSON, while the file exists and the config holds no Pins, stands for an earlier kit
whose pins those were (the state an upgrade starts from). Specs are cached per config in
CACHE_DIR (a plan per engine operation would double the test's time).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path


def main(config_file: str, cache_dir: str, earlier: str | None = None) -> None:
    from marketplace_kit.blueprints.deploy_inputs import DeployInputs, HeldPins
    from marketplace_kit.blueprints.program import platform_program
    from marketplace_kit.config import load_platform
    from marketplace_kit.plan import plan_program
    from marketplace_kit.platform.pins import Pins

    config = json.loads(os.environ["FAKE_PULUMI_CONFIG"])
    inputs = DeployInputs.from_config(config)
    if inputs.held is None and earlier and Path(earlier).is_file():
        pins = Pins.from_dict(json.loads(Path(earlier).read_text()), earlier)
        inputs = replace(inputs, held=HeldPins(pins, "", ""))
    stack, project = os.environ["FAKE_PULUMI_STACK"], os.environ["FAKE_PULUMI_PROJECT"]
    key = hashlib.sha256(json.dumps([Path(config_file).read_text(), stack, project, config,
                                     inputs.held and inputs.held.pins.to_dict()],
                                    sort_keys=True).encode())
    cached = Path(cache_dir) / f"{key.hexdigest()}.json"
    if not cached.is_file():
        platform = load_platform(Path(config_file))
        graph = plan_program(platform_program(platform, inputs), project=project, stack=stack,
                             region=platform.config.region)
        resources = [{"urn": r.urn, "type": r.type, "parent": r.parent,
                      "dependencies": list(r.dependencies), "custom": r.custom,
                      "provider": r.provider or "", "inputs": r.inputs} for r in graph]
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({"resources": resources}))
    sys.stdout.write(cached.read_text())


if __name__ == "__main__":
    main(*sys.argv[1:])
