"""Data-quality checks (riskscore.profile.quality): each check at its boundaries, WeDoctor's findings, and where they show."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.profile.quality import Finding, check_profile

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
runner = CliRunner()

FILINGS = [
    {"id": "f1", "date": "2024-06-30", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
    {"id": "f2", "date": "2025-06-30", "exchange": "HKEX", "status": "filed", "sources": ["p"]},
]


def run(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def rmb(amount: float, source: str = "p", **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


def pct(value: str, source: str = "p", **extra: Any) -> dict[str, Any]:
    return {"value": value, "source": source, **extra}


@pytest.fixture
def check(make_profile_data: Callable[..., dict[str, Any]]) -> Callable[..., list[Finding]]:
    """``check(fragment)``: the findings on the base profile with ``fragment`` merged in."""

    def findings(fragment: dict[str, Any], only: str | None = None) -> list[Finding]:
        found = check_profile(Profile.model_validate(make_profile_data({"filings": FILINGS, **fragment})))
        return [f for f in found if only is None or f.check == only]

    return findings


def segments(*shares: str, revenue: list[float] | None = None) -> list[dict[str, Any]]:
    out = []
    for i, share in enumerate(shares):
        seg: dict[str, Any] = {"name": f"Seg {i}"}
        if share:
            seg["share"] = pct(share)
        if revenue:
            seg["revenue"] = rmb(revenue[i])
        out.append(seg)
    return out


# --------------------------------------------------------------------------- segments


@pytest.mark.parametrize("shares", [
    ("33.3%", "33.3%", "33.4%"),
    ("33.3%", "33.3%", "33.3%"),   # 99.9%: within the rounding of three one-decimal figures (up to 100.05%)
    ("33%", "33%", "33%"),         # 99%: three whole numbers may each hide half a point
    ("50.1%", "50%"),              # 100.1%: within rounding the other way (the low end is 50.05 + 49.5)
    ("100%",),
])
def test_top_level_shares_adding_up_within_rounding_pass(check: Callable[..., list[Finding]], shares: tuple[str, ...]) -> None:
    assert check({"periods": [{"id": "FY2025", "segments": segments(*shares)}]}, "segments") == []


@pytest.mark.parametrize("shares,total", [
    (("45.9%", "46.5%"), "92.4%"),
    (("33.3%", "33.3%", "33.2%"), "99.8%"),   # high end 99.95%
    (("50.1%", "50.1%"), "100.2%"),           # low end 100.1%
    (("50.05%", "50.04%"), "100.09%"),        # low end 100.08%
    (("98%",), "98%"),
])
def test_top_level_shares_not_adding_up_warn(check: Callable[..., list[Finding]], shares: tuple[str, ...], total: str) -> None:
    [finding] = check({"periods": [{"id": "FY2025", "segments": segments(*shares)}]}, "segments")
    assert finding.severity == "warning"
    assert finding.field == "periods[FY2025].segments"
    assert finding.message.startswith(f"top-level segment shares add up to {total}, not 100%")
    assert finding.sources == ("p",)


def test_incomplete_shares_only_warn_when_they_already_exceed_100(check: Callable[..., list[Finding]]) -> None:
    # A third top-level segment without a share: 92.4% may be right; 110% cannot be.
    assert check({"periods": [{"id": "FY2025", "segments": segments("45.9%", "46.5%", "")}]}, "segments") == []
    [finding] = check({"periods": [{"id": "FY2025", "segments": segments("60%", "50%", "")}]}, "segments")
    assert "add up to 110%" in finding.message


def test_sub_segments_are_left_out_of_the_top_level_sum(check: Callable[..., list[Finding]]) -> None:
    segs = segments("60%", "40%") + [{"name": "Child", "parent": "Seg 0", "share": pct("59.9%")}]
    assert check({"periods": [{"id": "FY2025", "segments": segs}]}, "segments") == []


def _with_children(parent: str, *children: dict[str, Any]) -> list[dict[str, Any]]:
    rest = f"{100 - float(parent.rstrip('%')):.1f}%"
    return [{"name": "AI", "share": pct(parent)}, {"name": "Other", "share": pct(rest)}] + [
        {"name": f"Child {i}", "parent": "AI", "share": c} for i, c in enumerate(children)]


def test_sub_segments_match_their_parent_with_an_at_most_bound(check: Callable[..., list[Finding]]) -> None:
    # WeDoctor 2025H1: 77.6 + 14.6 + "不足 0.1%" against 92.2%.
    children = (pct("77.6%"), pct("14.6%"), pct("0.1%", bound="at_most"))
    assert check({"periods": [{"id": "2025H1", "segments": _with_children("92.2%", *children)}]}, "segments") == []
    # Exact children that add up within rounding: 77.6 + 14.6 + 0.1 = 92.3 against 92.2 (92.15-92.45 vs 92.15-92.25).
    assert check({"periods": [{"id": "2025H1", "segments": _with_children("92.2%", pct("77.6%"), pct("14.6%"), pct("0.1%"))}]}, "segments") == []


def test_sub_segments_short_of_their_parent_warn(check: Callable[..., list[Finding]]) -> None:
    children = (pct("77.6%"), pct("14.6%"), pct("0.1%", bound="at_most"))  # at most 92.45%
    [finding] = check({"periods": [{"id": "2025H1", "segments": _with_children("95.0%", *children)}]}, "segments")
    assert finding.field == "periods[2025H1].segments[AI]"
    assert finding.message == "the sub-segments of AI add up to 92.3%, not its 95.0%"
    assert finding.severity == "warning"


def test_sub_segments_exceeding_their_parent_warn(check: Callable[..., list[Finding]]) -> None:
    [finding] = check({"periods": [{"id": "2025H1", "segments": _with_children("80.0%", pct("77.6%"), pct("14.6%"))}]}, "segments")
    assert finding.message == "the sub-segments of AI add up to 92.2%, not its 80.0%"


def test_a_child_without_a_share_skips_the_parent_check(check: Callable[..., list[Finding]]) -> None:
    segs = _with_children("80.0%", pct("77.6%"), pct("14.6%")) + [{"name": "Unknown", "parent": "AI"}]
    assert check({"periods": [{"id": "2025H1", "segments": segs}]}, "segments") == []


def test_an_at_most_share_does_not_hide_a_sum_exceeding_its_bound(check: Callable[..., list[Finding]]) -> None:
    # A share is never below 0%: "at most 0.1%" is 0-0.1%, not -inf-0.1% (which used to hide any excess).
    children = (pct("77.6%"), pct("14.6%"), pct("0.1%", bound="at_most"))
    [finding] = check({"periods": [{"id": "2025H1", "segments": _with_children("80.0%", *children)}]}, "segments")
    assert finding.message == "the sub-segments of AI add up to 92.3%, not its 80.0%"
    segs = segments("60%", "50%") + [{"name": "Tiny", "share": pct("1%", bound="at_most")}]
    [finding] = check({"periods": [{"id": "FY2025", "segments": segs}]}, "segments")
    assert finding.message.startswith("top-level segment shares add up to 111%")
    segs = segments("60%", "39.9%") + [{"name": "Tiny", "share": pct("1%", bound="at_most")}]
    assert check({"periods": [{"id": "FY2025", "segments": segs}]}, "segments") == []


def test_segment_revenues_exceeding_total_revenue_warn(check: Callable[..., list[Finding]]) -> None:
    def period(total: float, *parts: float) -> dict[str, Any]:
        return {"periods": [{"id": "FY2025", "revenue": rmb(total),
                             "segments": [{"name": f"S{i}", "revenue": rmb(x)} for i, x in enumerate(parts)]}]}

    assert check(period(10.0, 6.0, 4.0), "segments") == []
    assert check(period(10.0, 6.0, 4.1), "segments") == []   # low end 5.95 + 4.05 = 10.0 <= 10.05: within rounding
    assert check(period(10, 6, 5), "segments") == []         # whole numbers: 5.5 + 4.5 = 10 <= 10.5
    [finding] = check(period(10.0, 6.0, 4.2), "segments")    # low end 10.1 > 10.05
    assert finding.message == "segment revenues add up to more than total revenue"
    assert finding.field == "periods[FY2025].segments"


def test_segment_revenue_in_another_scale_is_converted(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2025", "revenue": rmb(10.0),
                             "segments": [{"name": "A", "revenue": {"amount": 600.0, "unit": "RMB million", "source": "p"}},
                                          {"name": "B", "revenue": rmb(5.0)}]}]}
    assert len(check(fragment, "segments")) == 1  # 6 亿 + 5 亿 > 10 亿


def test_sub_segment_revenue_is_not_added_to_the_top_level(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2025", "revenue": rmb(10.0), "segments": [
        {"name": "A", "revenue": rmb(8.0)}, {"name": "A1", "parent": "A", "revenue": rmb(7.0)}]}]}
    assert check(fragment, "segments") == []


# --------------------------------------------------------------------------- growth


def _growth(previous: float, current: float, stated: str, annual: bool = True) -> dict[str, Any]:
    ids = ("FY2019", "FY2020") if annual else ("2024H1", "2025H1")
    return {"periods": [{"id": ids[0], "revenue": rmb(previous)},
                        {"id": ids[1], "revenue": rmb(current), "revenue_growth": pct(stated, "r")}]}


@pytest.mark.parametrize("previous,current,stated", [
    (5.0, 18.3, "266%"),      # 18.25/5.05 - 1 = 261.4% … 18.35/4.95 - 1 = 270.7%
    (5.06, 18.32, "262.1%"),
    (5.06, 18.32, "262%"),
    (10, 12, "20%"),
])
def test_stated_growth_consistent_within_rounding(check: Callable[..., list[Finding]], previous: float, current: float, stated: str) -> None:
    assert check(_growth(previous, current, stated), "growth") == []


def test_stated_growth_inconsistent_warns(check: Callable[..., list[Finding]]) -> None:
    # 18.315/5.065 - 1 = 261.6% … 18.325/5.055 - 1 = 262.5%: 266% is out.
    [finding] = check(_growth(5.06, 18.32, "266%"), "growth")
    assert finding.field == "periods[FY2020].revenue_growth"
    assert finding.severity == "warning"
    assert finding.message == ("stated growth 266% (r) does not match revenue RMB 18.32 亿 (FY2020, p) over RMB 5.06 亿 (FY2019, p): 262.1%")
    assert finding.sources == ("r", "p")


def test_growth_uses_the_most_precise_figures_on_file(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [
        {"id": "FY2019", "revenue": [rmb(5.06, "m"), rmb(5.0, "r")]},
        {"id": "FY2020", "revenue": [rmb(18.32, "m"), rmb(18.3, "r")], "revenue_growth": pct("266%", "r")},
    ]}
    assert len(check(fragment, "growth")) == 1


def test_interim_growth_compares_the_same_interim_a_year_before(check: Callable[..., list[Finding]]) -> None:
    assert check(_growth(18.2, 30.8, "69.2%", annual=False), "growth") == []
    [finding] = check(_growth(18.2, 30.8, "80%", annual=False), "growth")
    assert finding.field == "periods[2025H1].revenue_growth"


def test_growth_without_the_previous_period_is_not_checked(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2020", "revenue": rmb(18.32), "revenue_growth": pct("500%", "r")}]}
    assert check(fragment, "growth") == []


# --------------------------------------------------------------------------- cumulative


LOSSES = [
    {"id": "FY2022", "adjusted_net_profit": rmb(-9.1)},
    {"id": "FY2023", "adjusted_net_profit": rmb(-4.9)},
    {"id": "FY2024", "adjusted_net_profit": rmb(-2.5)},
    {"id": "2025H1", "adjusted_net_profit": rmb(-1.3)},
]


def _claim(start: str, end: str, value: dict[str, Any], figure: str = "adjusted_net_profit") -> dict[str, Any]:
    return {"periods": LOSSES, "cumulative": [{"figure": figure, "from": start, "to": end, "value": value}]}


@pytest.mark.parametrize("start,end,value", [
    ("FY2022", "FY2024", rmb(-16.5, "r")),
    ("FY2022", "2025H1", rmb(-17.8, "r")),               # fiscal years plus the closing interim
    ("FY2022", "FY2024", rmb(-17, "r", bound="about")),  # about: ±5%
    ("FY2023", "FY2024", rmb(-7.4, "r")),
])
def test_cumulative_claim_matching_its_periods(check: Callable[..., list[Finding]], start: str, end: str, value: dict[str, Any]) -> None:
    assert check(_claim(start, end, value), "cumulative") == []


def test_cumulative_claim_contradicted_by_its_periods(check: Callable[..., list[Finding]]) -> None:
    [finding] = check(_claim("FY2022", "FY2024", rmb(-51.8, "r")), "cumulative")
    assert finding.severity == "warning"
    assert finding.field == "cumulative adjusted_net_profit FY2022–FY2024"
    assert finding.message == "r gives RMB -51.8 亿; the periods it covers add up to RMB -16.5 亿"
    assert finding.sources == ("r", "p")


def test_cumulative_claim_with_a_missing_period_is_unverifiable_info(check: Callable[..., list[Finding]]) -> None:
    [finding] = check(_claim("FY2021", "FY2024", rmb(-30, "r", bound="about")), "cumulative")
    assert finding.severity == "info"
    assert finding.message == ("r gives about RMB -30 亿; cannot be checked fully, FY2021 not on file; "
                               "the periods on file add up to RMB -16.5 亿")


def test_cumulative_claim_already_exceeded_by_the_periods_on_file_warns(check: Callable[..., list[Finding]]) -> None:
    # FY2021 is missing, but FY2022-FY2024 alone lose 16.5: a total loss of 10 cannot be right.
    [finding] = check(_claim("FY2021", "FY2024", rmb(-10, "r")), "cumulative")
    assert finding.severity == "warning"
    assert finding.message == "r gives RMB -10 亿; the periods on file alone add up to RMB -16.5 亿"


def test_cumulative_positive_claim_exceeded_by_the_periods_on_file(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2023", "revenue": rmb(18.6)}, {"id": "FY2024", "revenue": rmb(55)}],
                "cumulative": [{"figure": "revenue", "from": "FY2022", "to": "FY2024", "value": rmb(60, "r")}]}
    [finding] = check(fragment, "cumulative")
    assert finding.severity == "warning" and "the periods on file alone add up to RMB 73.6 亿" in finding.message
    fragment["cumulative"][0]["value"] = rmb(90, "r")  # FY2022 could make up the difference
    [finding] = check(fragment, "cumulative")
    assert finding.severity == "info" and "FY2022 not on file" in finding.message


@pytest.mark.parametrize("periods,start,end,claimed,severities", [
    ([("FY2024", 10.0), ("2025Q3", 3.0)], "FY2024", "2025Q3", 13.0, ["info"]),   # Jan-Jun 2025 not on file
    ([("FY2024", 10.0), ("2025H2", 3.0)], "FY2024", "2025H2", 13.0, ["info"]),   # 2025H1 not on file
    ([("FY2024", 10.0), ("2024H2", 6.0)], "2024H2", "FY2024", 6.0, []),          # the claim is 2024H2 alone
])
def test_cumulative_claims_bounded_by_interims_cover_the_right_months(
        check: Callable[..., list[Finding]], periods: list[tuple[str, float]], start: str, end: str, claimed: float, severities: list[str]) -> None:
    fragment = {"periods": [{"id": ident, "revenue": rmb(amount)} for ident, amount in periods],
                "cumulative": [{"figure": "revenue", "from": start, "to": end, "value": rmb(claimed, "r")}]}
    assert [f.severity for f in check(fragment, "cumulative")] == severities


def test_cumulative_claim_in_another_scale(check: Callable[..., list[Finding]]) -> None:
    assert check(_claim("FY2022", "FY2024", {"amount": -1650, "unit": "RMB million", "source": "r"}), "cumulative") == []


# --------------------------------------------------------------------------- stated margin


@pytest.mark.parametrize("stated,ok", [("-4.2%", True), ("-4.22%", True), ("-4%", True), ("-5.0%", False), ("4.2%", False)])
def test_stated_adjusted_margin(check: Callable[..., list[Finding]], stated: str, ok: bool) -> None:
    fragment = {"periods": [{"id": "2025H1", "revenue": rmb(30.8), "adjusted_net_profit": rmb(-1.3),
                             "adjusted_net_margin": pct(stated, "r")}]}
    found = check(fragment, "stated_margin")
    if ok:
        assert found == []
    else:
        [finding] = found
        assert finding.field == "periods[2025H1].adjusted_net_margin"
        sign = " (the signs differ)" if not stated.startswith("-") else ""
        assert finding.message == f"stated {stated} (r) does not match adjusted net profit over revenue: -4.2%{sign}"
        assert finding.severity == "warning"


@pytest.mark.parametrize("field, numerator, amount, stated, ok", [
    ("gross_margin", "gross_profit", 4.1, "13.4%", True),      # 4.1 / 30.8 = 13.31%, 4.05..4.15 / 30.75..30.85 admits 13.4
    ("gross_margin", "gross_profit", 4.1, "13.7%", False),
    ("gross_margin", "gross_profit", -4.1, "13.3%", False),    # a gross loss beside a positive stated margin: the sign
    ("gross_margin", "gross_profit", -4.1, "-13.3%", True),
    ("net_margin", "net_profit", -6.75, "-21.9%", True),       # -6.75 / 30.8 = -21.92%
    ("net_margin", "net_profit", -6.75, "-25%", False),
    ("rnd_share", "rnd_expense", 0.4, "1.3%", True),          # 0.4 / 30.8 = 1.30%
    ("rnd_share", "rnd_expense", 0.4, "13%", False),
])
def test_stated_ratios_against_their_figures(check: Callable[..., list[Finding]], field: str, numerator: str, amount: float, stated: str, ok: bool) -> None:
    fragment = {"periods": [{"id": "2025H1", "revenue": rmb(30.8), numerator: rmb(amount), field: pct(stated, "r")}]}
    found = check(fragment, "stated_margin")
    assert [f.field for f in found] == ([] if ok else [f"periods[2025H1].{field}"])
    if not ok and amount < 0 < float(stated.rstrip("%")):
        assert found[0].message.endswith("(the signs differ)")


@pytest.mark.parametrize("share, ok", [("77.6%", True), ("77.55%", True), ("70%", False)])
def test_segment_share_against_its_revenue(check: Callable[..., list[Finding]], share: str, ok: bool) -> None:
    fragment = {"periods": [{"id": "2025H1", "revenue": rmb(30.8), "segments": [
        {"name": "Membership", "revenue": rmb(23.9), "share": pct(share, "m")}]}]}   # 23.9 / 30.8 = 77.60%
    found = check(fragment, "stated_share")
    assert [f.field for f in found] == ([] if ok else ["periods[2025H1].segments[Membership].share"])


def test_the_same_amount_as_two_concepts_is_a_conflict(check: Callable[..., list[Finding]]) -> None:
    fragment = {"capital_structure": {"net_liabilities": rmb(253, "m"), "total_liabilities": rmb(253, "r")}}
    [finding] = check(fragment, "concept")
    assert finding.field == "capital_structure" and finding.severity == "warning"
    assert finding.message.startswith("the same amount, RMB 253 亿, is net liabilities in m and total liabilities in r")
    # different amounts, or one source giving both, are not this conflict
    assert check({"capital_structure": {"net_liabilities": rmb(253, "m"), "total_liabilities": rmb(300, "r")}}, "concept") == []
    assert check({"periods": [{"id": "FY2025", "net_profit": rmb(-2, "m"), "adjusted_net_profit": rmb(-2.5, "r")}]}, "concept") == []


# --------------------------------------------------------------------------- restatements and disagreements


def test_two_filings_giving_different_values_are_a_restatement(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2023", "adjusted_net_profit": [rmb(-4.9, "m", filing="f2"), rmb(-5.05, "m2", filing="f1")]}]}
    [finding] = check(fragment)
    assert (finding.check, finding.severity) == ("restatement", "info")
    assert finding.field == "periods[FY2023].adjusted_net_profit"
    assert finding.message.startswith("the filings give different values: RMB -4.9 亿 (m, f2); RMB -5.05 亿 (m2, f1)")
    assert finding.message.endswith("the engine uses RMB -4.9 亿 (m)")  # the newer filing wins among equals


def test_sources_without_filings_disagreeing_are_a_disagreement(check: Callable[..., list[Finding]]) -> None:
    [finding] = check({"periods": [{"id": "FY2023", "revenue": [rmb(5.06, "m"), rmb(5.0, "r")]}]})
    assert (finding.check, finding.severity) == ("disagreement", "info")
    assert finding.message == "sources disagree: RMB 5.06 亿 (m); RMB 5.0 亿 (r); the engine uses RMB 5.0 亿 (r)"


def test_one_filing_against_a_later_source_is_a_disagreement(check: Callable[..., list[Finding]]) -> None:
    [finding] = check({"periods": [{"id": "FY2023", "revenue": [rmb(5.06, "m", filing="f1"), rmb(5.0, "r")]}]})
    assert finding.check == "disagreement"


def test_values_agreeing_within_rounding_are_no_finding(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2022", "revenue": [rmb(13.7, "m", filing="f2"), rmb(13.68, "m2", filing="f1"), rmb(13.67, "r")]}]}
    assert check(fragment) == []


def test_agreeing_filings_against_another_source_are_a_disagreement(check: Callable[..., list[Finding]]) -> None:
    # Two filings that agree within rounding, and a research note that differs: no filing restated anything.
    fragment = {"periods": [{"id": "FY2022", "revenue": [rmb(13.7, "m", filing="f2"), rmb(13.68, "m2", filing="f1"), rmb(15.0, "r")]}]}
    [finding] = check(fragment)
    assert finding.check == "disagreement"
    assert finding.message.startswith("sources disagree:")


def test_filings_that_differ_beside_another_source_are_a_restatement(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [{"id": "FY2022", "adjusted_net_profit": [rmb(-9.1, "m", filing="f2"), rmb(-8.17, "m2", filing="f1"),
                                                                     rmb(-9.1, "r")]}]}
    [finding] = check(fragment)
    assert finding.check == "restatement"


def test_findings_are_grouped_by_check(check: Callable[..., list[Finding]]) -> None:
    fragment = {"periods": [
        {"id": "FY2019", "revenue": [rmb(5.06, "m"), rmb(5.0, "r")]},
        {"id": "FY2020", "revenue": rmb(18.32), "revenue_growth": pct("300%", "r"), "segments": segments("45.9%", "46.5%")},
    ]}
    assert [f.check for f in check(fragment)] == ["segments", "growth", "disagreement"]


def test_a_clean_profile_has_no_findings(check: Callable[..., list[Finding]]) -> None:
    assert check({}) == []


# --------------------------------------------------------------------------- WeDoctor, validate --strict, the memo


@lru_cache(maxsize=1)
def wedoctor_findings() -> list[Finding]:
    return check_profile(load_profile(WEDOCTOR))


def unreviewed_wedoctor(folder: Path) -> Path:
    """WeDoctor without its `reviewed_findings` (the block sits after every field the findings
    name, so their line numbers are the same as in the real file)."""
    text = WEDOCTOR.read_text(encoding="utf-8")
    start, end = text.index("\nreviewed_findings:\n") + 1, text.index("\nnotes:\n") + 1
    path = folder / "wedoctor.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return path


def test_wedoctor_findings() -> None:
    """The four warnings are real disagreements between the articles; the profile keeps them, reviewed."""
    found = {(f.check, f.field, f.severity) for f in wedoctor_findings()}
    assert found >= {
        ("segments", "periods[FY2022].segments", "reviewed"),
        ("growth", "periods[FY2020].revenue_growth", "reviewed"),
        ("cumulative", "cumulative adjusted_net_profit FY2022–FY2024", "reviewed"),   # the research compilation's claim
        ("cumulative", "cumulative adjusted_net_profit FY2018–2025H1", "info"),      # FY2018 has no adjusted figure
        ("restatement", "periods[FY2022].adjusted_net_profit", "info"),
        ("restatement", "periods[FY2023].adjusted_net_profit", "info"),
        ("disagreement", "periods[FY2019].revenue", "info"),
        ("concept", "capital_structure", "reviewed"),   # 253 亿: net liabilities (dingjiaoone), total liabilities (research)
    }
    research = next(f for f in wedoctor_findings() if f.field == "cumulative adjusted_net_profit FY2022–FY2024")
    assert research.message.startswith("research-2026-06 gives RMB -51.8 亿; the periods it covers add up to RMB -16.5 亿 — reviewed: ")
    assert sum(f.severity == "warning" for f in wedoctor_findings()) == 0
    assert sum(f.severity == "reviewed" for f in wedoctor_findings()) == 4
    concept = next(f for f in wedoctor_findings() if f.check == "concept")
    assert (concept.field, concept.sources) == ("capital_structure", ("dingjiaoone-2025", "research-2026-06"))


def test_validate_strict_on_wedoctor_without_its_reviews_fails_and_prints_the_warnings(tmp_path: Path) -> None:
    result = run("validate", "--strict", unreviewed := unreviewed_wedoctor(tmp_path))
    assert result.exit_code == 2
    assert sum(f.severity == "warning" for f in check_profile(load_profile(unreviewed))) == 4
    # file:line: field: severity: message, the line that of the field in the profile
    lines = WEDOCTOR.read_text(encoding="utf-8").splitlines()
    segments_line = next(i for i, line in enumerate(lines, 1) if line.strip() == "- id: FY2022") + 1
    segments_line = next(i for i, line in enumerate(lines[segments_line - 1:], segments_line) if line.strip().startswith("segments:"))
    assert f"{unreviewed}:{segments_line}: periods[FY2022].segments: warning: top-level segment shares add up to 92.4%" in result.stderr
    assert re.search(rf"^{re.escape(str(unreviewed))}:\d+: periods\[FY2020\]\.revenue_growth: warning: stated growth 266%", result.stderr, re.M)
    assert f"{unreviewed}: cumulative adjusted_net_profit FY2022–FY2024: warning:" in result.stderr  # a claim, not a place in the file
    assert re.search(rf"^{re.escape(str(unreviewed))}:\d+: periods\[FY2022\]\.adjusted_net_profit: info: the filings give different values", result.stderr, re.M)
    # The profile is valid: its figures do not add up, which is not the same thing.
    assert "1 of 1 profile(s) with data-quality warnings (--strict)" in result.stderr and "invalid" not in result.stderr
    assert f"ok: {unreviewed}" not in result.stderr


def test_plain_validate_on_wedoctor_passes() -> None:
    result = run("validate", WEDOCTOR)
    assert result.exit_code == 0
    assert f"ok: {WEDOCTOR}" in result.stderr
    assert "warning" not in result.stderr


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_validate_strict_on_a_clean_profile_passes(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    clean = _write(tmp_path, "clean.yaml", make_profile_data({"periods": [{"id": "FY2025", "revenue": rmb(10), "segments": segments("60%", "40%")}]}))
    result = run("validate", "--strict", clean)
    assert result.exit_code == 0, result.output
    assert f"ok: {clean}" in result.stderr


def test_validate_strict_passes_with_info_findings_only(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    path = _write(tmp_path, "info.yaml", make_profile_data({"periods": [{"id": "FY2025", "revenue": [rmb(5.06, "m"), rmb(5.0, "r")]}]}))
    result = run("validate", "--strict", path)
    assert result.exit_code == 0, result.output
    assert ": info: sources disagree" in result.stderr and f"ok: {path}" in result.stderr


def test_validate_strict_counts_each_profile(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    clean = _write(tmp_path, "clean.yaml", make_profile_data({}))
    result = run("validate", "--strict", clean, unreviewed_wedoctor(tmp_path))
    assert result.exit_code == 2
    assert f"ok: {clean}" in result.stderr and "1 of 2 profile(s) with data-quality warnings (--strict)" in result.stderr


def test_validate_strict_passes_wedoctor_with_its_reviewed_findings_and_shows_the_notes() -> None:
    result = run("validate", "--strict", WEDOCTOR)
    assert result.exit_code == 0, result.output
    assert f"ok: {WEDOCTOR}" in result.stderr
    assert re.search(r": periods\[FY2020\]\.revenue_growth: reviewed: stated growth 266% .* — reviewed: 266% is the research compilation's", result.stderr)


def test_a_review_that_matches_no_warning_is_a_warning(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"periods": [{"id": "FY2025", "revenue": rmb(10), "segments": segments("60%", "40%")}],
                              "reviewed_findings": [{"check": "segments", "field": "periods[FY2025].segments", "note": "checked"}]})
    result = run("validate", "--strict", path := _write(tmp_path, "stale.yaml", data))
    assert result.exit_code == 2
    assert re.search(rf"^{re.escape(str(path))}:\d+: reviewed_findings\[0\]: warning: no segments warning at periods\[FY2025\]\.segments any more",
                     result.stderr, re.M)


def test_a_review_of_an_unknown_check_is_invalid(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"reviewed_findings": [{"check": "segment", "field": "periods[FY2025].segments", "note": "checked"}]})
    result = run("validate", _write(tmp_path, "typo.yaml", data))
    assert result.exit_code == 2
    assert "reviewed_findings[0].check" in result.stderr and "Traceback" not in result.output


def test_the_memo_lists_the_findings_under_data_quality(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    section = md.split("## Data quality", 1)[1].split("\n## ", 1)[0]
    for label, where in [
        ("Segments add up", "periods[FY2022].segments"),
        ("Stated growth", "periods[FY2020].revenue_growth"),
        ("Cumulative figure", "cumulative adjusted_net_profit FY2022–FY2024"),
        ("Restatement", "periods[FY2022].adjusted_net_profit"),
        ("Restatement", "periods[FY2023].adjusted_net_profit"),
        ("Sources disagree", "periods[FY2019].revenue"),
    ]:
        assert f"| {label} | {where} |" in section, (label, where)
    from riskscore.report.memo import QUALITY_LABELS

    labels = tuple(QUALITY_LABELS.values())
    rows = [line for line in section.splitlines() if line.startswith(tuple(f"| {label} |" for label in labels))]
    assert len(rows) == len(wedoctor_findings())  # one row per finding
