"""Following a company across its filings (riskscore.analysis.trend) and the `riskscore trend` command."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from riskscore.analysis.trend import Trend, follow
from riskscore.cli.app import app
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.report.render import render_trend
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.engine import assess

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
RUBRIC_IDS = ["customer_concentration", "margin", "losses", "governance", "technology_dependence", "redemption_overhang"]
runner = CliRunner()


def run(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@lru_cache(maxsize=1)
def scoring() -> tuple[Any, list[Any]]:
    config = load_config(None)
    return config, registry.select(config)


@lru_cache(maxsize=1)
def wedoctor_trend() -> Trend:
    config, rubrics = scoring()
    return follow(load_profile(WEDOCTOR), config, rubrics)


def move(step: Any, rubric: str) -> Any:
    return next(m for m in step.moves if m.rubric == rubric)


# --------------------------------------------------------------------------- follow


def test_points_are_the_three_filings_and_the_profiles_as_of() -> None:
    trend = wedoctor_trend()
    assert [(p.key, p.date) for p in trend.points] == [
        ("hkex-2021-04", dt.date(2021, 4, 1)),
        ("hkex-2024-12", dt.date(2024, 12, 31)),
        ("hkex-2025-09", dt.date(2025, 9, 30)),
        ("profile", dt.date(2026, 6, 30)),
    ]
    assert [p.label for p in trend.points] == [
        "HKEX filing 2021-04-01", "HKEX filing 2024-12-31", "HKEX filing 2025-09", "profile as of 2026-06-30"]
    assert [p.periods_text for p in trend.points] == [
        "FY2018 … FY2020 (3)", "FY2018 … 2024H1 (7)", "FY2018 … 2025H1 (9)", "FY2018 … 2025H1 (9)"]
    assert [p.events for p in trend.points] == [0, 3, 3, 3]
    assert all(p.assessment.as_of == p.date for p in trend.points)
    assert trend.profile_id == "wedoctor" and trend.company_zh == "微医控股有限公司"
    assert [rid for rid, _ in trend.rubrics] == RUBRIC_IDS


def test_the_last_point_is_the_profile_as_scored_today() -> None:
    config, rubrics = scoring()
    today = assess(load_profile(WEDOCTOR), config, rubrics)
    last = wedoctor_trend().points[-1].assessment
    assert (last.indicated_score, last.adjusted_score, last.adjusted_band) == (today.indicated_score, today.adjusted_score, today.adjusted_band)
    assert [(o.id, o.score) for o in last.rubrics] == [(o.id, o.score) for o in today.rubrics]


def test_scores_at_each_point() -> None:
    points = wedoctor_trend().points
    assert [p.assessment.adjusted_band for p in points] == ["Elevated", "High", "High", "Severe"]
    first = points[0]
    # At the first filing only losses (figures) and governance (researched, nothing known yet) can score.
    assert {rid for rid in RUBRIC_IDS if first.score_of(rid) is not None} == {"losses", "governance"}
    assert first.score_of("governance") == 0.0
    assert points[1].score_of("customer_concentration") is None
    assert points[2].score_of("customer_concentration") == 100.0


def test_each_step_has_a_move_per_rubric() -> None:
    trend = wedoctor_trend()
    assert len(trend.steps) == len(trend.points) - 1 == 3
    for step, (start, end) in zip(trend.steps, itertools.pairwise(trend.points), strict=True):
        assert (step.start, step.end) == (start, end)
        assert [m.rubric for m in step.moves] == RUBRIC_IDS
        for m in step.moves:
            assert (m.before, m.after) == (start.score_of(m.rubric), end.score_of(m.rubric))
            assert m.delta == (None if m.before is None or m.after is None else round(m.after - m.before, 2))
            if m.before != m.after:
                assert m.reasons, f"{m.rubric} moved without a reason"
    assert [s.new_periods for s in trend.steps] == [["FY2021", "FY2022", "FY2023", "2024H1"], ["FY2024", "2025H1"], []]


def test_governance_events_are_reasons_at_the_2024_filing() -> None:
    step = wedoctor_trend().steps[0]
    governance = move(step, "governance")
    assert (governance.before, governance.band_before) == (0.0, "Low")
    assert governance.delta is not None and governance.delta > 60
    now_on_file = [r for r in governance.reasons if r.endswith("now on file")]
    assert len(now_on_file) == 4
    assert any(r.startswith("Securities regulator penalty: China Securities Regulatory Commission") and "(2022-06)" in r for r in now_on_file)
    assert any(r.startswith("Exchange censure: Shenzhen Stock Exchange") for r in now_on_file)
    assert any(r.startswith("Sector regulator penalty: CBIRC") for r in now_on_file)
    assert any(r.startswith("Dividend paid while loss-making") for r in now_on_file)   # disclosed with the 2024 application
    # Rubrics with no evidence at either point did not move and give no reason.
    assert move(step, "customer_concentration").reasons == []
    losses = move(step, "losses")
    assert any(r.startswith("Consecutive loss-making fiscal years: 3 years (FY2020) → 6 years (FY2023)") for r in losses.reasons)


def test_customer_concentration_is_first_scored_at_the_2025_filing_with_its_red_flag() -> None:
    step = wedoctor_trend().steps[1]
    cc = move(step, "customer_concentration")
    assert (cc.before, cc.after, cc.delta) == (None, 100.0, None)
    assert (cc.band_before, cc.band_after) == (None, "Severe")
    assert cc.reasons[0] == "first scored: evidence for it was disclosed"
    assert "Largest customer share of revenue: 77.6% (2025H1) now on file" in cc.reasons
    assert "red flag raised: Majority reliance on one customer" in cc.reasons
    assert "data gap filled: periods[*].customers.largest_share" in cc.reasons
    assert "Majority reliance on one customer (customer_concentration)" in step.flags_appeared
    assert step.flags_cleared == []
    for rid in ("margin", "technology_dependence", "redemption_overhang"):
        assert move(step, rid).reasons[0] == "first scored: evidence for it was disclosed"
    assert "data gap filled: technology.core" in move(step, "technology_dependence").reasons


def test_the_last_step_moves_governance_by_the_founder_becoming_known() -> None:
    step = wedoctor_trend().steps[2]
    assert step.flags_appeared == ["Recent exchange censure involving a significant holder (governance)"]
    assert move(step, "customer_concentration").reasons == []
    assert move(step, "customer_concentration").delta == 0.0
    assert "red flag raised: Recent exchange censure involving a significant holder" in move(step, "governance").reasons


def test_a_flag_that_clears_is_reported(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    # The first filing shows a majority customer; the second, a diversified one.
    data = make_profile_data({
        "filings": [
            {"id": "f1", "date": "2024-06-30", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
            {"id": "f2", "date": "2025-06-30", "exchange": "HKEX", "status": "filed", "sources": ["p"]},
        ],
        "periods": [
            {"id": "FY2023", "customers": {"largest_share": {"value": "60%", "source": "p", "filing": "f1"}}},
            {"id": "FY2024", "customers": {"largest_share": {"value": "30%", "source": "p", "filing": "f2"}}},
        ],
    })
    config, rubrics = scoring()
    trend = follow(Profile.model_validate(data), config, rubrics)
    assert [p.key for p in trend.points] == ["f1", "f2", "profile"]
    step = trend.steps[0]
    assert step.flags_cleared == ["Majority reliance on one customer (customer_concentration)"]
    cc = move(step, "customer_concentration")
    assert cc.delta is not None and cc.delta < 0
    assert "Largest customer share of revenue: 60% (FY2023) → 30% (FY2024)" in cc.reasons
    assert "red flag cleared: Majority reliance on one customer" in cc.reasons
    # Nothing new after the last filing: the profile's own point repeats it.
    assert all(m.reasons == [] and m.delta in (None, 0.0) for m in trend.steps[1].moves)


def test_a_profile_with_no_filings_yields_one_point(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"periods": [{"id": "FY2025", "revenue": {"amount": 10, "unit": "RMB 亿", "source": "r"},
                                           "adjusted_net_profit": {"amount": -2, "unit": "RMB 亿", "source": "r"}}]})
    config, rubrics = scoring()
    trend = follow(Profile.model_validate(data), config, rubrics)
    assert [(p.key, p.date, p.label) for p in trend.points] == [("profile", dt.date(2026, 6, 30), "profile as of 2026-06-30")]
    assert trend.steps == []
    assert trend.points[0].periods == ("FY2025",)
    md = render_trend(trend, "md")
    assert "| profile as of 2026-06-30 | 2026-06-30 | FY2025 | 0 |" in md
    assert "Every data-quality check passed." in md
    ET.fromstring(re.search(r"<svg.*?</svg>", render_trend(trend, "html"), flags=re.S).group(0))  # type: ignore[union-attr]


def test_a_filing_on_the_as_of_date_is_not_repeated(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"filings": [{"id": "f1", "date": "2026-06-30", "exchange": "HKEX", "status": "filed", "sources": ["p"]}]})
    config, rubrics = scoring()
    assert [p.key for p in follow(Profile.model_validate(data), config, rubrics).points] == ["f1"]


# --------------------------------------------------------------------------- the memo and the command


def _assert_html_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "@import" not in html and "url(" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<style>" in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert svgs
    for svg in svgs:
        ET.fromstring(svg)


def test_trend_command_by_company_id_writes_both_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # a company id resolves to companies/<id>.yaml from the working directory
    out = tmp_path / "out"
    result = run("trend", "wedoctor", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["wedoctor-trend.html", "wedoctor-trend.md"]
    assert f"wrote {out / 'wedoctor-trend.md'}" in result.stderr
    md = (out / "wedoctor-trend.md").read_text(encoding="utf-8")
    html = (out / "wedoctor-trend.html").read_text(encoding="utf-8")
    assert md == render_trend(wedoctor_trend(), "md")
    assert md.startswith("# Listing risk across filings: WeDoctor Holdings Limited (微医控股有限公司)")
    for heading in ("## HKEX filing 2021-04-01 → HKEX filing 2024-12-31", "## HKEX filing 2024-12-31 → HKEX filing 2025-09",
                    "## HKEX filing 2025-09 → profile as of 2026-06-30", "## Data quality"):
        assert heading in md
    assert "| HKEX filing 2021-04-01 | 2021-04-01 | FY2018 … FY2020 (3) | 0 | 44.5 | 44.5 | Elevated |" in md
    assert "first scored: evidence for it was disclosed" in md
    assert "Red flags raised: Majority reliance on one customer (customer_concentration)" in md
    _assert_html_self_contained(html)
    assert "微医控股有限公司" in html


def test_trend_command_by_path_and_single_format(tmp_path: Path) -> None:
    result = run("trend", WEDOCTOR, "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["wedoctor-trend.md"]
    result = run("trend", WEDOCTOR, "--format", "html", "--out", tmp_path / "h")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "h").iterdir()] == ["wedoctor-trend.html"]


def test_trend_output_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert run("trend", "wedoctor", "--out", tmp_path / "a").exit_code == 0
    assert run("trend", WEDOCTOR, "--out", tmp_path / "b").exit_code == 0
    for name in ("wedoctor-trend.md", "wedoctor-trend.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_trend_memo_escapes_profile_text(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"company": {"name": "<script>alert(1)</script> | pipe"}})
    path = tmp_path / "nasty.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("trend", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "testco-trend.html").read_text(encoding="utf-8")
    md = (tmp_path / "out" / "testco-trend.md").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in md
    _assert_html_self_contained(html)


def test_unknown_company_id_is_invalid_input_naming_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    result = run("trend", "no-such-company", "--out", out)
    assert result.exit_code == 2
    assert str(Path("companies") / "no-such-company.yaml") in result.stderr
    assert "no such file" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_invalid_profile_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEDOCTOR.read_text(encoding="utf-8").replace("largest_share: {value: 77.6%", "largest_share: {value: 0.776", 1), encoding="utf-8")
    result = run("trend", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "periods[2025H1].customers.largest_share" in result.stderr
    assert not (tmp_path / "out").exists()
