"""The lifecycle every local server shares: ``with Postgres() as pg:`` starts it, and closes it
(process stopped, temporary files removed) however the block ends, or if starting fails."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class LocalServer:
    """Base of the launchers: subclasses implement ``start`` and ``close``."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
