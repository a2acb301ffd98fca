"""What would change the verdict (riskscore.analysis.whatif.verdict_change) and the memo's up-front summary.

The key test takes, for every committed company, each single-figure crossing the memo reports,
applies it with ``whatif`` and re-scores the whole profile with the engine: the headline must
cross the edge at the reported value and must not one shown step short of it (the reported
value is the smallest change at the shown precision).
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from pathlib import Path

import pytest

from riskscore.analysis import whatif as wi
from riskscore.pipeline import Pipeline
from riskscore.profile.model import Profile
from riskscore.report import format as fmt
from riskscore.report.memo import DERIVED_MARK
from riskscore.scoring.engine import Assessment

ROOT = Path(__file__).resolve().parents[1]
COMPANIES = sorted((ROOT / "companies").glob("*.yaml"))
MINIMAL = ROOT / "tests" / "golden" / "minimal.yaml"


@lru_cache(maxsize=1)
def pipeline() -> Pipeline:
    return Pipeline.open()


@cache
def scored(path: Path) -> tuple[Profile, Assessment]:
    p = pipeline()
    profile = p.load(path)
    return profile, p.assess(profile)


def headline_with(profile: Profile, path: str, value: float, unit: str) -> float:
    text = f"{value:.6g}%" if unit == "%" else f"{value:.6g} {unit}"
    changed = wi.apply(profile, [wi.Assignment(path, text)])
    result = pipeline().assess(changed).adjusted_score
    assert result is not None
    return result


CASES = [(path, edge) for path in [*COMPANIES, MINIMAL] for edge in ("up", "down")]


@pytest.mark.parametrize(("path", "direction"), CASES, ids=[f"{p.stem}-{d}" for p, d in CASES])
def test_reported_crossing_is_real_and_smallest_at_shown_precision(path: Path, direction: str) -> None:
    profile, assessment = scored(path)
    found = wi.verdict_change(profile, assessment, pipeline().config, pipeline().rubrics)
    assert found is not None
    edges = [e for e in found.edges if e.direction == direction]
    if not edges:  # Low has no lower edge, Severe no upper one
        assert (direction == "down" and found.band == "Low") or (direction == "up" and found.band == "Severe")
        return
    (edge,) = edges
    assert edge.distance == pytest.approx(abs(edge.edge - found.score))
    if edge.move is None:
        return
    move = edge.move
    crosses = (lambda s: s >= edge.edge) if direction == "up" else (lambda s: s < edge.edge)
    after = headline_with(profile, move.path, move.crossing, move.unit)
    assert crosses(after), f"{move.path}={move.crossing} gives {after}, not across {edge.edge}"
    assert after == pytest.approx(move.score_after, abs=0.01)
    step = 10.0 ** -move.shown_decimals
    short = move.crossing - math.copysign(step, move.crossing - move.current)
    if (short - move.current) * (move.crossing - move.current) > 0:  # one step short is still a change
        assert not crosses(headline_with(profile, move.path, short, move.unit)), "a smaller change would already cross"


def test_wedoctor_sits_just_above_high() -> None:
    """WeDoctor at 80.6 (Severe) sits 0.6 above High; no red flag floors it at 80, so one figure can carry it down."""
    profile, assessment = scored(ROOT / "companies" / "wedoctor.yaml")
    found = wi.verdict_change(profile, assessment, pipeline().config, pipeline().rubrics)
    assert found is not None and found.band == "Severe"
    (down,) = found.edges  # Severe is the top band: there is no edge above
    assert (down.edge, down.direction, down.band, fmt.score(down.distance)) == (80, "down", "High", "0.6")
    assert down.held_by == () and down.floor is None  # the red flags floor the score at 60, below this edge
    assert down.move is not None and down.move.band_after == "High"
    assert down.move.path == "periods[2025H1].customers.largest_share" and down.move.crossing < down.move.current


def test_a_floor_held_by_one_rubric_is_crossed_by_clearing_its_flag() -> None:
    profile, assessment = scored(MINIMAL)
    found = wi.verdict_change(profile, assessment, pipeline().config, pipeline().rubrics)
    assert found is not None
    down = next(e for e in found.edges if e.direction == "down")
    assert down.held_by == ("Customer concentration",)
    assert down.move is not None and down.move.path.endswith("customers.largest_share")
    assert down.move.crossing < 50 <= down.move.current  # below the 50% red-flag threshold


def test_cost_is_bounded() -> None:
    """Cheap enough to be on by default: a bounded number of single-rubric re-runs per edge."""
    for path in [*COMPANIES, MINIMAL]:
        profile, assessment = scored(path)
        found = wi.verdict_change(profile, assessment, pipeline().config, pipeline().rubrics, budget=16)
        assert found is not None and found.evaluations <= 2 * (16 + 3)


def test_memo_up_front_sections() -> None:
    profile, assessment = scored(ROOT / "companies" / "wedoctor.yaml")
    memo = pipeline().memo(profile, assessment)
    assert memo.summary.startswith("WeDoctor Holdings Limited is rated Severe risk, 80.6 of 100, with provisional confidence")
    assert "Three rubrics carry" in memo.summary and "Customer concentration, 100.0 (Severe)" in memo.summary
    assert "0.6 points above High (below 80)" in memo.verdict_distance
    rows = {r.label: r for r in memo.key_financials}
    assert [r.label for r in memo.key_financials][:2] == ["Revenue (RMB 亿)", "Revenue growth, year on year"]
    revenue = rows["Revenue (RMB 亿)"].values
    assert revenue[memo.key_periods.index("FY2024")] == "55.0"  # as the chosen observation (quoted from the 2025 filing) is written
    growth = rows["Revenue growth, year on year"].values
    assert growth[memo.key_periods.index("2025H1")] == "69.4%"                  # stated by the source
    assert growth[memo.key_periods.index("FY2024")] == "195.2%" + DERIVED_MARK  # computed (55.0 / 18.63), and marked
    assert rows["Operating cash flow (RMB 亿)"].values[-1] == "about 0.2"       # the bound stays with the figure
    assert DERIVED_MARK in memo.financials_note


@pytest.mark.parametrize(("flags", "expected"), [
    (0, "No red flag is raised."),
    (1, "One red flag is raised (majority reliance on one customer); it lifts the score"),
])
def test_summary_counts_red_flags(flags: int, expected: str) -> None:
    path = MINIMAL if flags else ROOT / "companies" / "jd-health.yaml"
    profile, assessment = scored(path)
    assert len(assessment.red_flags) == flags
    assert expected in pipeline().memo(profile, assessment).summary


def test_percentages_outside_figures_round_trip_through_whatif() -> None:
    """A profile with a plain percentage field (outcome.first_day_change) can be changed and re-validated."""
    profile, _ = scored(ROOT / "companies" / "zhiyun-health.yaml")
    assert profile.outcome is not None and profile.outcome.first_day_change is not None
    changed = wi.apply(profile, [wi.Assignment("periods[FY2021].gross_margin", "40%")])
    assert changed.outcome is not None and changed.outcome.first_day_change == profile.outcome.first_day_change
