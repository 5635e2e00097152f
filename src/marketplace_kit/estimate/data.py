"""The price and duration tables shipped as package data (``marketplace_kit/data/*.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from marketplace_kit.errors import KitError
from marketplace_kit.package_data import read_mapping


@dataclass(frozen=True)
class Price:
    """One unit price, with where it comes from."""

    usd: float
    unit: str
    source: str


@dataclass(frozen=True)
class Assumption:
    """A usage figure the plan cannot know, shown with every estimate."""

    name: str
    value: float
    note: str


class PriceTable:
    """``prices.yaml`` for one region."""

    def __init__(self, data: dict[str, Any], region: str) -> None:
        if region not in data["regions"]:
            known = ", ".join(data["regions"])
            raise KitError(
                f"no prices for region {region!r}; fix: use one of {known} "
                "(or add the region to marketplace_kit/data/prices.yaml)"
            )
        self.region = region
        self.checked = str(data["checked"])
        self.sources: dict[str, str] = data["sources"]
        self._prices: dict[str, Any] = data["prices"]
        self._items: dict[str, Any] = data["items"]
        self.assumptions = {
            name: Assumption(name, float(a["value"]), a["note"])
            for name, a in data["assumptions"].items()
        }

    def assume(self, name: str) -> float:
        """The value of an assumption."""
        return self.assumptions[name].value

    def price(self, key: str) -> Price:
        """A flat price (e.g. ``nat_gateway_hour``)."""
        entry = self._prices[key]
        return Price(float(entry["usd"][self.region]), entry["unit"], self.sources[entry["source"]])

    def item(self, table: str, item: str) -> Price | None:
        """A per-item price (e.g. ``ec2_instance_hour``, ``t3.medium``), or None when unlisted."""
        entry = self._items[table]
        per_region = entry["usd"].get(item)
        if per_region is None:
            return None
        return Price(float(per_region[self.region]), entry["unit"], self.sources[entry["source"]])


@dataclass(frozen=True)
class Duration:
    """How long creating one resource takes, and the evidence."""

    seconds: float
    basis: str
    source: str


@dataclass(frozen=True)
class ScaleStep:
    """One step of the scale-out path (``new_node``: only when a node must be added)."""

    step: str
    duration: Duration
    new_node: bool


class DurationTable:
    """``durations.yaml``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.checked = str(data["checked"])
        self._defaults = {k: self._entry(v) for k, v in data["defaults"].items()}
        self._types = {k: self._entry(v) for k, v in data["types"].items()}
        self.loadbalancer_service = self._entry(data["loadbalancer_service"])
        self._awaited = {k: self._entry(v) for k, v in data["awaited_custom_resources"].items()}
        self.scale_out = [ScaleStep(str(raw["step"]), self._entry(raw), bool(raw.get("new_node")))
                          for raw in data["scale_out"]]

    @staticmethod
    def _entry(raw: dict[str, Any]) -> Duration:
        return Duration(float(raw["seconds"]), raw["basis"], raw["source"])

    def for_type(self, type_: str) -> Duration:
        """The duration of a resource type, or the provider's default."""
        if type_ in self._types:
            return self._types[type_]
        provider = type_.split(":", 1)[0]
        return self._defaults.get(provider, self._defaults["other"])

    def awaited_custom_resource(self, kind: str) -> Duration:
        """The duration of a custom resource that Pulumi waits on (pulumi.com/waitFor)."""
        return self._awaited.get(kind, self._awaited["default"])


@cache
def _price_data() -> dict[str, Any]:
    return read_mapping("prices.yaml")


@cache
def priced_items(table: str) -> frozenset[str]:
    """The items (instance types, classes) of a per-item price table, e.g. ``ec2_instance_hour``
    (config validation accepts only what the estimate can price)."""
    return frozenset(_price_data()["items"][table]["usd"])


def price_table(region: str) -> PriceTable:
    """The price table for a region (KitError naming the fix when the region is unknown)."""
    return PriceTable(_price_data(), region)


@cache
def duration_table() -> DurationTable:
    """The duration table."""
    return DurationTable(read_mapping("durations.yaml"))
