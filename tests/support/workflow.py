"""A generated service's CI steps, read from its own `.github/workflows/ci.yml` and run as listed.

The install step (`pip install -e ".[dev]"`) is the one step not run as written: the tests
use a venv that already holds the same pins (`devenv/venv.py`, built once per pin set; no
index is asked per service), with the service's own `src/` first on PYTHONPATH. Every other
`run:` of a job is handed to bash unchanged, in the service's directory, with that venv's
`bin/` first on PATH and the step's own `env:` applied.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

WORKFLOW = ".github/workflows/ci.yml"
INSTALL = 'pip install -e ".[dev]"'


@dataclass(frozen=True)
class Step:
    """One `run:` step of a job: its command and its own environment."""

    run: str
    env: dict[str, str] = field(default_factory=dict)


def steps(service: Path, job: str) -> list[Step]:
    """The `run:` steps of ``job`` in the service's workflow, the install step left out."""
    workflow = yaml.safe_load((service / WORKFLOW).read_text())
    found = [Step(s["run"].strip(), {k: str(v) for k, v in (s.get("env") or {}).items()})
             for s in workflow["jobs"][job]["steps"] if "run" in s]
    assert found and found[0].run == INSTALL, found  # the one step replaced by the shared venv
    return found[1:]


def script(job_steps: list[Step], keep: tuple[str, ...] = ()) -> str:
    """A bash script running ``job_steps`` as listed, each with its own ``env:`` (except the
    names in ``keep``: the caller bounds those for the kit's CI), stopping at the first failure."""
    lines = []
    for step in job_steps:
        exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in step.env.items()
                          if k not in keep)
        lines.append(f"echo {shlex.quote('$ ' + step.run)}; ({exports}{step.run}) || exit $?")
    return "\n".join(lines)


def start(service: Path, bin_dir: Path, base: dict[str, str], job_steps: list[Step],
          keep: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    """Run ``job_steps`` in the service's directory in the background (``bin_dir`` first on
    PATH, the service's own ``src/`` on PYTHONPATH); output and errors together."""
    env = {**base, "PATH": os.pathsep.join([str(bin_dir), base.get("PATH", "")]),
           "PYTHONPATH": str(service / "src")}
    return subprocess.Popen(["bash", "-c", script(job_steps, keep)], cwd=service, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
