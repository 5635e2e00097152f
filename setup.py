"""The build's one extra step: the browser assets (Swagger UI, Mermaid) from their pinned npm
packages into marketplace_kit/assets/dist (src/marketplace_kit/assets/fetch.py). The metadata is
all in pyproject.toml."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FETCH = HERE / "src" / "marketplace_kit" / "assets" / "fetch.py"


class build_py_with_assets(build_py):
    """build_py, then the assets: into the build (a wheel) or the source tree (editable)."""

    def run(self) -> None:
        super().run()
        spec = importlib.util.spec_from_file_location("_mk_fetch", FETCH)
        assert spec is not None and spec.loader is not None
        fetch = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = fetch  # its dataclasses look their module up
        spec.loader.exec_module(fetch)
        built = Path(self.build_lib) / "marketplace_kit" / "assets"
        root = FETCH.parent if self.editable_mode else built
        fetch.fetch_all(root / fetch.DIST)


setup(cmdclass={"build_py": build_py_with_assets})
