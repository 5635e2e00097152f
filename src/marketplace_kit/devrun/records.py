"""What the local sinks (SMTP, SMS, push) accepted: one numbered file per message, in arrival
order (``000001.eml``, ``000002.json``...), each written whole or not at all."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from marketplace_kit.changeset import replace_file


class Recorder:
    """Numbered ``NNNNNN<suffix>`` files in ``directory``, in arrival order."""

    def __init__(self, directory: Path, suffix: str = ".json") -> None:
        self.directory = directory
        self.suffix = suffix
        self._count: int | None = None
        self._lock = threading.Lock()

    def store_bytes(self, data: bytes) -> Path:
        """Write the next file (written aside, then renamed), numbered after those already in
        the directory: a kept directory's earlier records are never overwritten."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._count is None:
                self._count = max((int(p.stem) for p in self.paths() if p.stem.isdigit()),
                                  default=0)
            self._count += 1
            path = self.directory / f"{self._count:06d}{self.suffix}"
        replace_file(path, data)
        return path

    def store(self, record: dict[str, Any]) -> Path:
        """Write one JSON record."""
        return self.store_bytes((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())

    def paths(self) -> list[Path]:
        """Every stored file, in arrival order."""
        return sorted(self.directory.glob(f"*{self.suffix}"))

    def records(self) -> list[dict[str, Any]]:
        """Every stored JSON record, in arrival order."""
        return [json.loads(p.read_text(encoding="utf-8")) for p in self.paths()]
