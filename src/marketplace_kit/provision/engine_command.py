"""The Pulumi CLI as the Automation API runs it, but stopped the way the engine allows on Ctrl-C.

The SDK's ``PulumiCommand.run`` starts the CLI in the terminal's process group: Ctrl-C reaches
the CLI and Python at once, Python's ``KeyboardInterrupt`` unwinds the SDK (closing the CLI's
pipes and stopping the in-process language server of an inline program) while the engine is
still cancelling, and the CLI dies writing to a closed pipe: operations stay pending in the state.

Here the CLI runs in a process group of its own, so only this process sees Ctrl-C; it forwards
SIGINT to the CLI, which cancels cleanly (no new steps; what is in flight finishes or is
cancelled by its provider; the state is written), and waits for it to exit. A second Ctrl-C is
forwarded too: the CLI then stops at once (what was in flight stays pending in the state).
Imported only for an engine run (it loads the Automation API).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import IO

from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult, OnOutput, _fixup_path
from pulumi.automation.errors import create_command_error

NON_INTERACTIVE = "--non-interactive"


class EngineInterrupted(Exception):
    """The CLI was stopped by Ctrl-C (``forced``: a second one, it did not finish cleanly)."""

    def __init__(self, forced: bool, stderr: str) -> None:
        super().__init__("interrupted")
        self.forced = forced
        self.stderr = stderr


def _cli_args(args: list[str]) -> list[str]:
    """``--non-interactive`` first (before any ``--``), as the SDK runs every command."""
    head = args[: args.index("--")] if "--" in args else args
    return args if NON_INTERACTIVE in head else [NON_INTERACTIVE, *args]


def _consume(stream: IO[str], callback: OnOutput | None, chunks: list[str]) -> None:
    for line in iter(stream.readline, ""):
        stripped = line.rstrip()
        if callback:
            callback(stripped)
        chunks.append(stripped)
    stream.close()


class StoppableCommand(auto.PulumiCommand):
    """``PulumiCommand`` whose runs Ctrl-C stops through the engine's own cancellation."""

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        """Run one CLI command (as the SDK does); ``EngineInterrupted`` after Ctrl-C."""
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env = _fixup_path(env, os.path.dirname(self.command))
        out: list[str] = []
        err: list[str] = []
        interrupts = 0
        with subprocess.Popen(
            [self.command, *_cli_args(list(args))], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=env, encoding="utf-8", process_group=0,
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            readers = [
                threading.Thread(target=_consume, args=(process.stdout, on_output, out)),
                threading.Thread(target=_consume, args=(process.stderr, on_error, err)),
            ]
            for reader in readers:
                reader.start()
            while True:
                try:
                    for reader in readers:
                        reader.join()
                    process.wait()
                    break
                except KeyboardInterrupt:
                    interrupts += 1
                    if process.poll() is None:
                        process.send_signal(signal.SIGINT)
        result = CommandResult(stdout="\n".join(out), stderr="\n".join(err),
                               code=process.returncode)
        if interrupts:
            raise EngineInterrupted(forced=interrupts > 1, stderr=result.stderr)
        if result.code != 0:
            raise create_command_error(result)
        return result
