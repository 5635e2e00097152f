"""Reading a YAML config strictly: a regular file of bounded size, no duplicate keys, no
nesting deep enough to exhaust the parser, one ``ConfigError`` line for any of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node

from marketplace_kit.errors import ConfigError

MAX_BYTES = 1024 * 1024  # a config is a few KiB; a bigger file is a mistake (or hostile)
MAX_DEPTH = 32  # the deepest config key is 4 levels down
MAX_ALIASES = 64  # anchors are fine; a "billion laughs" document expands past any memory


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, nesting deeper than ``MAX_DEPTH`` and
    more than ``MAX_ALIASES`` aliases."""

    _depth = 0
    _aliases = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ConstructorError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            if self.check_event(AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    mark = self.peek_event().start_mark
                    raise ConstructorError(None, None, f"more than {MAX_ALIASES} aliases", mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_text(file: Path) -> str:
    """The text of ``file``: a regular file (never a FIFO, a device or a directory: opened
    non-blocking and checked before reading), at most ``MAX_BYTES``, UTF-8."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file; fix: check the path") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror}); fix: check the path and "
                          "its permissions") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{file}: not a regular file; fix: give the path of a YAML file")
        if info.st_size > MAX_BYTES:
            raise ConfigError(f"{file}: {info.st_size} bytes, more than a config can be "
                              f"({MAX_BYTES}); fix: check the path")
        try:
            data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"{file}: cannot be read ({exc.strerror}); fix: check the "
                              "file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text; fix: save it as UTF-8") from None


def parse(text: str, file: Path) -> Any:
    """The YAML document in ``text`` (from ``file``), parsed strictly."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(document)"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        fix = ("keep one of them" if str(problem).startswith("duplicate key")
               else "flatten the document" if "nested deeper" in str(problem)
               else "write the values out instead of aliases" if "aliases" in str(problem)
               else "correct the YAML syntax")
        raise ConfigError(f"{file}: {where}: {problem}; fix: {fix}") from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ConfigError(f"{file}: nested too deep; fix: flatten the document") from None
