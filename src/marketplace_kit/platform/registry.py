"""Every add-on of the kit, found from the declarations in the platform modules.

A module of ``marketplace_kit.platform`` that defines ``ADDON`` (or ``ADDONS``) is an add-on
file; nothing else needs to list it. Discovery imports those modules (once, cached).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from marketplace_kit.core.addon import GROUP_ORDER, AddOn

_PACKAGE = "marketplace_kit.platform"


def _modules() -> list[ModuleType]:
    package = importlib.import_module(_PACKAGE)
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{_PACKAGE}.{n}") for n in names]


def declared(module: ModuleType) -> tuple[AddOn, ...]:
    """The add-ons a module declares (``ADDON`` or ``ADDONS``)."""
    single = getattr(module, "ADDON", None)
    many = getattr(module, "ADDONS", ())
    found = ((single,) if single is not None else ()) + tuple(many)
    for addon in found:
        if not isinstance(addon, AddOn):
            raise TypeError(f"{module.__name__}: ADDON(S) must hold AddOn values")
    return found


@cache
def addons() -> dict[str, AddOn]:
    """Every declared add-on by name."""
    found: dict[str, AddOn] = {}
    for module in _modules():
        for addon in declared(module):
            if addon.name in found:
                raise ValueError(f"add-on {addon.name!r} is declared twice ({module.__name__})")
            found[addon.name] = addon
    return found


@cache
def modules() -> dict[str, str]:
    """Add-on name -> the module that declares it."""
    return {a.name: m.__name__ for m in _modules() for a in declared(m)}


@cache
def exports() -> dict[str, str]:
    """Public name -> the module defining it (``marketplace_kit.platform``'s exports)."""
    names: dict[str, str] = {}
    for name, addon in addons().items():
        for export in addon.exports:
            names[export] = modules()[name]
    return names


def by_component(component: str) -> AddOn | None:
    """The add-on whose component class is ``component`` (a type token's last part)."""
    return next((a for a in addons().values() if a.component == component), None)


def groups() -> dict[str, str]:
    """Component class -> diagram group."""
    return {a.component: a.group for a in addons().values()}


def group_order() -> list[str]:
    """Diagram groups in drawing order: the known ones, then any new ones by name."""
    extra = sorted({a.group for a in addons().values()} - set(GROUP_ORDER))
    return [*GROUP_ORDER, *extra]


def section_notes() -> dict[str, str]:
    """``marketplace.yaml`` section -> the note ``init`` writes above it."""
    return {a.section: a.notes for a in addons().values() if a.section and a.notes}


def ordered(names: list[str]) -> list[str]:
    """``names`` with every add-on after those it declares ``after`` (stable otherwise)."""
    known = addons()
    chosen = set(names)
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"add-on order has a cycle: {' -> '.join((*path, name))}")
        for first in known[name].after:
            if first in chosen:
                visit(first, (*path, name))
        done.append(name)

    for name in names:
        visit(name, ())
    return done
