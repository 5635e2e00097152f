"""Service level objectives and the multi-window, multi-burn-rate alerts that guard them.

The windows and burn rates are the ones of the Google SRE workbook ("Alerting on SLOs",
table 5-8) for a 30-day error budget: a page when 2 % of the budget burns in an hour (or 5 %
in six hours), a ticket when 10 % burns in a day (or the whole budget in three days at rate
1). Each condition needs its long window AND a short window (1/12 of it) over the threshold,
so an alert stops soon after the burning stops.
"""

from __future__ import annotations

from dataclasses import dataclass

BUDGET_DAYS = 30


@dataclass(frozen=True)
class Objectives:
    """What a service promises over 30 days, and when its event flow counts as stuck."""

    availability: float = 99.5  # % of requests answered without a 5xx
    latency_ms: int = 500  # a request is "fast" under this (a histogram bucket bound)
    latency_target: float = 99.0  # % of requests that are fast
    outbox_delay_seconds: int = 300  # oldest unpublished outbox event older than this: alert
    consumer_lag: int = 1000  # unconsumed events on a consumed topic above this: alert


@dataclass(frozen=True)
class BurnWindow:
    """One alert condition: both windows burn faster than ``rate`` times the budget."""

    long: str
    short: str
    rate: float


@dataclass(frozen=True)
class BurnAlert:
    """A severity and the windows (any of them) that raise it."""

    severity: str  # "critical" pages, "warning" opens a ticket
    suffix: str  # FastBurn / SlowBurn
    windows: tuple[BurnWindow, ...]


BURN_ALERTS: tuple[BurnAlert, ...] = (
    BurnAlert("critical", "FastBurn", (BurnWindow("1h", "5m", 14.4), BurnWindow("6h", "30m", 6))),
    BurnAlert("warning", "SlowBurn", (BurnWindow("1d", "2h", 3), BurnWindow("3d", "6h", 1))),
)


def windows() -> tuple[str, ...]:
    """Every window a burn alert reads, short to long (one recording rule each)."""
    seen = {w for alert in BURN_ALERTS for b in alert.windows for w in (b.short, b.long)}
    return tuple(sorted(seen, key=seconds))


def seconds(window: str) -> int:
    """A Prometheus duration (``5m``, ``6h``, ``3d``) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(window[:-1]) * units[window[-1]]


def error_budget(target_percent: float) -> float:
    """The allowed share of bad events (99.5 % -> 0.005)."""
    return round(1 - target_percent / 100, 10)
