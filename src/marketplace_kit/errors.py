"""Errors the kit reports to users as one line (the CLI exits 2 on them, never a traceback)."""


class KitError(Exception):
    """A user-facing error: its message is one line that says what is wrong and how to fix it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class ConfigError(KitError):
    """A configuration file is missing, malformed or inconsistent."""


INTERRUPTED_EXIT = 130  # the shell's code for a process ended by Ctrl-C


class Interrupted(KitError):
    """Ctrl-C (or SIGTERM) during a change: the message says what state the files are in."""

    exit_code = INTERRUPTED_EXIT
