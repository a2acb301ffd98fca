"""Point-in-time views (riskscore.profile.pointintime): what was known on a date, and nothing later.

Small profiles pin each disclosure rule at its boundary day; WeDoctor checks the three HKEX
filings; a generic walk over every figure of every view checks that nothing disclosed after
the view's date leaks in, judged against the *original* profile's filings and sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.profile.pointintime import disclosed_on, filing_dates, profile_as_of
from riskscore.profile.units import PartialDate
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.engine import assess

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
D = dt.date

# Sources with known dates, added to the base profile's (p 2026-03-31, r 2026-05, m/m2 2026-06).
EXTRA_SOURCES = [
    {"id": "early", "title": "Early article", "publisher": "Press", "date": "2024-06-15", "kind": "media"},
    {"id": "y2025", "title": "Year-dated article", "publisher": "Press", "date": 2025, "kind": "media"},
    {"id": "m2025", "title": "Month-dated article", "publisher": "Press", "date": "2025-03", "kind": "media"},
]
FILINGS = [
    {"id": "a1-2025", "date": "2025-03-31", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
    {"id": "a1-2025b", "date": "2025-10", "exchange": "HKEX", "status": "filed", "sources": ["p"]},
]


def rmb(amount: float, source: str, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


@pytest.fixture
def make(make_profile_data: Callable[..., dict[str, Any]]) -> Callable[..., Profile]:
    """A validated small profile: the base, the extra sources and filings, and ``fragment``."""

    def build(fragment: dict[str, Any] | None = None) -> Profile:
        data = make_profile_data({"filings": FILINGS, **(fragment or {})})
        data["sources"] = data["sources"] + EXTRA_SOURCES
        return Profile.model_validate(data)

    return build


def ids(items: Any) -> list[str]:
    return [i.id for i in items or []]


# --------------------------------------------------------------------------- observations


def test_an_observation_quoted_from_a_filing_counts_from_the_filing_date(make: Callable[..., Profile]) -> None:
    # Source p is dated 2026-03-31, but it quotes the 2025-03-31 filing: known from the filing's date.
    profile = make({"periods": [{"id": "FY2024", "revenue": rmb(10, "p", filing="a1-2025")}]})
    assert disclosed_on(profile, profile.period("FY2024").revenue.root[0]) == D(2025, 3, 31)
    assert ids(profile_as_of(profile, D(2025, 3, 30)).periods) == []
    assert ids(profile_as_of(profile, D(2025, 3, 31)).periods) == ["FY2024"]


def test_a_partial_filing_date_counts_from_its_last_day(make: Callable[..., Profile]) -> None:
    profile = make({"periods": [{"id": "FY2024", "revenue": rmb(10, "p", filing="a1-2025b")}]})  # filing dated 2025-10
    assert ids(profile_as_of(profile, D(2025, 10, 30)).periods) == []
    assert ids(profile_as_of(profile, D(2025, 10, 31)).periods) == ["FY2024"]


@pytest.mark.parametrize("source,known_from", [
    ("early", D(2024, 6, 15)),   # a full date: that day
    ("m2025", D(2025, 3, 31)),   # 2025-03: the month's last day
    ("y2025", D(2025, 12, 31)),  # 2025: only from 2025-12-31
])
def test_an_observation_without_filing_counts_from_its_source_date(make: Callable[..., Profile], source: str, known_from: dt.date) -> None:
    profile = make({"periods": [{"id": "FY2023", "revenue": rmb(10, source)}]})
    assert disclosed_on(profile, profile.period("FY2023").revenue.root[0]) == known_from
    assert profile_as_of(profile, known_from - dt.timedelta(days=1)).periods == []
    view = profile_as_of(profile, known_from)
    assert ids(view.periods) == ["FY2023"]
    assert view.period("FY2023").revenue.root[0].amount == 10


def test_later_observations_vanish_and_emptied_figures_and_periods_go(make: Callable[..., Profile]) -> None:
    profile = make({"periods": [
        {"id": "FY2023",
         "revenue": [rmb(10, "early"), rmb(11, "y2025")],    # one observation known mid-2024, one at the end of 2025
         "net_profit": rmb(-3, "y2025"),                     # nothing known mid-2024
         "segments": [{"name": "Core", "share": {"value": "60%", "source": "early"}},
                      {"name": "Later", "share": {"value": "40%", "source": "y2025"}}]},
        {"id": "FY2024", "revenue": rmb(12, "p", filing="a1-2025")},  # nothing known before 2025-03-31
    ]})
    view = profile_as_of(profile, D(2024, 7, 1))
    assert ids(view.periods) == ["FY2023"]                   # FY2024 had no observation left: the period is gone
    fy2023 = view.period("FY2023")
    assert [o.amount for o in fy2023.revenue] == [10]        # the 2025 observation vanished, the figure stays
    assert fy2023.net_profit is None                         # a figure with none left vanishes
    assert [s.name for s in fy2023.segments] == ["Core"]     # a segment with no figure left vanishes

    full = profile_as_of(profile, D(2026, 1, 1))
    assert ids(full.periods) == ["FY2023", "FY2024"]
    assert [o.amount for o in full.period("FY2023").revenue] == [10, 11]
    assert [s.name for s in full.period("FY2023").segments] == ["Core", "Later"]


def test_cumulative_claims_follow_the_same_rule(make: Callable[..., Profile]) -> None:
    profile = make({
        "periods": [{"id": "FY2023", "revenue": rmb(10, "early")}],
        "cumulative": [{"figure": "revenue", "from": "FY2022", "to": "FY2023", "value": rmb(18, "y2025")}],
    })
    assert profile_as_of(profile, D(2025, 12, 30)).cumulative == []
    [claim] = profile_as_of(profile, D(2025, 12, 31)).cumulative
    assert (claim.start, claim.end) == ("FY2022", "FY2023")


# --------------------------------------------------------------------------- events, technology, people

EVENT = {"type": "exchange_censure", "regulator": "SZSE", "subjects": ["company"], "status": "concluded",
         "description": "Censure.", "sources": ["m"]}


def test_governance_events_after_the_date_vanish_but_researched_stays_a_list(make: Callable[..., Profile]) -> None:
    profile = make({"governance_events": [
        {**EVENT, "id": "old", "date": "2023-05"},
        {**EVENT, "id": "new", "date": "2025-02-10", "fine": rmb(0.5, "y2025")},
    ]})
    before_any = profile_as_of(profile, D(2023, 5, 30))  # 2023-05 counts from 2023-05-31
    assert before_any.governance_events == []           # searched, nothing known yet: [] not None
    assert ids(profile_as_of(profile, D(2023, 5, 31)).governance_events) == ["old"]
    view = profile_as_of(profile, D(2025, 2, 10))
    assert ids(view.governance_events) == ["old", "new"]
    assert view.governance_events[1].fine is None       # the fine was reported only at the end of 2025
    assert profile_as_of(profile, D(2025, 12, 31)).governance_events[1].fine is not None


def test_unresearched_governance_stays_unresearched(make: Callable[..., Profile]) -> None:
    profile = make({"periods": [{"id": "FY2023", "revenue": rmb(10, "early")}]})
    assert profile.governance_events is None
    assert profile_as_of(profile, D(2025, 1, 1)).governance_events is None


def test_a_technology_fact_counts_from_its_filing_else_its_earliest_source(make: Callable[..., Profile]) -> None:
    profile = make({"technology": {"core": [
        {"name": "Filed model", "control": "third_party", "filing": "a1-2025", "sources": ["p"]},   # p dated 2026-03-31
        {"name": "Reported model", "control": "proprietary", "sources": ["y2025", "early"]},        # earliest: 2024-06-15
        {"name": "Year model", "control": "shared", "sources": ["y2025"]},                          # 2025-12-31
    ]}})

    def names(date: dt.date) -> list[str]:
        technology = profile_as_of(profile, date).technology
        return [t.name for t in technology.core] if technology else []

    assert profile_as_of(profile, D(2024, 6, 14)).technology is None  # no fact known: no technology section at all
    assert names(D(2024, 6, 15)) == ["Reported model"]
    assert names(D(2025, 3, 30)) == ["Reported model"]
    assert names(D(2025, 3, 31)) == ["Filed model", "Reported model"]
    assert names(D(2025, 12, 30)) == ["Filed model", "Reported model"]
    assert names(D(2025, 12, 31)) == ["Filed model", "Reported model", "Year model"]


def test_people_follow_the_text_fact_rule_and_unknown_persons_leave_events(make: Callable[..., Profile]) -> None:
    profile = make({
        "people": [
            {"id": "founder", "name": "Founder", "roles": ["founder"], "sources": ["y2025", "m"]},          # from 2025-12-31
            {"id": "director", "name": "Director", "roles": ["director"], "filing": "a1-2025", "sources": ["p"]},  # from 2025-03-31
        ],
        "governance_events": [{**EVENT, "id": "censure", "date": "2024-01", "subjects": ["company", "founder", "director"],
                               "persons": ["founder", "director"]}],
    })
    early = profile_as_of(profile, D(2024, 12, 31))
    assert early.people == []
    assert early.governance_events[0].persons == []          # the event is known, its people are not yet
    mid = profile_as_of(profile, D(2025, 3, 31))
    assert ids(mid.people) == ["director"]
    assert mid.governance_events[0].persons == ["director"]
    late = profile_as_of(profile, D(2025, 12, 31))
    assert ids(late.people) == ["founder", "director"]
    assert late.governance_events[0].persons == ["founder", "director"]


# --------------------------------------------------------------------------- the view itself


def test_a_later_source_reporting_an_earlier_filing_stays_in_the_view(make: Callable[..., Profile]) -> None:
    # p (2026-03-31) quotes the 2025-03-31 filing: at 2025-06-30 the figure is known and p is kept, though it postdates as_of.
    profile = make({"periods": [{"id": "FY2024", "revenue": rmb(10, "p", filing="a1-2025")}]})
    view = profile_as_of(profile, D(2025, 6, 30))
    assert view.point_in_time is True
    assert view.as_of == D(2025, 6, 30)
    assert "p" in ids(view.sources) and view.source("p").date.start > view.as_of
    assert ids(view.filings) == ["a1-2025"]                   # the 2025-10 filing is not on file yet
    # The view validates as a profile, and round-trips; without point_in_time the late source is refused.
    data = view.model_dump(mode="json", exclude_none=True)
    assert Profile.model_validate(data) == view
    with pytest.raises(ValidationError, match="after as_of"):
        Profile.model_validate({**data, "point_in_time": False})


@pytest.mark.parametrize("date", [D(2000, 1, 1), D(2025, 3, 31), D(2026, 6, 30), D(2030, 1, 1)])
def test_the_view_is_dated_the_date(make: Callable[..., Profile], date: dt.date) -> None:
    profile = make({"periods": [{"id": "FY2024", "revenue": rmb(10, "p", filing="a1-2025")}]})
    view = profile_as_of(profile, date)
    assert view.as_of == date and view.point_in_time
    assert ids(view.sources) == ids(profile.sources)         # sources are evidence: all kept
    assert profile.point_in_time is False                     # the original is untouched


def test_a_view_at_the_profiles_own_date_scores_as_the_profile(make: Callable[..., Profile], default_config: Any) -> None:
    profile = make({
        "periods": [{"id": "FY2024", "revenue": rmb(20, "p", filing="a1-2025"), "adjusted_net_profit": rmb(-4, "p", filing="a1-2025"),
                     "customers": {"largest_share": {"value": "55%", "source": "r"}}}],
        "governance_events": [{**EVENT, "id": "censure", "date": "2024-01"}],
    })
    rubrics = registry.select(default_config)
    view = profile_as_of(profile, profile.as_of)
    assert assess(view, default_config, rubrics).model_dump() == assess(profile, default_config, rubrics).model_dump()


def test_instruments_researched_as_none_survive_the_view(make: Callable[..., Profile], default_config: Any) -> None:
    # `instruments: []` means "searched, none outstanding", like `governance_events: []`; with no other
    # capital-structure figure on file it must not turn into "not researched" (redemption_overhang: no_data).
    profile = make({"capital_structure": {"instruments": []}})
    rubrics = registry.select(default_config)

    def status(p: Profile) -> str:
        return next(o for o in assess(p, default_config, rubrics).rubrics if o.id == "redemption_overhang").status

    for date in (profile.as_of, D(2020, 1, 1)):
        view = profile_as_of(profile, date)
        assert view.capital_structure is not None and view.capital_structure.instruments == []
        assert status(view) == status(profile) == "scored"


def test_instruments_not_yet_disclosed_are_unknown_not_none(make: Callable[..., Profile]) -> None:
    instrument = {"name": "Preferred", "kind": "redeemable_preferred", "amount": rmb(30, "p", filing="a1-2025"),
                  "trigger": "listing_failure", "converts_at_listing": True, "sources": ["p"]}
    profile = make({"capital_structure": {"instruments": [instrument], "total_liabilities": rmb(40, "early")}})
    before = profile_as_of(profile, D(2024, 12, 31))
    assert before.capital_structure is not None and before.capital_structure.instruments is None
    assert profile_as_of(profile, D(2024, 6, 14)).capital_structure is None
    after = profile_as_of(profile, D(2025, 3, 31))
    assert [i.name for i in after.capital_structure.instruments] == ["Preferred"]  # type: ignore[union-attr]


def test_a_period_not_ended_by_the_date_is_left_out(make: Callable[..., Profile]) -> None:
    # Valid as a profile (every date <= as_of), e.g. a source reporting the year's figure early or misdated:
    # the view must still validate (it used to raise "period FY2025 ends 2025-12-31, after as_of").
    profile = make({"periods": [{"id": "FY2025", "revenue": rmb(10, "m2025")},   # source dated 2025-03
                                {"id": "2025H1", "revenue": rmb(4, "m2025")}]})
    assert profile_as_of(profile, D(2025, 6, 29)).periods == []
    assert ids(profile_as_of(profile, D(2025, 6, 30)).periods) == ["2025H1"]
    assert ids(profile_as_of(profile, D(2025, 12, 31)).periods) == ["FY2025", "2025H1"]


def test_filing_dates_are_oldest_first_by_last_possible_day_then_id(make: Callable[..., Profile]) -> None:
    profile = make({"filings": [
        {"id": "zz-year", "date": 2025, "exchange": "HKEX", "status": "filed", "sources": ["p"]},
        {"id": "b-month", "date": "2025-06", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
        {"id": "a-day", "date": "2025-06-30", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
        {"id": "c-old", "date": "2021-04-01", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
    ]})
    assert filing_dates(profile) == [
        ("c-old", D(2021, 4, 1)), ("a-day", D(2025, 6, 30)), ("b-month", D(2025, 6, 30)), ("zz-year", D(2025, 12, 31))]
    assert filing_dates(make({"filings": []})) == []


# --------------------------------------------------------------------------- WeDoctor


@lru_cache(maxsize=1)
def wedoctor() -> Profile:
    return load_profile(WEDOCTOR)


@lru_cache(maxsize=1)
def scoring() -> tuple[Any, list[Any]]:
    config = load_config(None)
    return config, registry.select(config)


def test_wedoctor_filing_dates() -> None:
    assert filing_dates(wedoctor()) == [
        ("hkex-2021-04", D(2021, 4, 1)), ("hkex-2024-12", D(2024, 12, 31)), ("hkex-2025-09", D(2025, 9, 30))]


def test_wedoctor_at_the_first_filing() -> None:
    view = profile_as_of(wedoctor(), D(2021, 4, 1))
    assert ids(view.periods) == ["FY2018", "FY2019", "FY2020"]
    assert ids(view.filings) == ["hkex-2021-04"]
    assert view.governance_events == []  # researched; the CSRC penalty (2022-06) is not known yet
    assert view.technology is None and view.capital_structure is None and view.people == [] and view.cumulative == []
    # Only the first prospectus's figures: the 2026 research compilation's versions are not known yet.
    assert [o.amount for o in view.period("FY2020").revenue] == [18.32]
    assert [o.source for o in view.period("FY2020").revenue_growth] == ["niaoge-2022-03"]


def test_wedoctor_at_the_second_filing() -> None:
    view = profile_as_of(wedoctor(), D(2024, 12, 31))
    assert ids(view.periods) == ["FY2018", "FY2019", "FY2020", "FY2021", "FY2022", "FY2023", "2024H1"]
    assert ids(view.filings) == ["hkex-2021-04", "hkex-2024-12"]
    assert sorted(ids(view.governance_events)) == ["cbirc-2021-brokerage", "csrc-2022-yilianzhong", "szse-censure-2024"]
    csrc = next(e for e in view.governance_events if e.id == "csrc-2022-yilianzhong")
    assert csrc.fine is None and csrc.persons == []  # the fine is reported in a 2025 article; Liao is not on file yet
    # FY2022 as the 2024 application gave it; the 2025 application's restated -9.1 is not known yet.
    assert [(o.amount, o.filing) for o in view.period("FY2022").adjusted_net_profit] == [(-8.17, "hkex-2024-12")]
    assert view.period("FY2022").segments == []
    assert view.technology is None and view.capital_structure is None


def test_wedoctor_at_the_third_filing() -> None:
    view = profile_as_of(wedoctor(), D(2025, 9, 30))
    assert ids(view.periods)[-2:] == ["FY2024", "2025H1"] and len(view.periods) == 9
    assert ids(view.filings) == ["hkex-2021-04", "hkex-2024-12", "hkex-2025-09"]
    assert view.technology is not None
    assert [t.name for t in view.technology.core] == ["Medical large language model"]
    assert view.capital_structure is not None and len(view.capital_structure.instruments or []) == 1
    assert view.capital_structure.total_liabilities is None  # research-2026-06 only
    assert [c.start for c in view.cumulative] == ["FY2018"]  # the research compilation's claim comes in 2026
    assert view.period("2025H1").customers.largest_share.root[0].value == 77.6
    # research-2026-06 comes in 2026; the press quoting the September 2025 application counts from the filing
    assert [o.source for o in view.period("2025H1").net_profit] == ["caizhongshe-2025-10"]  # type: ignore[union-attr]


def _key(profile: Profile, loc: tuple) -> str:
    """A location that does not depend on list positions (cumulative claims have no id)."""
    if loc[0] == "cumulative":
        claim = profile.cumulative[loc[1]]
        return f"cumulative[{claim.figure} {claim.start}-{claim.end}]" + "".join(f".{p}" for p in loc[2:])
    return profile.describe_loc(loc)


def _observations(profile: Profile) -> set[tuple]:
    return {(_key(profile, loc), o.source, o.filing, getattr(o, "amount", None), getattr(o, "value", None))
            for loc, figure in profile.iter_figures() for o in figure}


def assert_nothing_leaks(original: Profile, date: dt.date) -> Profile:
    """Every fact in the view was disclosed by ``date``, judged by the original profile."""
    view = profile_as_of(original, date)
    for loc, figure in view.iter_figures():
        assert len(figure) >= 1
        for obs in figure:
            assert disclosed_on(original, obs) <= date, f"{view.describe_loc(loc)} from {obs.source} leaks into {date}"
    assert all(f.date.end <= date for f in view.filings)
    assert all(p.end_date(view.fiscal_year_end_month) <= date for p in view.periods)
    assert all(e.date.end <= date for e in view.governance_events or [])
    known_people = {p.id for p in view.people}
    for person in view.people:
        known = original.filing(person.filing).date.end if person.filing else min(original.source(s).date.end for s in person.sources)
        assert known <= date
    for event in view.governance_events or []:
        assert set(event.persons) <= known_people
    for tech in view.technology.core if view.technology else []:
        known = original.filing(tech.filing).date.end if tech.filing else min(original.source(s).date.end for s in tech.sources)
        assert known <= date
    return view


def assert_nothing_disclosed_is_lost(original: Profile, view: Profile, date: dt.date) -> None:
    """Conversely, every observation disclosed by ``date`` is in the view (WeDoctor has no fact orphaned by its container)."""
    disclosed = set()
    for loc, figure in original.iter_figures():
        for obs in figure:
            if disclosed_on(original, obs) <= date:
                disclosed.add((_key(original, loc), obs.source, obs.filing, getattr(obs, "amount", None), getattr(obs, "value", None)))
    assert _observations(view) == disclosed


@pytest.mark.parametrize("date", [
    D(2021, 3, 31), D(2021, 4, 1), D(2022, 6, 30), D(2024, 12, 30), D(2024, 12, 31),
    D(2025, 9, 29), D(2025, 9, 30), D(2025, 12, 31), D(2026, 6, 29), D(2026, 6, 30),
])
def test_wedoctor_views_hold_only_what_was_disclosed(date: dt.date) -> None:
    view = assert_nothing_leaks(wedoctor(), date)
    assert_nothing_disclosed_is_lost(wedoctor(), view, date)


def test_wedoctor_view_at_its_own_date_is_the_profile() -> None:
    original = wedoctor()
    view = profile_as_of(original, original.as_of)
    assert _observations(view) == _observations(original)
    config, rubrics = scoring()
    assert assess(view, config, rubrics).adjusted_score == assess(original, config, rubrics).adjusted_score


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(D(2015, 1, 1), D(2028, 12, 31)))
@example(D(2021, 3, 31)).via("the day before the first filing")
@example(D(2025, 12, 31)).via("sources dated 2025 become known")
def test_scoring_a_wedoctor_view_never_raises(date: dt.date) -> None:
    view = assert_nothing_leaks(wedoctor(), date)
    config, rubrics = scoring()
    result = assess(view, config, rubrics)
    assert not result.failed
    assert result.adjusted_score is None or 0 <= result.adjusted_score <= 100
    assert result.as_of == date


def test_partial_dates_count_from_their_last_day() -> None:
    # The rule the module states, on the helper it relies on.
    assert PartialDate.parse(2025).end == D(2025, 12, 31)
    assert PartialDate.parse("2024-02").end == D(2024, 2, 29)
    assert PartialDate.parse("2025-09-30").end == D(2025, 9, 30)
