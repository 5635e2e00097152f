"""One result of ``marketplace-kit doctor``, shared by its local and engine checks."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_kit.errors import KitError


@dataclass(frozen=True)
class Check:
    """One check: ok / warn / fail, what was found, and the fix when it is not ok."""

    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def from_error(name: str, error: KitError) -> Check:
    problem, _, fix = str(error).partition("; fix: ")
    return Check(name, "fail", problem, fix)
