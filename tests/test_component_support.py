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


def test_istio_support_follows_its_published_end_of_life_notices() -> None:
    # news/support/announcing-1.28-eol and -1.29-eol: the last day is 6 weeks (41-42 days)
    # after N+2; the rule never claims a later day than the notices.
    for minor, published in (("1.28", date(2026, 6, 28)), ("1.29", date(2026, 10, 12))):
        ends = versions.istio_support_ends(f"{minor}.0")
        assert ends is not None and 0 <= (published - ends).days <= 1, minor
    pinned = versions.ISTIO.rsplit(".", 1)[0]
    assert pinned in versions.ISTIO_MINOR_RELEASED  # the pin is a released minor
    assert versions.SUPPORT["istio"].ends == versions.istio_support_ends(versions.ISTIO)
    # The newest released minor is pinned (its N+2 unreleased: supported, no end date yet).
    assert pinned == max(versions.ISTIO_MINOR_RELEASED, key=lambda v: int(v.split(".")[1]))


def test_istio_supports_every_kubernetes_version_a_config_may_choose() -> None:
    oldest, newest = (int(v.split(".")[1]) for v in versions.ISTIO_KUBERNETES)
    for version in (versions.KUBERNETES, *versions.KUBERNETES_SUPPORTED):
        assert oldest <= int(version.split(".")[1]) <= newest, version
