"""No pinned component is past its end of support: every pin in versions.py has an upstream
support entry, none has ended (on the day CI runs), and nothing retired is pinned again."""

from __future__ import annotations

from datetime import date

from marketplace_kit.platform import versions

CHARTS = [c for c in vars(versions).values() if isinstance(c, versions.Chart)]
ISTIO_CHARTS = {"base", "istiod", "gateway"}
TODAY = date(2026, 11, 28)


def _component(chart: versions.Chart) -> str:
    return "istio" if chart.name in ISTIO_CHARTS else chart.name


def test_every_pin_has_a_support_entry_with_a_source() -> None:
    needed = {_component(c) for c in CHARTS} | {"postgres", "python", "kafka", "nginx"}
    assert needed <= set(versions.SUPPORT), needed - set(versions.SUPPORT)
    for name, entry in versions.SUPPORT.items():
        assert entry.source.startswith("https://"), name
        assert entry.basis in ("published", "policy"), name


def test_no_pinned_component_is_past_its_end_of_support() -> None:
    for day in (TODAY, date.today()):
        ended = {name: e.ends for name, e in versions.SUPPORT.items()
                 if e.ends is not None and e.ends < day}
        assert ended == {}, f"past end of support on {day}: {ended}; bump the pins"
        assert versions.EKS_CALENDAR[versions.KUBERNETES].standard_end >= day
    assert versions.POSTGRES_MAJOR == "17" and "3.12" in versions.SERVICE_BASE_IMAGE
    assert ":1.30." in versions.API_DOCS_IMAGE  # the nginx entry's line


def test_nothing_retired_is_pinned() -> None:
    names = {c.name for c in CHARTS}
    assert not names & set(versions.RETIRED), names & set(versions.RETIRED)
    assert int(versions.JAEGER.version.split(".")[0]) >= 4  # jaeger<4 is Jaeger v1
    assert "jaeger<4" in versions.RETIRED
