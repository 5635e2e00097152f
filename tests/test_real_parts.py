"""The real parts (`.ci/real-parts`) start and answer: Pulumi."""

from __future__ import annotations

import subprocess

from support.real_parts import real_part

from marketplace_kit.platform import versions


def test_pulumi_cli_is_at_least_the_minimum_the_kit_drives() -> None:
    cli = subprocess.run([str(real_part("pulumi")), "version"], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert tuple(map(int, cli.lstrip("v").split("."))) >= tuple(
        map(int, versions.PULUMI_CLI_MINIMUM.split(".")))
    assert real_part("pulumi").parent == real_part("pulumi-bin-dir")
