"""Write ``examples/upgrade/earlier-kit-state.json``: a production platform's state as an earlier
kit left it (``EARLIER_KIT`` of tests/support/recorded_state.py: Kubernetes 1.33 with its add-on
builds, Karpenter 1.14 without its CRD chart, Istio 1.30 in place, Strimzi 1.1 with Kafka 4.2.1,
no AMI release pinned), keeping only the resources ``upgrade --plan`` reads
(``upgrade.running.READ_TYPES``), so docs/how-to/upgrade.md can plan from it without a cloud.

    python tools/upgrade_example_state.py [--out examples/upgrade/earlier-kit-state.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "examples" / "upgrade" / "earlier-kit-state.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    out: Path = parser.parse_args().out
    sys.path.insert(0, str(REPO / "tests"))
    from support.recorded_state import EARLIER_KIT, earlier_state

    from marketplace_kit.upgrade.running import READ_TYPES

    state = earlier_state(**EARLIER_KIT)
    deployment = state["deployment"]
    deployment["manifest"] = {"version": "an earlier kit's production platform, recorded by "
                                         "tools/upgrade_example_state.py"}
    deployment["resources"] = [r for r in deployment["resources"] if r["type"] in READ_TYPES]
    if not out.parent.is_dir():
        raise SystemExit(f"error: {out.parent} is not a folder; fix: give --out in an existing one")
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(out)
    print(f"wrote {out}: {len(deployment['resources'])} resources")


if __name__ == "__main__":
    main()
