"""A real full disk for the tests: a tiny tmpfs (needs root; skipped where mounting is not
allowed) and a filler that leaves a given number of KiB free."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """A tmpfs of N KiB mounted under tmp_path (skipped where mounting is not allowed)."""
    mounted: list[Path] = []

    def mount(kib: int) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs",
                                 str(point)], capture_output=True, check=False)
        if result.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(root: Path, leave_kib: int) -> None:
    """Fill the file system of ``root`` up to ``leave_kib`` KiB free."""
    free = shutil.disk_usage(root).free - leave_kib * 1024
    with (root / "filler").open("wb") as out:
        out.write(b"\0" * max(0, free))
