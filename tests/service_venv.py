"""Kept for helpers that import it: the shared service venv lives in marketplace_kit.devenv.venv."""

from marketplace_kit.devenv.venv import TEST_TOOLS, install_service, requirements, service_venv

__all__ = ["TEST_TOOLS", "install_service", "requirements", "service_venv"]
