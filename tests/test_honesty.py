"""How much an assessment knows: the score range, confidence, the other missing-data policy,
and how the memo, the terminal table and the JSON result say so (issue 10).

The engine cases use fixed-score rubrics, so every figure can be worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.profile.model import Profile
from riskscore.scoring.config import Config, load_config
from riskscore.scoring.contract import DataGap, RedFlag, Rubric, RubricResult
from riskscore.scoring.engine import assess, bands_between
from riskscore.scoring.scale import band_for

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
PING_AN = ROOT / "companies" / "ping-an-good-doctor.yaml"


def one_rubric_profile(tmp_path: Path) -> Path:
    """Ping An Good Doctor without its customers' relation to the parent group (issue 13 added it):
    only `losses` scores, 14% of the weight."""
    text = PING_AN.read_text(encoding="utf-8")
    assert "      largest_relation: parent_affiliate\n" in text
    path = tmp_path / "ping-an-good-doctor.yaml"
    path.write_text(text.replace("      largest_relation: parent_affiliate\n", ""), encoding="utf-8")
    return path
runner = CliRunner()


def fixed(rid: str, weight: float, score: float | None, coverage: float = 1.0, flag: str | None = None, fail: bool = False) -> type[Rubric]:
    """A rubric that returns ``score`` (None: no data, with a data gap) at ``coverage``, optionally raising red flag ``flag``."""

    def run(self: Rubric, profile: Profile, params: Any) -> RubricResult:
        if fail:
            raise RuntimeError("broken")
        if score is None:
            return RubricResult(score=None, coverage=0.0, data_gaps=[DataGap(field=f"periods[*].{rid}", reason=f"No {rid} figure on file.")])
        flags = [RedFlag(id=flag, title=f"Flag {flag}", detail="d")] if flag else []
        return RubricResult(score=score, band=band_for(score), coverage=coverage, red_flags=flags)

    return type(f"Fixed_{rid}", (Rubric,), {"__doc__": f"{rid} for tests.\n\nFixed.", "id": rid, "title": rid.title(), "version": "1",
                                             "default_weight": weight, "contract_version": 1,
                                             "red_flag_ids": (flag,) if flag else (), "score": run})


@pytest.fixture
def profile(make_profile_data) -> Profile:  # type: ignore[no-untyped-def]
    return Profile.model_validate(make_profile_data({}))


def config(tmp_path: Path, text: str = "") -> Config:
    path = tmp_path / "riskscore.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


# --------------------------------------------------------------------------- score range


@pytest.mark.parametrize("floor_toml,flag,low,high,adjusted", [
    # scored: 20 × 40 and 30 × 70; unscored weight 50 → 2900/100 .. 7900/100; reallocated point 58
    ("", None, 29.0, 79.0, 58.0),
    # a red flag floors both ends: the low end rises to the floor, the point with it
    ("", "f", 60.0, 79.0, 60.0),
    # a floor above the all-100 end: the range closes on the floor
    ("[engine]\nred_flag_floors = { f = 85 }\n", "f", 85.0, 85.0, 85.0),
])
def test_range_arithmetic_with_floors_inside(tmp_path: Path, profile: Profile, floor_toml: str, flag: str | None,
                                            low: float, high: float, adjusted: float) -> None:
    rubrics = [fixed("a", 20, 40.0, flag=flag), fixed("b", 30, 70.0), fixed("c", 50, None)]
    a = assess(profile, config(tmp_path, floor_toml), rubrics)
    r = a.score_range
    assert (r.low, r.high, a.adjusted_score) == (low, high, adjusted)
    assert r.low <= a.adjusted_score <= r.high  # type: ignore[operator]
    if a.red_flags:
        assert r.low >= max(f.floor for f in a.red_flags)  # type: ignore[operator]
    assert r.unscored == ["c"] and r.bands == bands_between(low, high)


@pytest.mark.parametrize("fill", [0.0, 13.0, 50.0, 99.0, 100.0])
@pytest.mark.parametrize("flag", [None, "f"])
def test_any_score_of_the_unscored_rubrics_lands_inside_the_range(tmp_path: Path, profile: Profile, fill: float, flag: str | None) -> None:
    """The range's ends are the engine's own adjusted score with every unscored rubric at 0 and at 100."""
    cfg = config(tmp_path)
    known = [fixed("a", 20, 40.0, flag=flag), fixed("b", 30, 70.0)]
    r = assess(profile, cfg, [*known, fixed("c", 35, None), fixed("d", 15, None, fail=True)]).score_range
    assert r.unscored == ["c", "d"]  # a failed rubric is unscored too
    filled = assess(profile, cfg, [*known, fixed("c", 35, fill), fixed("d", 15, 100 - fill)]).adjusted_score
    assert r.low <= filled <= r.high  # type: ignore[operator]
    for end, value in ((0.0, r.low), (100.0, r.high)):
        assert assess(profile, cfg, [*known, fixed("c", 35, end), fixed("d", 15, end)]).adjusted_score == value


def test_both_policies_lie_inside_the_same_range_and_each_names_the_other(tmp_path: Path, profile: Profile) -> None:
    rubrics = [fixed("a", 20, 10.0), fixed("b", 30, 20.0), fixed("c", 50, None)]
    realloc = assess(profile, config(tmp_path), rubrics)
    neutral = assess(profile, config(tmp_path, '[engine]\nmissing_data = "neutral"\n'), rubrics)
    assert realloc.score_range == neutral.score_range
    assert (realloc.score_range.low, realloc.score_range.high) == (8.0, 58.0)
    assert realloc.adjusted_score == 16.0 and neutral.adjusted_score == 33.0  # (200 + 600 + 2500) / 100
    assert realloc.other_policy.missing_data_policy == "neutral" and realloc.other_policy.adjusted_score == neutral.adjusted_score
    assert neutral.other_policy.missing_data_policy == "reallocate" and neutral.other_policy.adjusted_score == realloc.adjusted_score
    assert realloc.other_policy.adjusted_band == "Moderate"


def test_every_rubric_scored_gives_a_point_range(tmp_path: Path, profile: Profile) -> None:
    a = assess(profile, config(tmp_path), [fixed("a", 20, 40.0), fixed("b", 30, 70.0, coverage=0.5)])
    assert (a.score_range.low, a.score_range.high, a.score_range.bands, a.score_range.unscored) == (58.0, 58.0, ["Elevated"], [])


def test_nothing_scored_spans_the_whole_scale(tmp_path: Path, profile: Profile) -> None:
    a = assess(profile, config(tmp_path), [fixed("a", 20, None), fixed("b", 30, None)])
    assert a.adjusted_score is None and (a.score_range.low, a.score_range.high) == (0.0, 100.0)
    assert a.score_range.bands == ["Low", "Moderate", "Elevated", "High", "Severe"] and a.confidence == "insufficient"


@pytest.mark.parametrize("low,high,bands", [
    (0, 19.99, ["Low"]), (0, 20, ["Low", "Moderate"]), (39.99, 40, ["Moderate", "Elevated"]), (60, 60, ["High"]),
    (10, 95, ["Low", "Moderate", "Elevated", "High", "Severe"]),
])
def test_bands_between(low: float, high: float, bands: list[str]) -> None:
    assert bands_between(low, high) == bands


# --------------------------------------------------------------------------- confidence


@pytest.mark.parametrize("coverage,expected", [
    (0.4999, "insufficient"),
    (0.5, "provisional"),     # insufficient is *below* 50%
    (0.7999, "provisional"),
    (0.8, "sufficient"),      # provisional is *below* 80%
    (1.0, "sufficient"),
])
def test_coverage_thresholds_at_their_boundaries(tmp_path: Path, profile: Profile, coverage: float, expected: str) -> None:
    a = assess(profile, config(tmp_path), [fixed("a", 100, 50.0, coverage=coverage)])
    assert a.coverage == coverage and a.confidence == expected
    assert len(a.score_range.bands) == 1


def test_range_spanning_more_bands_than_allowed_is_provisional(tmp_path: Path, profile: Profile) -> None:
    # 81 × s scored, 19 unscored (coverage 81%): the range is 0.81 s .. 0.81 s + 19
    touching = 4100 / 81            # high end exactly 60.0, the bottom of High: two bands
    below = touching - 0.0125       # high end 59.99: one band
    a = assess(profile, config(tmp_path), [fixed("a", 81, touching), fixed("b", 19, None)])
    assert (a.score_range.low, a.score_range.high, a.score_range.bands) == (41.0, 60.0, ["Elevated", "High"])
    assert a.confidence == "provisional" and "spans 2 bands" in a.confidence_reasons[0]
    b = assess(profile, config(tmp_path), [fixed("a", 81, below), fixed("b", 19, None)])
    assert b.score_range.high == 59.99 and b.score_range.bands == ["Elevated"] and b.confidence == "sufficient"
    loose = assess(profile, config(tmp_path, "[engine]\nprovisional_max_bands = 2\n"), [fixed("a", 81, touching), fixed("b", 19, None)])
    assert loose.confidence == "sufficient"


def test_thresholds_are_configurable(tmp_path: Path, profile: Profile) -> None:
    rubrics = [fixed("a", 100, 50.0, coverage=0.6)]
    assert assess(profile, config(tmp_path), rubrics).confidence == "provisional"
    strict = config(tmp_path, "[engine]\ninsufficient_coverage = 0.7\nprovisional_coverage = 0.9\n")
    a = assess(profile, strict, rubrics)
    assert a.confidence == "insufficient"
    assert a.confidence_reasons == ["60% of the weight is backed by evidence, below the 70% an assessment needs (engine.insufficient_coverage)."]
    assert assess(profile, config(tmp_path, "[engine]\ninsufficient_coverage = 0\nprovisional_coverage = 0.6\n"), rubrics).confidence == "sufficient"


def test_default_thresholds() -> None:
    engine = load_config(None).engine
    assert (engine.insufficient_coverage, engine.provisional_coverage, engine.provisional_max_bands) == (0.5, 0.8, 1)
    memo = load_config(None).memo
    assert (memo.precedent_min_rubrics, memo.percentile_min_peers) == (3, 5)
    calibration = load_config(None).calibration
    assert (calibration.relist_window_months, calibration.prior, calibration.market_failure_rate, calibration.skill_margin_sd) == (12, "auto", 0.708, 1.0)


@pytest.mark.parametrize("toml,field", [
    ("[engine]\ninsufficient_coverage = 1.5\n", "engine.insufficient_coverage"),
    ("[engine]\nprovisional_coverage = -0.1\n", "engine.provisional_coverage"),
    ("[engine]\nprovisional_coverage = nan\n", "engine.provisional_coverage"),
    ("[engine]\ninsufficient_coverage = 0.9\n", "engine.insufficient_coverage"),   # above provisional_coverage (0.8)
    ("[engine]\nprovisional_max_bands = 0\n", "engine.provisional_max_bands"),
    ("[memo]\nprecedent_min_rubrics = 0\n", "memo.precedent_min_rubrics"),
    ("[memo]\npercentile_min_peers = 0\n", "memo.percentile_min_peers"),
    ("[calibration]\nmarket_failure_rate = 1\n", "calibration.market_failure_rate"),
    ("[calibration]\nmarket_failure_rate = inf\n", "calibration.market_failure_rate"),
    ("[calibration]\nprior = \"guess\"\n", "calibration.prior"),
    ("[calibration]\nrelist_window_months = -1\n", "calibration.relist_window_months"),
    ("[calibration]\nskill_margin_sd = nan\n", "calibration.skill_margin_sd"),
    ("[calibration]\nwindow = 3\n", "calibration.window"),
])
def test_bad_threshold_settings_name_the_file_and_key(tmp_path: Path, toml: str, field: str) -> None:
    path = tmp_path / "riskscore.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(path) in str(info.value) and field in str(info.value)


# --------------------------------------------------------------------------- what a person sees


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_one_scored_rubric_is_insufficient_everywhere(tmp_path: Path) -> None:
    one_rubric = one_rubric_profile(tmp_path)
    result = run("score", one_rubric, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["result_schema_version"] == 3
    assert data["confidence"] == "insufficient" and data["coverage"] == 14.0  # percent in JSON
    assert data["score_range"] == {"low": 16.57, "high": 96.57, "bands": ["Low", "Moderate", "Elevated", "High", "Severe"],
                                   "unscored": ["customer_concentration", "margin", "governance", "technology_dependence", "redemption_overhang"]}
    assert data["other_policy"] == {"missing_data_policy": "neutral", "indicated_score": 56.57, "adjusted_score": 56.57, "adjusted_band": "Elevated"}

    table = runner.invoke(app, ["score", str(one_rubric)], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[2] == "INSUFFICIENT EVIDENCE: 14% of the weight is backed by evidence; the overall score below is provisional."
    assert lines[3].startswith("Not scored: Customer concentration, Margin, Governance violations, Technology dependence, Redemption overhang")
    assert "Score range      16.6–96.6 (Low to Severe), if the 5 unscored rubric(s) scored anywhere from 0 to 100" in lines
    assert any(line.startswith("Confidence       insufficient: 14% of the weight") for line in lines)
    assert "Other policy     56.6 Elevated with missing data neutral" in lines

    assert run("memo", one_rubric, "--out", tmp_path / "out").exit_code == 0
    md = (tmp_path / "out" / "ping-an-good-doctor.md").read_text(encoding="utf-8")
    verdict = md[md.index("## Verdict"):md.index("## Rubrics")]
    assert verdict.startswith("## Verdict\n\n**Insufficient evidence.** Only 14% of the weight is backed by evidence, too little to rate. "
                              "Provisional score only: 82.9 (Severe); the adjusted score could be anywhere in 16.6–96.6 (Low to Severe)")
    assert "risk: 82.9 / 100" not in verdict  # never the confident headline
    assert "- Margin: periods[*].gross_margin — No period states a gross margin or gross profit with revenue; periods[*].segments —" in verdict
    assert "- Redemption overhang: capital_structure.instruments — The profile does not say whether redeemable instruments exist." in verdict
    assert "The neutral missing-data policy (keeping each unscored rubric's weight at the neutral score) would give 56.6 (Elevated) instead of 82.9." in verdict
    html = (tmp_path / "out" / "ping-an-good-doctor.html").read_text(encoding="utf-8")
    assert '<div class="band">Insufficient evidence</div>' in html and "<strong>Not scored, and the facts that would fill them:</strong>" in html
    assert '<div class="verdict band-none">' in html


def test_wedoctor_is_provisional_for_its_unverified_reports_and_its_memo_shows_its_range() -> None:
    result = run("score", WEDOCTOR, "--json")
    data = json.loads(result.stdout)
    # every rubric scored and 94% of the weight is backed, but the restated IFRS losses are
    # marked unverified (issue 11): the confidence is provisional. The unverified post-hearing
    # report is shown but not credited, so redemption overhang does not rest on it.
    assert data["confidence"] == "provisional" and data["coverage"] == 94.0
    assert data["confidence_reasons"] == ["The evidence of Losses and cash burn includes facts marked unverified "
                                          "(a doubtful report); a score that rests partly on them is provisional."]
    assert data["score_range"]["low"] == data["score_range"]["high"] == data["adjusted_score"]
    for name in ("wedoctor.md", "peers/wedoctor.md"):
        md = (ROOT / "reports" / name).read_text(encoding="utf-8")
        assert "**Severe risk: 80.6 / 100**" in md
        assert "**Confidence: provisional.** The evidence of Losses and cash burn includes facts marked unverified" in md
        assert "| Confidence | insufficient below 50% of the weight backed by evidence; provisional below 80%" in md


def test_unverified_evidence_makes_a_sufficient_assessment_provisional(make_profile_data) -> None:  # type: ignore[no-untyped-def]
    from riskscore.profile.model import Profile
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    config = load_config(None)
    rubrics = [r for r in registry.select(config) if r.id == "customer_concentration"]
    share = {"value": "60%", "source": "m", "quote": "最大客户占比60%"}
    verified = Profile.model_validate(make_profile_data({"periods": [{"id": "FY2025", "customers": {"largest_share": share, "top5_share": {"value": "80%", "source": "m"}}}]}))
    doubtful = Profile.model_validate(make_profile_data({"periods": [{"id": "FY2025", "customers": {"largest_share": {**share, "unverified": True}, "top5_share": {"value": "80%", "source": "m"}}}]}))
    assert assess(verified, config, rubrics).confidence == "sufficient"
    a = assess(doubtful, config, rubrics)
    assert a.confidence == "provisional" and a.adjusted_score == assess(verified, config, rubrics).adjusted_score
    assert "Customer concentration includes facts marked unverified" in a.confidence_reasons[0]


def test_result_schema_documents_the_new_fields() -> None:
    result = run("schema", "result")
    schema = json.loads(result.stdout)
    for key in ("score_range", "confidence", "confidence_reasons", "other_policy"):
        assert key in schema["properties"] and key in schema["required"]
    assert schema["properties"]["confidence"]["enum"] == ["sufficient", "provisional", "insufficient"]
    assert "engine.insufficient_coverage" in schema["properties"]["confidence"]["description"]
    assert set(schema["$defs"]["ScoreRange"]["properties"]) == {"low", "high", "bands", "unscored"}
