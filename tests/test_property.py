"""Property test: generated, mostly-valid profiles go through validate -> score -> render.

The only acceptable outcomes are a profile refused by ``Profile.model_validate`` (a pydantic
``ValidationError``) or a full run: every built-in rubric scores (or finds no data) without
raising, the adjusted score lies within 0-100 (or is None), the HTML memo carries no raw
``<script``, and rendering twice gives byte-identical Markdown, HTML and JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from riskscore.profile.model import Profile
from riskscore.report.memo import build_memo
from riskscore.report.render import render
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.engine import assess

SOURCE_IDS = ["p", "r", "m", "x1", "x2"]
KINDS = ["prospectus", "regulator", "exchange", "research", "media"]
UNITS = ["RMB 亿", "RMB 万", "RMB million", "RMB", "USD million", "USD bn", "HKD thousand", "EUR k", "人民币 亿", "US$ mn"]
BAD_UNITS = ["XYZ 亿", "RMB lakh", "", "亿"]
NASTY = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</td></tr><script>x</script>", "\"><script>x</script>",
    "a | b | c", "line\nbreak", "**bold** _it_ `code`", "[link](javascript:alert(1))", "&amp; &lt; &#39;", "{{ 7*7 }}",
    "{% raw %}", "微医控股有限公司", "Ω≈ç√∫", "\u202eevil", "zero\u200bwidth", "emoji 🚀", "tab\there", "\\backslash\\",
    "x`<script>y</script>`", "' OR 1=1 --", "   padded   ", "\x0b\x0c", "\ufffe",
]


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], odds: int = 40) -> st.SearchStrategy[Any]:
    """``good`` about ``odds`` times in ``odds + 1``, else ``bad``."""
    return st.integers(0, odds).flatmap(lambda i: bad if i == odds else good)  # shrinks towards good


text = st.one_of(st.sampled_from(NASTY), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24))
short_text = mostly(st.text(alphabet="abcdefgh XYZ-", min_size=1, max_size=12), text, odds=2)


def partial_date(lo: int = 2010, hi: int = 2026) -> st.SearchStrategy[Any]:
    year = st.integers(lo, hi)
    return st.one_of(
        year,
        year.map(str),
        st.tuples(year, st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
        st.dates(dt.date(lo, 1, 1), dt.date(hi, 12, 31)),
        st.dates(dt.date(lo, 1, 1), dt.date(hi, 12, 31)).map(dt.date.isoformat),
    )


early_date = mostly(partial_date(2010, 2025), partial_date(2026, 2030))  # mostly before as_of 2026-06-30
source_ref = mostly(st.sampled_from(["p", "r", "m"]), st.sampled_from(["ghost", "x1", "x2", ""]), odds=150)
finite = st.one_of(
    st.integers(-10**6, 10**6),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.0, -0.0, 1e-9, -1e-9, 5e-324, 1e12, -1e12, 13.68, 13.7]),
)
amount = mostly(finite, st.sampled_from([math.nan, math.inf, -math.inf, "lots", None, True, "13.7"]), odds=150)
nonneg_amount = mostly(finite.map(abs), finite, odds=100)
percent_number = mostly(st.one_of(st.floats(-100, 100, allow_nan=False), st.integers(-50, 100), st.sampled_from([0, 100, 50.5, 77.6, -24.1])),
                        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(100, 300)), odds=60)
percent = mostly(
    st.tuples(percent_number, st.integers(0, 3)).map(lambda t: f"{t[0]:.{t[1]}f}%"),
    st.sampled_from(["nan%", "inf%", "abc", "12", "%", "1e3%", 0.776, 77, math.nan, None, "  5 %", "+3%"]),
    odds=150,
)
share = mostly(st.floats(0, 100, allow_nan=False).map(lambda v: f"{v:.1f}%"), percent, odds=10)


def observation(value_key: str, value: st.SearchStrategy[Any], money: bool) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {value_key: value, "source": source_ref}
    if money:
        fields["unit"] = mostly(st.sampled_from(UNITS), st.sampled_from(BAD_UNITS), odds=80)
    optional = {
        "bound": st.sampled_from(["exact", "about", "at_least", "at_most"]),
        "note": text,
        "filing": mostly(st.just("f1"), st.just("nofiling")),
    }
    return st.fixed_dictionaries(fields, optional=optional)


def figure(value_key: str, value: st.SearchStrategy[Any], money: bool) -> st.SearchStrategy[Any]:
    obs = observation(value_key, value, money)
    return st.one_of(obs, st.lists(obs, min_size=1, max_size=3))


money = figure("amount", amount, True)
revenue = figure("amount", nonneg_amount, True)
pct = figure("value", percent, False)
share_fig = figure("value", share, False)

period_ids = st.one_of(
    st.integers(2015, 2025).map(lambda y: f"FY{y}"),
    st.integers(2015, 2025).map(lambda y: f"{y}H1"),
    st.tuples(st.integers(2015, 2026), st.sampled_from(["H2", "Q1", "Q3", "9M"])).map(lambda t: f"{t[0]}{t[1]}"),
)

segment = st.fixed_dictionaries(
    {"name": short_text},
    optional={"name_zh": text, "parent": short_text, "revenue": revenue, "share": share_fig, "gross_margin": pct, "note": text},
)
customers = st.fixed_dictionaries({}, optional={
    "largest_share": share_fig, "top5_share": share_fig, "largest_counterparty": text,
    "largest_counterparty_type": st.sampled_from(["government", "state_program", "state_owned", "private", "related_party", "consumers", "other"]),
    "sources": st.lists(source_ref, max_size=2), "note": text,
})
period = st.fixed_dictionaries({"id": period_ids}, optional={
    "revenue": revenue, "revenue_growth": pct, "gross_profit": money, "gross_margin": pct, "net_profit": money,
    "adjusted_net_profit": money, "adjusted_net_margin": pct, "operating_cash_flow": money, "rnd_expense": revenue,
    "cash": revenue, "segments": st.lists(segment, max_size=4), "customers": customers, "note": text,
})
person = st.fixed_dictionaries({
    "id": st.sampled_from(["founder", "ceo", "chair"]),
    "name": short_text,
    "roles": st.lists(st.sampled_from(["founder", "controller", "director", "executive", "shareholder"]), min_size=1, max_size=3, unique=True),
    "sources": st.lists(source_ref, min_size=1, max_size=2),
}, optional={"stake": share_fig, "controls": st.booleans(), "in_management": st.booleans(), "name_zh": text, "note": text})
event = st.fixed_dictionaries({
    "id": st.sampled_from(["e1", "e2", "e3", "e4"]),
    "type": mostly(st.sampled_from(["criminal_conviction", "criminal_investigation", "securities_regulator_penalty", "exchange_censure",
                                    "sector_regulator_penalty", "warning_letter"]), st.just("parking_ticket")),
    "regulator": short_text,
    "subjects": st.lists(st.sampled_from(["company", "founder", "controller", "director", "subsidiary"]), min_size=1, max_size=3, unique=True),
    "date": early_date,
    "status": st.sampled_from(["open", "concluded", "appealed"]),
    "description": text,
    "sources": st.lists(source_ref, min_size=1, max_size=2),
}, optional={"persons": st.lists(mostly(st.sampled_from(["founder", "ceo"]), st.just("ghost")), max_size=2), "fine": money})
core_tech = st.fixed_dictionaries({
    "name": short_text, "control": st.sampled_from(["proprietary", "third_party", "shared"]), "sources": st.lists(source_ref, min_size=1, max_size=2),
}, optional={"provider": text, "alternatives": st.lists(text, max_size=2), "fallback_tested": st.booleans(), "description": text})
instrument = st.fixed_dictionaries({
    "name": short_text,
    "kind": st.sampled_from(["redeemable_preferred", "convertible_redeemable_preferred", "convertible_note", "put_right", "other"]),
    "amount": money,
    "trigger": st.sampled_from(["listing_failure", "deadline", "other"]),
    "converts_at_listing": st.booleans(),
}, optional={"trigger_date": partial_date(2020, 2030), "holder_class": text, "description": text, "sources": st.lists(source_ref, max_size=2)})
capital = st.fixed_dictionaries({}, optional={
    "period": period_ids, "instruments": st.lists(instrument, max_size=3), "total_liabilities": money,
    "net_liabilities": money, "cash": revenue, "note": text,
})
filing = st.fixed_dictionaries({
    "id": st.just("f1"), "date": early_date, "exchange": st.sampled_from(["HKEX", "SSE", "NASDAQ", "<b>X</b>"]),
    "status": st.sampled_from(["filed", "lapsed", "withdrawn", "listed"]), "sources": st.lists(source_ref, min_size=1, max_size=2),
}, optional={"periods_reported": st.lists(period_ids, max_size=3), "note": text})
source = st.fixed_dictionaries({
    "title": text, "publisher": text, "date": early_date, "kind": st.sampled_from(KINDS),
}, optional={"language": mostly(st.sampled_from(["zh", "en", "zh-Hans"]), st.just("xx-YYYYY")), "url": text, "file": text, "note": text})


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(SOURCE_IDS), min_size=1, max_size=4, unique=True))
    declared = ids if draw(st.integers(0, 30)) == 30 else ["p", "r", "m"]  # usually declare what the figures cite
    data: dict[str, Any] = {
        "id": draw(mostly(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True), st.sampled_from(["Bad Id", "../x", ".x", ""]))),
        "as_of": draw(mostly(st.just(dt.date(2026, 6, 30)), st.dates(dt.date(2015, 1, 1), dt.date(2027, 12, 31)), odds=10)),
        "presentation_unit": draw(mostly(st.sampled_from(UNITS), st.sampled_from(BAD_UNITS))),
        "company": draw(st.fixed_dictionaries({"name": text}, optional={
            "name_zh": text, "domicile": text, "sector": text, "sources": st.lists(source_ref, max_size=2)})),
        "sources": [dict(draw(source), id=sid) for sid in declared],
    }
    optional = {
        "fiscal_year_end_month": mostly(st.just(12), st.integers(0, 13), odds=8),
        "periods": st.lists(period, min_size=1, max_size=5, unique_by=lambda p: p["id"]),
        "people": st.lists(person, max_size=2, unique_by=lambda p: p["id"]),
        "governance_events": st.one_of(st.none(), st.lists(event, max_size=3, unique_by=lambda e: e["id"])),
        "technology": st.fixed_dictionaries({"core": st.lists(core_tech, max_size=3)}),
        "capital_structure": capital,
        "notes": st.lists(text, max_size=2),
    }
    if draw(mostly(st.just(True), st.just(False))):
        data["filings"] = [draw(filing)]  # observations may cite filing f1
    for key, strategy in optional.items():
        if key == "periods" or draw(st.booleans()):
            value = draw(strategy)
            if value is not None:
                data[key] = value
    people = {p["id"] for p in data.get("people", [])}
    for ev in data.get("governance_events", []):
        if "persons" in ev and draw(mostly(st.just(True), st.just(False), odds=10)):
            ev["persons"] = [pid for pid in ev["persons"] if pid in people]  # usually only declared people
    if "capital_structure" in data:
        periods = [p["id"] for p in data.get("periods", [])]
        if periods and draw(mostly(st.just(True), st.just(False), odds=10)):
            data["capital_structure"]["period"] = draw(st.sampled_from(periods))
        elif draw(mostly(st.just(True), st.just(False), odds=10)):
            data["capital_structure"].pop("period", None)
    return corrupt(draw, data)


# Values a hostile or careless author might put anywhere.
BAD_VALUES = [math.nan, math.inf, -math.inf, "lots", None, "", "nan%", "120%", "-5%", -1, -1e300, 10**30, [], {}, [[[]]],
              "2099-01-01", dt.date(2099, 1, 1), "<script>alert(1)</script>", True, "ghost", "FY2099", {"amount": 1}]


def corrupt(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """Replace up to three values anywhere in the profile (none, about half the time)."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        slots: list[tuple[Any, Any]] = []

        def walk(node: Any, slots: list[tuple[Any, Any]] = slots) -> None:
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, value in list(items):
                slots.append((node, key))
                walk(value)

        walk(data)
        container, key = draw(st.sampled_from(slots))
        container[key] = draw(st.sampled_from(BAD_VALUES))
    return data


@lru_cache(maxsize=1)
def _setup():  # type: ignore[no-untyped-def]
    config = load_config(None)
    return config, registry.select(config)


@lru_cache(maxsize=1)
def _result_validator():  # type: ignore[no-untyped-def]
    import jsonschema

    from riskscore.scoring.engine import Assessment

    return jsonschema.Draft202012Validator(Assessment.model_json_schema(mode="serialization"))


def run_pipeline(data: dict[str, Any]) -> None:
    config, rubrics = _setup()
    try:
        profile = Profile.model_validate(data)
    except ValidationError:
        return  # refused: an acceptable outcome
    assessment = assess(profile, config, rubrics)
    assert not assessment.failed, [(o.id, o.error) for o in assessment.failed]  # built-in rubrics never raise on valid input
    for score in (assessment.adjusted_score, assessment.indicated_score):
        assert score is None or (math.isfinite(score) and 0 <= score <= 100), score
    assert (assessment.adjusted_score is None) == (assessment.indicated_score is None)
    if assessment.adjusted_score is not None:
        assert assessment.adjusted_score >= assessment.indicated_score  # type: ignore[operator]
    memo = build_memo(profile, assessment, config, rubrics)
    md, html = render(memo, "md"), render(memo, "html")
    js = assessment.model_dump_json(indent=2)
    assert "<script" not in html.lower()
    errors = list(_result_validator().iter_errors(json.loads(js)))
    assert not errors, [(list(e.path), e.message) for e in errors[:3]]
    # Deterministic: a second assessment and rendering are byte-identical.
    again = assess(profile, config, rubrics)
    memo2 = build_memo(profile, again, config, rubrics)
    assert render(memo2, "md") == md
    assert render(memo2, "html") == html
    assert again.model_dump_json(indent=2) == js


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(profiles())
@example({"id": "golden", "as_of": dt.date(2026, 6, 30), "presentation_unit": "RMB 亿", "company": {"name": "<script>x</script>"},
          "sources": [{"id": "p", "title": "t", "publisher": "p", "date": "2025", "kind": "prospectus"}],
          "periods": [{"id": "FY2024", "revenue": {"amount": 0, "unit": "RMB 亿", "source": "p"},
                       "adjusted_net_profit": {"amount": -1, "unit": "RMB 亿", "source": "p"},
                       "segments": [{"name": "<b>core</b>", "revenue": {"amount": 1, "unit": "RMB 亿", "source": "p"}}]}]})
def test_validate_score_render_never_crashes(data: dict[str, Any]) -> None:
    run_pipeline(data)


def _valid_fraction() -> float:
    """How many generated profiles validate (a guard that the property exercises scoring and rendering)."""
    valid = total = 0

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(profiles())
    def count(data: dict[str, Any]) -> None:
        nonlocal valid, total
        total += 1
        try:
            Profile.model_validate(data)
            valid += 1
        except ValidationError:
            pass

    count()
    return valid / total


def test_generator_produces_valid_profiles_often_enough() -> None:
    assert _valid_fraction() >= 0.2


def _profile(periods: list[dict[str, Any]], unit: str = "RMB 亿") -> dict[str, Any]:
    return {"id": "extreme", "as_of": dt.date(2026, 6, 30), "presentation_unit": unit, "company": {"name": "Extreme"},
            "sources": [{"id": "p", "title": "t", "publisher": "p", "date": "2025", "kind": "prospectus"}], "periods": periods}


def _money(amount: float, unit: str = "RMB 亿") -> dict[str, Any]:
    return {"amount": amount, "unit": unit, "source": "p"}


EXTREMES = [
    # 1e300 USD bn is a finite amount whose base value (1e309) overflows to inf: losses computes inf/inf.
    pytest.param(_profile([{"id": "FY2025", "revenue": _money(1e300, "USD bn"), "adjusted_net_profit": _money(-1e300, "USD bn")}], "USD bn"),
                 id="amounts_overflow_in_base_units"),
    # A tiny positive revenue makes a segment's derived share inf: margin averages inf/inf.
    pytest.param(_profile([{"id": "FY2024", "revenue": _money(5e-324), "gross_margin": {"value": "10%", "source": "p"},
                            "segments": [{"name": "A", "revenue": _money(1), "gross_margin": {"value": "-50%", "source": "p"}}]}]),
                 id="tiny_revenue_segment_share_overflows"),
]


@pytest.mark.parametrize("data", EXTREMES)
def test_extreme_amounts_are_refused_or_scored(data: dict[str, Any]) -> None:
    run_pipeline(data)
