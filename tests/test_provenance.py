"""Which observation wins (source ranking by primary document), amendments and corrections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from riskscore.profile import evidence as ev
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.profile.pointintime import profile_as_of

WEDOCTOR = "companies/wedoctor.yaml"

FILINGS = [
    {"id": "hk-2021", "date": "2021-04-01", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
    {"id": "hk-2025", "date": "2025-09", "exchange": "HKEX", "status": "filed", "sources": ["p"]},
]


def money(amount: float, source: str, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


@pytest.fixture
def build(make_profile_data: Callable[..., dict[str, Any]]) -> Callable[..., Profile]:
    def build(fragment: dict[str, Any]) -> Profile:
        return Profile.model_validate(make_profile_data({"filings": FILINGS, **fragment}))

    return build


def chosen(profile: Profile, field: str = "revenue") -> Any:
    return ev.select(profile, getattr(profile.periods[0], field)).chosen


# --------------------------------------------------------------------------- ranking by primary document


@pytest.mark.parametrize("observations, winner", [
    # a figure media quotes from a filing outranks research that cites none (WeDoctor FY2019: 5.06 over 5.0)
    ([money(5.0, "r"), money(5.06, "m", filing="hk-2021")], "m"),
    # ... and outranks research with more decimals
    ([money(5.061, "r"), money(5.1, "m", filing="hk-2021")], "m"),
    # the document itself before a source quoting it (same filing)
    ([money(5.1, "m", filing="hk-2021"), money(5.3, "p", filing="hk-2021")], "p"),
    # a prospectus source without `filing:` is still the document itself
    ([money(5.1, "m", filing="hk-2025"), money(5.3, "p")], "p"),
    # among sources quoting filings: the newer filing
    ([money(5.1, "m", filing="hk-2021"), money(5.3, "m2", filing="hk-2025")], "m2"),
    # without filings, the kinds rank as before: research over media
    ([money(5.1, "m"), money(5.3, "r")], "r"),
    # verified before unverified, whatever else
    ([money(5.1, "m", filing="hk-2021", unverified=True), money(5.3, "m2", filing="hk-2021")], "m2"),
])
@pytest.mark.parametrize("reverse", [False, True], ids=["file_order", "reversed"])
def test_rank_by_primary_document_then_directness(build, observations, winner, reverse) -> None:  # type: ignore[no-untyped-def]
    obs = observations[::-1] if reverse else observations
    profile = build({"periods": [{"id": "FY2025", "revenue": obs}]})
    assert chosen(profile).source == winner


def test_wedoctor_uses_the_prospectus_figures_the_press_quotes() -> None:
    profile = load_profile(WEDOCTOR)
    fy2019, fy2020 = profile.period("FY2019"), profile.period("FY2020")
    revenue = ev.select(profile, fy2019.revenue)
    growth = ev.select(profile, fy2020.revenue_growth)
    assert (revenue.chosen.amount, revenue.chosen.source) == (5.06, "niaoge-2022-03")
    assert (growth.chosen.value, growth.chosen.source) == (262.1, "niaoge-2022-03")
    assert [o.source for o in revenue.disagreeing] == ["research-2026-06"]
    assert [o.value for o in growth.disagreeing] == [266.0]


def test_wedoctor_memo_lists_the_compilation_figures_as_disagreeing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from riskscore.cli.app import app

    result = CliRunner().invoke(app, ["memo", WEDOCTOR, "--format", "md", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    table = md.split("Where sources disagree", 1)[1]
    assert "| periods[FY2019].revenue | RMB 5.06 亿 (media, filing hkex-2021-04)" in table
    assert "RMB 5.0 亿 (research)" in table.split("| periods[FY2019].revenue |", 1)[1].splitlines()[0]
    assert "| periods[FY2020].revenue_growth | 262.1% (media, filing hkex-2021-04)" in table
    assert "a figure quoted from a filing ranks as that filing" in md


# --------------------------------------------------------------------------- amendments and corrections


def test_an_amending_filing_supersedes_the_figure_it_corrects(build) -> None:  # type: ignore[no-untyped-def]
    filings = [*FILINGS, {"id": "hk-2025-corr", "date": "2025-10", "exchange": "HKEX", "status": "filed", "amends": "hk-2025", "sources": ["p"]}]
    profile = build({"filings": filings, "periods": [{"id": "FY2025", "revenue": money(1000, "p"), "gross_profit": [
        money(-129.72, "p", filing="hk-2025"), money(129.72, "m", filing="hk-2025-corr"),   # a sign flipped days later
    ]}]})
    sel = ev.select(profile, profile.periods[0].gross_profit)
    assert sel.chosen.amount == 129.72                      # the media quoting the correction beats the prospectus itself
    assert [o.amount for o in sel.superseded] == [-129.72]
    assert sel.disagreeing == () and ev.conflicts(profile) == []


def test_superseded_by_a_correction_from_the_same_source(build) -> None:  # type: ignore[no-untyped-def]
    profile = build({"periods": [{"id": "FY2025", "revenue": [
        money(13.7, "m", superseded_by="m"), money(137, "m"),
    ]}]})
    sel = ev.select(profile, profile.periods[0].revenue)
    assert sel.chosen.amount == 137 and [o.amount for o in sel.superseded] == [13.7]


def test_two_disagreeing_observations_from_one_source_and_filing_are_an_error(make_profile_data) -> None:  # type: ignore[no-untyped-def]
    data = make_profile_data({"filings": FILINGS, "periods": [{"id": "FY2025", "revenue": [
        money(13.7, "m", filing="hk-2025"), money(13.2, "m", filing="hk-2025"),
    ]}]})
    with pytest.raises(ValidationError, match="two observations from the same source and filing"):
        Profile.model_validate(data)
    # agreeing within rounding is fine; so is a different filing
    data["periods"][0]["revenue"][1]["amount"] = 13.68
    Profile.model_validate(data)


@pytest.mark.parametrize("filings, message", [
    ([{"id": "a", "date": "2025-01", "exchange": "HKEX", "status": "filed", "amends": "zz", "sources": ["p"]}], "unknown filing id 'zz'"),
    ([{"id": "a", "date": "2025-01", "exchange": "HKEX", "status": "filed", "amends": "a", "sources": ["p"]}], "cannot amend itself"),
    ([{"id": "a", "date": "2025-01", "exchange": "HKEX", "status": "filed", "amends": "b", "sources": ["p"]},
      {"id": "b", "date": "2025-01", "exchange": "HKEX", "status": "filed", "amends": "a", "sources": ["p"]}], "cycle"),
    ([{"id": "a", "date": "2025-01", "exchange": "HKEX", "status": "filed", "amends": "b", "sources": ["p"]},
      {"id": "b", "date": "2025-03", "exchange": "HKEX", "status": "filed", "sources": ["p"]}], "dated later"),
])
def test_bad_amendments(make_profile_data, filings, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        Profile.model_validate(make_profile_data({"filings": filings}))


def test_superseded_by_must_name_another_observation(make_profile_data) -> None:  # type: ignore[no-untyped-def]
    data = make_profile_data({"periods": [{"id": "FY2025", "revenue": [money(13.7, "m", superseded_by="r"), money(14, "m2")]}]})
    with pytest.raises(ValidationError, match="no other observation of this figure comes from 'r'"):
        Profile.model_validate(data)


def test_a_correction_counts_only_once_disclosed(build) -> None:  # type: ignore[no-untyped-def]
    filings = [*FILINGS, {"id": "hk-2025-corr", "date": "2025-10", "exchange": "HKEX", "status": "filed", "amends": "hk-2025", "sources": ["p"]}]
    profile = build({"filings": filings, "periods": [{"id": "FY2024", "revenue": [
        money(10, "p", filing="hk-2025"), money(12, "p", filing="hk-2025-corr")]}]})
    before = profile_as_of(profile, __import__("datetime").date(2025, 9, 30))
    assert [o.amount for o in before.periods[0].revenue] == [10]
    assert [f.id for f in before.filings] == ["hk-2021", "hk-2025"]
    assert ev.value(profile, profile.periods[0].revenue).amount == 12  # type: ignore[union-attr]


def test_a_lone_observation_superseded_by_nothing_is_refused(make_profile_data) -> None:  # type: ignore[no-untyped-def]
    """A figure of one observation is checked too (the cross-reference walk skips only figures with nothing to check)."""
    data = make_profile_data({"periods": [{"id": "FY2025", "revenue": money(13.7, "m", superseded_by="r")}]})
    with pytest.raises(ValidationError, match="no other observation of this figure comes from 'r'"):
        Profile.model_validate(data)


@pytest.mark.parametrize(("written", "decimals"), [
    (250, 0), (250.0, 1), (13.68, 2), ("13.70", 2), ("13", 0), (1e-3, 3), (1.5e-5, 6),
])
def test_an_amount_keeps_the_decimals_it_was_written_with(make_profile_data, written, decimals) -> None:  # type: ignore[no-untyped-def]
    profile = Profile.model_validate(make_profile_data({"periods": [{"id": "FY2025", "revenue": {"amount": written, "unit": "RMB", "source": "m"}}]}))
    assert profile.periods[0].revenue is not None and profile.periods[0].revenue.root[0].decimals == decimals


@pytest.mark.parametrize(("written", "decimals"), [("77.60%", 2), ("77%", 0), (" 5.5 % ", 1), ("-0.125%", 3), ("+3.0%", 1)])
def test_a_percentage_keeps_the_decimals_it_was_written_with(make_profile_data, written, decimals) -> None:  # type: ignore[no-untyped-def]
    profile = Profile.model_validate(make_profile_data({"periods": [{"id": "FY2025", "gross_margin": {"value": written, "source": "m"}}]}))
    assert profile.periods[0].gross_margin is not None and profile.periods[0].gross_margin.root[0].decimals == decimals


def _figures_by_generators(node: Any, loc: tuple) -> Any:
    """How iter_figures walked the profile before it collected into a list: nested generators."""
    from pydantic import BaseModel

    from riskscore.profile.model import MoneyFigure, PercentFigure, _container_fields

    if isinstance(node, (MoneyFigure, PercentFigure)):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name in _container_fields(type(node)):
            value = getattr(node, name)
            if value is not None:
                yield from _figures_by_generators(value, loc + (name,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, BaseModel):
                yield from _figures_by_generators(item, loc + (i,))


def test_iter_figures_finds_every_figure_in_order() -> None:
    from pathlib import Path

    total = 0
    for path in sorted((Path(__file__).resolve().parents[1] / "companies").glob("*.yaml")):
        profile = load_profile(path)
        found = list(profile.iter_figures())
        assert [(loc, id(f)) for loc, f in found] == [(loc, id(f)) for loc, f in _figures_by_generators(profile, ())]
        total += len(found)
    assert total > 100
