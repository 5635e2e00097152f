"""Command line: ``python -m notification serve`` (default),
``python -m notification migrate`` and ``python -m notification documents [--check]``
(writes the API documents, ``documents.py``); the team's own commands are the ``COMMANDS`` of
``domain.py`` (name -> async function of the settings).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn

from notification import documents, domain
from notification.app import create_app
from notification.logs import configure_logging
from notification.migrate import migrate
from notification.settings import Settings

Command = Callable[[Settings], Coroutine[Any, Any, None]]


def main(argv: list[str] | None = None) -> None:
    """Run the service or apply migrations."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["documents"]:  # needs no settings: nothing is connected to
        raise SystemExit(documents.main(argv[1:]))
    parser = argparse.ArgumentParser(prog="notification", description="Notification service")
    # A domain.py written before the template declared COMMANDS has none.
    extra: dict[str, Command] = getattr(domain, "COMMANDS", {})
    commands = ["serve", "migrate", "documents", *extra]
    parser.add_argument("command", nargs="?", default="serve", choices=commands)
    command = parser.parse_args(argv).command
    settings = Settings()  # type: ignore[call-arg]  # values come from the environment
    configure_logging(settings.log_level, settings.service_name)
    if command in extra:
        asyncio.run(extra[command](settings))
        return
    if command == "migrate":
        asyncio.run(migrate(settings.database_url))
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
