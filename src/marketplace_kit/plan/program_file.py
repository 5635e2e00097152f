"""Plan a Pulumi program of your own offline: a Python file or a Pulumi project directory, run as
``pulumi up`` runs it (as ``__main__``, its directory on ``sys.path``) under the SDK mocks."""

from __future__ import annotations

import runpy
import sys
import traceback
from pathlib import Path

from marketplace_kit.errors import KitError
from marketplace_kit.plan.engine import plan_program
from marketplace_kit.plan.graph import ResourceGraph

PROJECT_FILE = "Pulumi.yaml"
FIX = "fix: give a Pulumi program file (__main__.py) or a directory holding Pulumi.yaml"


def _project(directory: Path) -> tuple[str, Path]:
    """The project's name and its program file (``main:`` of Pulumi.yaml, else ``__main__.py``)."""
    import yaml

    settings = {}
    if (directory / PROJECT_FILE).is_file():
        try:
            loaded = yaml.safe_load((directory / PROJECT_FILE).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise KitError(f"{directory / PROJECT_FILE}: cannot be read ({exc}); {FIX}") from None
        settings = loaded if isinstance(loaded, dict) else {}
    name = str(settings.get("name") or directory.resolve().name)
    main = directory / str(settings.get("main") or ".")
    return name, main / "__main__.py" if main.is_dir() else main


def _where(exc: BaseException, program: Path) -> str:
    """``file:line`` of the innermost frame in the program's directory, else the program."""
    home = program.resolve().parent
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(home)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(program)


def plan_program_file(path: Path, *, stack: str = "plan") -> ResourceGraph:
    """Every resource the program at ``path`` registers, recorded offline."""
    if path.is_dir():
        project, program = _project(path)
    else:
        project, program = _project(path.parent)[0], path
    if not program.is_file():
        raise KitError(f"{program}: no such program file; {FIX}")
    home = str(program.resolve().parent)
    sys.path.insert(0, home)
    try:
        return plan_program(lambda: runpy.run_path(str(program), run_name="__main__"),
                            project=project, stack=stack)
    except KitError:
        raise
    except Exception as exc:  # the user's program failed: one line naming where and why
        raise KitError(f"{_where(exc, program)}: the program failed: {type(exc).__name__}: "
                       f"{exc}; fix: correct the program there") from None
    finally:
        sys.path.remove(home)
