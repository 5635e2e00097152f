"""Record ``tests/data/earlier_shapes.json``: the stateful resources each earlier kit version
registered (the production blueprint's offline plan at that commit of this repository), for the
test that plans today's program against them (tests/test_upgrade_no_replacement.py).

    python tools/earlier_shapes.py --out tests/data/earlier_shapes.json [--commit C ...]

Without ``--commit``, every commit that changed a stateful component's source (the cluster, the
data stores, the event bus) is planned and only the shapes that differ from the one before are
kept, each with the commit it came from. Each commit's ``src/`` is read with ``git archive`` into
a temporary folder and planned there by its own code (today's virtualenv). Bad input: one
``error:`` line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The stateful components' sources, across the renames of the repository's history.
COMPONENTS = ("src/marketplace_kit/platform/cluster.py", "src/marketplace_kit/platform/datastores",
              "src/marketplace_kit/platform/datastores.py",
              "src/marketplace_kit/platform/eventbus.py",
              "src/marketplace_kit/platform/strimzi_models.py")
KUBERNETES_STATEFUL = ("kubernetes:kafka.strimzi.io/v1:Kafka",
                       "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
                       "kubernetes:core/v1:PersistentVolumeClaim",
                       "kubernetes:apps/v1:StatefulSet")
# Run inside the commit's own src/: its plan of the production blueprint, stateful types only.
PLAN = """
import json, sys
from marketplace_kit.blueprints.program import plan_platform
try:
    from marketplace_kit.config import default_platform
except ImportError:
    from marketplace_kit.config.loading import default_platform
graph = plan_platform(default_platform("production"))
types = set(sys.argv[1:])
print(json.dumps([{"type": r.type, "name": r.name, "inputs": r.inputs}
                  for r in graph.resources if r.type in types], sort_keys=True))
"""


class ShapeError(Exception):
    """A commit that cannot be read or planned."""


def _git(*args: str) -> bytes:
    run = subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=False)
    if run.returncode != 0:
        raise ShapeError(run.stderr.decode().strip() or f"git {args[0]} failed")
    return run.stdout


def component_commits() -> list[str]:
    """The commits that changed a stateful component, oldest first."""
    out = _git("log", "--reverse", "--format=%H", "--", *COMPONENTS).decode().split()
    return out


def plan_at(commit: str, types: list[str]) -> list[dict[str, Any]]:
    """The stateful resources the production blueprint registered at ``commit``."""
    with (tempfile.TemporaryDirectory() as tmp,
          tarfile.open(fileobj=BytesIO(_git("archive", commit, "src")), mode="r") as tar):
        tar.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        run = subprocess.run([sys.executable, "-c", PLAN, *types], cwd=tmp, env=env,
                             capture_output=True, text=True, check=False)
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        raise ShapeError(f"{commit[:10]}: its plan failed: {tail}")
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert isinstance(found, list)
    return found


def record(commits: list[str], types: list[str]) -> list[dict[str, Any]]:
    """One entry per distinct shape, oldest first, with the commit that produced it."""
    shapes: list[dict[str, Any]] = []
    for commit in commits:
        try:
            resources = plan_at(commit, types)
        except ShapeError as exc:
            print(f"skipped {exc}", file=sys.stderr)
            continue
        if shapes and shapes[-1]["resources"] == resources:
            continue
        date, subject = _git("log", "-1", "--format=%cs%n%s", commit).decode().split("\n", 1)
        shapes.append({"commit": commit, "date": date, "subject": subject.strip()[:120],
                       "resources": resources})
        print(f"{commit[:10]} {date}: {len(resources)} stateful resources", file=sys.stderr)
    return shapes


def main(argv: list[str] | None = None) -> int:
    from marketplace_kit.upgrade.replacements import STATEFUL_AWS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--commit", action="append", help="only these commits (repeat)")
    args = parser.parse_args(argv)
    types = sorted([*STATEFUL_AWS, *KUBERNETES_STATEFUL])
    try:
        commits = [_git("rev-parse", c).decode().strip() for c in args.commit] if args.commit \
            else component_commits()
    except ShapeError as exc:
        print(f"error: {exc} fix: name commits of this repository", file=sys.stderr)
        return 2
    shapes = record(commits, types)
    if not shapes:
        print("error: no commit could be planned fix: name commits whose src/ plans",
              file=sys.stderr)
        return 2
    data = {"generated_by": "tools/earlier_shapes.py", "blueprint": "production",
            "types": types, "shapes": shapes}
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(shapes)} shapes from {len(commits)} commits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
