"""The CLI starts light: importing it and `--help` load no pydantic, jinja2, pulumi or yaml (each
command imports what it needs when it runs); `new-service --help` loads no template engine or
config model either (typer >= 0.29 itself loads pydantic to parse a command's parameters).
Structural, not timed: bench/cli_startup.py measures the time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pydantic", "pydantic_core", "jinja2", "pulumi", "pulumi_aws", "pulumi_kubernetes",
         "yaml", "kubernetes_validate", "asyncpg", "httpx")
PROBE = """
import json, sys
sys.argv = ["marketplace-kit", *json.loads(sys.argv[1])]
from marketplace_kit.cli.app import main
if sys.argv[1:]:
    try:
        main()
    except SystemExit as exit_:
        assert exit_.code in (0, None), exit_.code
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("args", [[], ["--help"], ["new-service", "--help"]])
def test_starting_the_cli_imports_nothing_heavy(args: list[str]) -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                           capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(probe.stderr)
    assert "marketplace_kit.cli.new_service_cmd" in loaded  # every command was registered
    allowed = {"pydantic", "pydantic_core"} if args[:1] == ["new-service"] else set()
    heavy = sorted({m.split(".")[0] for m in loaded} & (set(HEAVY) - allowed))
    assert heavy == [], f"`marketplace-kit {' '.join(args)}` imports {heavy}"
    assert not [m for m in loaded if m.startswith(("marketplace_kit.scaffold",
                                                   "marketplace_kit.config"))]
    if args:
        assert "Usage" in probe.stdout
