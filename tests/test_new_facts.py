"""What disclosures say that the model holds since issue 11: validation, point-in-time, memo.

Each kind of fact is scored by a rubric (see tests/rubric_cases/*.yaml); here: the bad-input
cases, the one partial-date rule shared by `score --as-of`, `trend` and `calibrate`, and what
the memo shows (the stage each filing reached).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.profile.listing import stage
from riskscore.profile.model import Period, Profile
from riskscore.profile.pointintime import profile_as_of
from riskscore.profile.quality import check_profile

FILING = {"id": "hk", "date": "2025-09", "exchange": "HKEX", "status": "filed", "sources": ["p"]}


def run(*args: Any):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args])


def rmb(amount: float, source: str = "p", **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


# --------------------------------------------------------------------------- bad input, one line each


@pytest.mark.parametrize("fragment, message", [
    # filings known only by their listing date
    ({"filings": [{"id": "a", "exchange": "HKEX", "status": "filed", "sources": ["p"]}]}, "needs `date`"),
    ({"filings": [{"id": "a", "listing_date": "2025-01", "exchange": "HKEX", "status": "filed", "sources": ["p"]}]}, "only for a filing whose status is listed"),
    ({"filings": [{"id": "a", "date": "2025-03", "listing_date": "2025-01", "exchange": "HKEX", "status": "listed", "sources": ["p"]}]}, "before it was filed"),
    # milestones
    ({"filings": [FILING], "milestones": [{"filing": "zz", "kind": "hearing_passed", "date": "2026-01", "source": "m"}]}, "unknown filing id 'zz'"),
    ({"filings": [FILING], "milestones": [{"filing": "hk", "kind": "hearing_passed", "date": "2025-01", "source": "m"}]}, "before the filing"),
    ({"filings": [FILING], "milestones": [{"filing": "hk", "kind": "lapsed", "date": "2026-03", "source": "m"}]}, "the milestone says lapsed but filing 'hk' has status filed"),
    ({"filings": [FILING], "milestones": [{"filing": "hk", "kind": "hearing_passed", "date": "2026-08", "source": "m"}]}, "after as_of"),
    ({"filings": [FILING], "milestones": [{"filing": "hk", "kind": "hearing_passd", "date": "2026-01", "source": "m"}]}, "hearing_passed"),
    ({"filings": [FILING], "milestones": [{"filing": "hk", "kind": "hearing_passed", "date": "2026-01", "source": "nope"}]}, "unknown source id 'nope'"),
    # capital events
    ({"capital_events": [{"kind": "dividend", "period": "FY2030", "source": "m"}]}, "unknown period id 'FY2030'"),
    ({"capital_events": [{"kind": "dividend", "date": "2027-01", "source": "m"}]}, "after as_of"),
    # governance: inquiries are not penalties
    ({"governance_events": [{"id": "i", "type": "regulatory_inquiry", "regulator": "CSRC", "subjects": ["company"], "date": "2025-01",
                             "status": "concluded", "description": "d", "sources": ["p"]}]}, "open or closed"),
    ({"governance_events": [{"id": "i", "type": "exchange_censure", "regulator": "SZSE", "subjects": ["company"], "date": "2025-01",
                             "status": "closed", "description": "d", "sources": ["p"]}]}, "'closed' is for an inquiry"),
    ({"governance_events": [{"id": "i", "type": "regulatory_review", "regulator": "CAC", "subjects": ["company"], "date": "2025-01",
                             "status": "open", "fine": rmb(1), "description": "d", "sources": ["p"]}]}, "carries no fine"),
    # a company as holder
    ({"people": [{"id": "co", "kind": "company", "name": "Parent", "roles": ["founder"], "sources": ["p"]}]}, "cannot be founder"),
    ({"people": [{"id": "co", "kind": "company", "name": "Parent", "roles": ["controller"], "in_management": False, "sources": ["p"]}]}, "for a person"),
    # losses without an amount
    ({"periods": [{"id": "FY2025", "net_profit": rmb(2), "loss_making": {"source": "m"}}]}, "every profit on file is positive"),
    ({"periods": [{"id": "FY2025", "loss_making": {"source": "zz"}}]}, "unknown source id 'zz'"),
    # customers
    ({"periods": [{"id": "FY2025", "customers": {"concentration": {"level": "extreme", "source": "m"}}}]}, "very_high"),
    ({"periods": [{"id": "FY2025", "customers": {"related_party_share": {"value": "120%", "source": "m"}}}]}, "0%-100%"),
    ({"periods": [{"id": "FY2025", "customers": {"largest_relation": "uncle", "sources": ["m"]}}]}, "parent_affiliate"),
    # balance sheet
    ({"capital_structure": {"total_assets": rmb(-5)}}, "positive amount"),
    ({"capital_structure": {"liabilities_to_assets": {"value": "-5%", "source": "p"}}}, "cannot be negative"),
    # technology
    ({"technology": {"core": [{"name": "X", "control": "third_party", "provider_relation": "cousin", "sources": ["p"]}]}}, "strategic_shareholder"),
    ({"technology": {"core": [{"name": "X", "control": "third_party", "contract_end": "2027-13", "sources": ["p"]}]}}, "not a calendar date"),
    # periods of any length, R&D share
    ({"periods": [{"id": "2025-12M"}]}, "pattern"),
    ({"periods": [{"id": "FY2025", "rnd_share": {"value": "101%", "source": "p"}}]}, "0%-100%"),
    # a quote on an instrument needs its source
    ({"capital_structure": {"instruments": [{"name": "P", "kind": "other", "trigger": "other", "converts_at_listing": True, "quote": "可赎回"}]}}, "a quote needs the source"),
])
def test_bad_input(make_profile_data: Callable[..., dict[str, Any]], fragment: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Profile.model_validate(make_profile_data(fragment))


@pytest.mark.parametrize("period_id, months, end", [
    ("2024Q1", 3, dt.date(2024, 3, 31)),
    ("2024-8M", 8, dt.date(2024, 8, 31)),
    ("2024-9M", 9, dt.date(2024, 9, 30)),
    ("2024-1M", 1, dt.date(2024, 1, 31)),
    ("2024-11M", 11, dt.date(2024, 11, 30)),
])
def test_periods_of_any_length(period_id: str, months: int, end: dt.date) -> None:
    period = Period(id=period_id)
    assert (period.months, period.end_date()) == (months, end)


def test_eight_months_in_a_march_fiscal_year() -> None:
    assert Period(id="2024-8M").end_date(fiscal_year_end_month=3) == dt.date(2023, 11, 30)


def test_valid_new_facts_load(make_profile) -> None:  # type: ignore[no-untyped-def]
    profile = make_profile({
        "filings": [FILING, {"id": "old", "listing_date": "2020-07", "exchange": "HKEX", "status": "listed", "sources": ["p"]}],
        "milestones": [{"filing": "hk", "kind": "sponsor_appointed", "date": "2025-06", "party": "CMBI", "source": "m"},
                       {"filing": "hk", "kind": "hearing_passed", "date": "2026-03", "source": "m", "unverified": True}],
        "capital_events": [{"kind": "dividend", "period": "FY2025", "source": "m"}],
        "periods": [{"id": "FY2025", "loss_making": {"source": "m"}, "operating_profit": rmb(-2)}],
        "people": [{"id": "co", "kind": "company", "name": "Parent", "roles": ["controller"], "controls": True, "sources": ["p"]}],
        "capital_structure": {"net_current_liabilities": rmb(3), "total_assets": rmb(100), "total_liabilities": rmb(120),
                              "liabilities_to_assets": {"value": "120%", "source": "p"},
                              "instruments": [{"name": "P", "kind": "redeemable_preferred", "trigger": "listing_failure", "converts_at_listing": True, "sources": ["m"]}]},
    })
    assert profile.filing("old").known_date.text == "2020-07"
    assert stage(profile, profile.filing("hk")).kind == "hearing_passed"
    assert check_profile(profile) == []                       # 120 / 100 = 120%: the stated ratio matches


def test_stated_liabilities_to_assets_is_checked(make_profile) -> None:  # type: ignore[no-untyped-def]
    profile = make_profile({"capital_structure": {"total_assets": rmb(100), "total_liabilities": rmb(120), "liabilities_to_assets": {"value": "80%", "source": "m"}}})
    [finding] = check_profile(profile)
    assert finding.field == "capital_structure.liabilities_to_assets" and "120.0%" in finding.message


# --------------------------------------------------------------------------- the one partial-date rule


def test_a_year_dated_source_counts_from_its_last_day_but_never_after_as_of(make_profile) -> None:  # type: ignore[no-untyped-def]
    profile = make_profile({
        "sources": [{"id": "y", "title": "Yearly", "publisher": "P", "date": "2026", "kind": "media"},
                    {"id": "p", "title": "Prospectus", "publisher": "HKEX", "date": "2025-03-31", "kind": "prospectus"}],
        "periods": [{"id": "FY2024", "revenue": [rmb(10, "y"), rmb(10, "p")]}],
    })
    assert [o.source for o in profile_as_of(profile, dt.date(2026, 3, 1)).periods[0].revenue] == ["p"]   # not yet: 2026 counts from its end
    at_as_of = profile_as_of(profile, profile.as_of)                                                       # ... clamped to as_of
    assert [o.source for o in at_as_of.periods[0].revenue] == ["y", "p"]


def test_trend_last_point_equals_score_and_score_as_of(tmp_path: Path) -> None:
    from riskscore.analysis.trend import follow
    from riskscore.profile.load import load_profile
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    profile = load_profile("companies/wedoctor.yaml")
    config = load_config(None)
    rubrics = registry.select(config)
    trend = follow(profile, config, rubrics)
    whole = assess(profile, config, rubrics)
    assert trend.points[-1].date == profile.as_of
    assert trend.points[-1].assessment == whole
    result = run("score", "companies/wedoctor.yaml", "--json", "--as-of", profile.as_of.isoformat())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(whole.model_dump_json())
    # and at a filing date, score --as-of is the trend's point
    point = trend.points[1]
    result = run("score", "companies/wedoctor.yaml", "--json", "--as-of", point.date.isoformat())
    assert json.loads(result.stdout)["adjusted_score"] == point.assessment.adjusted_score


@pytest.mark.parametrize("value, message", [("2026-13-01", "expected a date"), ("2027-01-01", "after the profile's as_of")])
def test_score_as_of_bad_dates(value: str, message: str) -> None:
    result = run("score", "companies/wedoctor.yaml", "--as-of", value)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_milestones_and_capital_events_count_from_their_dates(make_profile) -> None:  # type: ignore[no-untyped-def]
    profile = make_profile({"filings": [FILING],
                     "milestones": [{"filing": "hk", "kind": "hearing_passed", "date": "2026-03", "source": "m"}],
                     "capital_events": [{"kind": "dividend", "date": "2026-02", "source": "m"}],
                     "periods": [{"id": "FY2025", "loss_making": {"source": "p"}}]})
    early = profile_as_of(profile, dt.date(2026, 2, 15))
    assert early.milestones == [] and early.capital_events == []
    assert early.periods == []                  # a statement in words counts from its source's date (p: 2026-03-31)
    later = profile_as_of(profile, dt.date(2026, 3, 31))
    assert len(later.milestones) == 1 and len(later.capital_events) == 1
    assert later.periods[0].loss_making is not None


# --------------------------------------------------------------------------- the memo says which stage each filing reached


def test_memo_shows_the_stage_each_filing_reached(tmp_path: Path, make_profile_data) -> None:  # type: ignore[no-untyped-def]
    data = make_profile_data({
        "filings": [FILING],
        "milestones": [{"filing": "hk", "kind": "sponsor_appointed", "date": "2025-06", "party": "CMBI", "source": "m"},
                       {"filing": "hk", "kind": "hearing_passed", "date": "2026-03", "source": "m", "unverified": True}],
    })
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run("memo", path, "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "testco.md").read_text(encoding="utf-8")
    assert "| 2025-09 | HKEX | hearing passed (unverified) — sponsor appointed: CMBI 2025-06; hearing passed 2026-03 (unverified) |" in md


def test_losses_names_the_operating_margin_when_it_falls_back_to_it(make_profile, default_config) -> None:  # type: ignore[no-untyped-def]
    """With neither an adjusted nor an IFRS result, the losses rubric scores the operating margin:
    its label, evidence, narrative and path say so (they used to call it the IFRS net margin and point at net_profit)."""
    from riskscore.report.i18n import Translator, catalogue
    from riskscore.scoring import registry

    profile = make_profile({"periods": [
        {"id": "FY2024", "revenue": rmb(10), "operating_profit": rmb(-3)},
        {"id": "FY2025", "revenue": rmb(10), "operating_profit": rmb(-1)}]})
    (losses,) = [r for r in registry.select(default_config) if r.id == "losses"]
    result = losses().score(profile, registry.params_for(losses, default_config))
    metric = next(m for m in result.metrics if m.id == "adjusted_net_margin")
    assert (str(metric.label), metric.value, metric.path) == ("Operating margin", -10.0, "periods[FY2025].operating_profit")
    statements = [str(e.statement) for e in result.evidence]
    assert "The operating margin was -10.0% in FY2025." in statements
    assert "The operating margin moved from -30.0% (FY2024) to -10.0% (FY2025)." in statements
    assert "net margin" not in " ".join(statements).lower()
    assert str(result.narrative).startswith("Operating margin of -10.0% in FY2025.")
    zh = Translator("zh", catalogue("zh", [losses]))
    assert metric.label.localize(zh) == "经营利润率"
