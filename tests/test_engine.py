"""The engine: weighting and the missing-data policy, red-flag floors, failing rubrics, drivers,
conflicting observations, configuration errors, purity and determinism.

Default weights (defaults.toml): customer_concentration 20, margin 15, losses 20,
governance 15, technology_dependence 10, redemption_overhang 20 (sum 100).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from riskscore.errors import InputError
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.scoring import registry
from riskscore.scoring.config import Config, load_config
from riskscore.scoring.contract import Rubric, RubricResult
from riskscore.scoring.engine import Assessment, assess

REPO = Path(__file__).resolve().parents[1]


def largest_share(value: str) -> dict[str, Any]:
    return {"periods": [{"id": "FY2025", "customers": {"largest_share": {"value": value, "source": "p"}}}]}


# Largest customer 20% → 40 (coverage 0.7); governance searched, nothing found → 0.
CC20_GOV0 = {**largest_share("20%"), "governance_events": []}
# Largest customer 50% → 80 and the `largest_customer_majority` red flag; governance 0.
CC50_GOV0 = {**largest_share("50%"), "governance_events": []}


@pytest.fixture(scope="module")
def rubrics() -> list[type[Rubric]]:
    return registry.select(load_config(None))


def config_file(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "riskscore.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def outcome(assessment: Assessment, rubric_id: str):
    return next(o for o in assessment.rubrics if o.id == rubric_id)


# --------------------------------------------------------------------------- weights and missing data


def test_reallocate_normalises_weights_over_scored_rubrics(make_profile, default_config, rubrics) -> None:
    a = assess(make_profile(CC20_GOV0), default_config, rubrics)
    assert a.missing_data_policy == "reallocate"
    statuses = {o.id: o.status for o in a.rubrics}
    assert statuses == {
        "customer_concentration": "scored", "governance": "scored",
        "margin": "no_data", "losses": "no_data", "technology_dependence": "no_data", "redemption_overhang": "no_data",
    }
    assert outcome(a, "customer_concentration").weight == pytest.approx(20 / 35, abs=1e-6)
    assert outcome(a, "governance").weight == pytest.approx(15 / 35, abs=1e-6)
    assert all(o.weight == 0 and o.score is None for o in a.rubrics if o.status == "no_data")
    assert a.indicated_score == pytest.approx(40 * 20 / 35, abs=0.01)      # 22.86
    assert a.indicated_band == "Moderate"
    assert a.adjusted_score == a.indicated_score and a.floor_applied is None


def test_coverage_is_evidence_backed_share_of_configured_weight(make_profile, default_config, rubrics) -> None:
    a = assess(make_profile(CC20_GOV0), default_config, rubrics)
    # customer concentration backs 0.7 of its 20 (no top-five share); governance all of its 15.
    assert outcome(a, "customer_concentration").coverage == pytest.approx(0.7)
    assert a.coverage == pytest.approx((20 * 0.7 + 15) / 100)
    assert {g.rubric for g in a.data_gaps} == {
        "customer_concentration", "margin", "losses", "technology_dependence", "redemption_overhang",
    }


def test_neutral_policy_keeps_weights_at_neutral_score(tmp_path, make_profile, rubrics) -> None:
    config = config_file(tmp_path, '[engine]\nmissing_data = "neutral"\n')
    a = assess(make_profile(CC20_GOV0), config, rubrics)
    assert a.missing_data_policy == "neutral"
    no_data = [o for o in a.rubrics if o.status == "no_data"]
    assert len(no_data) == 4 and all(o.score == 50 for o in no_data)
    assert outcome(a, "customer_concentration").weight == pytest.approx(0.20)
    assert a.indicated_score == pytest.approx((20 * 40 + 15 * 0 + 65 * 50) / 100)   # 40.5
    assert a.coverage == pytest.approx(0.29)                                           # unchanged by the policy
    assert "margin" not in a.drivers                                                   # neutral scores are not drivers


def test_neutral_score_is_configurable(tmp_path, make_profile, rubrics) -> None:
    config = config_file(tmp_path, '[engine]\nmissing_data = "neutral"\nneutral_score = 30\n')
    a = assess(make_profile(CC20_GOV0), config, rubrics)
    assert a.indicated_score == pytest.approx((20 * 40 + 65 * 30) / 100)             # 27.5


def test_configured_weights_override_defaults(tmp_path, make_profile, rubrics) -> None:
    config = config_file(tmp_path, "[weights]\ncustomer_concentration = 60\n")
    a = assess(make_profile(CC20_GOV0), config, rubrics)
    assert a.indicated_score == pytest.approx(40 * 60 / 75)                            # 32


def test_nothing_scored(make_profile, default_config, rubrics) -> None:
    a = assess(make_profile(), default_config, rubrics)
    assert a.indicated_score is None and a.adjusted_score is None and a.indicated_band is None
    assert a.coverage == 0 and a.drivers == [] and a.red_flags == []
    assert all(o.status == "no_data" for o in a.rubrics)


# --------------------------------------------------------------------------- red-flag floors


def test_red_flag_floor_raises_a_lower_score(make_profile, default_config, rubrics) -> None:
    a = assess(make_profile(CC50_GOV0), default_config, rubrics)
    assert a.indicated_score == pytest.approx(80 * 20 / 35, abs=0.01)                 # 45.71
    assert a.indicated_band == "Elevated"
    assert [(f.rubric, f.id, f.floor) for f in a.red_flags] == [("customer_concentration", "largest_customer_majority", 60)]
    assert a.adjusted_score == 60 and a.adjusted_band == "High" and a.floor_applied == 60


def test_red_flag_floor_leaves_a_higher_score(make_profile, default_config, rubrics) -> None:
    a = assess(make_profile(largest_share("50%")), default_config, rubrics)
    assert a.indicated_score == 80
    assert len(a.red_flags) == 1
    assert a.adjusted_score == 80 and a.floor_applied is None


def test_general_floor_is_configurable(tmp_path, make_profile, rubrics) -> None:
    a = assess(make_profile(CC50_GOV0), config_file(tmp_path, "[engine]\nred_flag_floor = 70\n"), rubrics)
    assert a.adjusted_score == 70 and a.floor_applied == 70


def test_per_flag_floor_overrides_the_general_one(tmp_path, make_profile, rubrics) -> None:
    config = config_file(tmp_path, "[engine]\nred_flag_floors = { largest_customer_majority = 80 }\n")
    a = assess(make_profile(CC50_GOV0), config, rubrics)
    assert [f.floor for f in a.red_flags] == [80]
    assert a.adjusted_score == 80 and a.adjusted_band == "Severe"


def test_highest_floor_of_several_flags_applies(tmp_path, make_profile, rubrics) -> None:
    fragment = {
        **CC50_GOV0,
        "capital_structure": {
            "cash": {"amount": 10, "unit": "RMB 亿", "source": "p"},
            # a claim of 2× cash → 70 and the redemption red flag
            "instruments": [{"name": "Pref", "kind": "redeemable_preferred", "amount": {"amount": 20, "unit": "RMB 亿", "source": "p"},
                             "trigger": "listing_failure", "converts_at_listing": True}],
        },
    }
    config = config_file(tmp_path, "[engine]\nred_flag_floors = { redemption_claim_exceeds_resources = 75 }\n")
    a = assess(make_profile(fragment), config, rubrics)
    assert sorted((f.id, f.floor) for f in a.red_flags) == [("largest_customer_majority", 60), ("redemption_claim_exceeds_resources", 75)]
    assert a.indicated_score == pytest.approx((80 * 20 + 0 * 15 + 70 * 20) / 55, abs=0.01)   # 54.55
    assert a.adjusted_score == 75


# --------------------------------------------------------------------------- failing rubrics


class Boom(Rubric):
    """Always raises."""

    id = "boom"
    title = "Boom"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):
        raise RuntimeError("kaput")


class WrongType(Rubric):
    """Returns a dict instead of a RubricResult."""

    id = "wrong_type"
    title = "Wrong type"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):
        return {"score": 50}


class BadBand(Rubric):
    """Returns a result whose band contradicts its score (built without validation)."""

    id = "bad_band"
    title = "Bad band"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):
        return RubricResult.model_construct(score=50.0, band="Low", coverage=1.0, metrics=[], adjustments=[], evidence=[],
                                            red_flags=[], data_gaps=[], scenarios=[], narrative="")


@pytest.mark.parametrize(
    "bad, message",
    [
        (Boom, "RuntimeError: kaput"),
        (WrongType, "returned dict, not a RubricResult"),
        (BadBand, "returned an invalid result"),
    ],
)
def test_failing_rubric_is_an_error_and_the_others_still_score(make_profile, default_config, rubrics, bad, message) -> None:
    a = assess(make_profile(CC20_GOV0), default_config, [*rubrics, bad])
    failed = outcome(a, bad.id)
    assert failed.status == "error" and message in failed.error
    assert failed.score is None and failed.weight == 0 and failed.result is None
    assert a.failed == [failed]
    assert outcome(a, "customer_concentration").status == "scored"
    assert a.indicated_score == pytest.approx(40 * 20 / 35, abs=0.01)                  # as without the failing rubric
    assert bad.id not in a.drivers
    assert any(g.rubric == bad.id and message in g.reason for g in a.data_gaps)
    assert a.coverage == pytest.approx((20 * 0.7 + 15) / 110, abs=1e-4)                # its weight is configured, not backed


# --------------------------------------------------------------------------- drivers


def test_drivers_ordered_by_contribution(make_profile, default_config, rubrics) -> None:
    fragment = {
        "periods": [{"id": "FY2025", "gross_margin": {"value": "25%", "source": "p"},
                     "customers": {"largest_share": {"value": "20%", "source": "p"}}}],
        "technology": {"core": [{"name": "Engine", "control": "proprietary", "sources": ["p"]}]},
        "governance_events": [],
    }
    a = assess(make_profile(fragment), default_config, rubrics)
    # customer 40 × 20, margin 40 × 15, technology 10 × 10, governance 0 × 15; over weight 60.
    assert a.drivers == ["customer_concentration", "margin", "technology_dependence", "governance"]
    contributions = {o.id: o.contribution for o in a.rubrics}
    assert contributions["customer_concentration"] == pytest.approx(800 / 60, abs=1e-3)
    assert contributions["margin"] == pytest.approx(600 / 60, abs=1e-3)
    assert contributions["technology_dependence"] == pytest.approx(100 / 60, abs=1e-3)
    assert a.indicated_score == pytest.approx(sum(contributions.values()), abs=0.01) == 25


# --------------------------------------------------------------------------- conflicting observations and source rank


def money(amount: float, source: str, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


def test_conflicts_reported_for_disagreement_not_for_rounding(make_profile, default_config, rubrics) -> None:
    fragment = {"periods": [{
        "id": "FY2025",
        "revenue": [money(13.7, "m"), money(13.68, "m2")],                 # 13.65-13.75 overlaps 13.675-13.685
        "adjusted_net_profit": [money(-9.1, "m"), money(-8.17, "m2")],      # -9.15..-9.05 vs -8.175..-8.165
        "operating_cash_flow": [money(0.2, "m", bound="about"), money(0.21, "m2")],
    }]}
    a = assess(make_profile(fragment), default_config, rubrics)
    assert [c.field for c in a.conflicts] == ["periods[FY2025].adjusted_net_profit"]
    [conflict] = a.conflicts
    assert {conflict.chosen.display, *(o.display for o in conflict.others)} == {"RMB -9.1 亿", "RMB -8.17 亿"}
    assert {(o.value, o.unit) for o in (conflict.chosen, *conflict.others)} == {(-9.1, "RMB 亿"), (-8.17, "RMB 亿")}


def test_research_beats_media(make_profile, default_config, rubrics) -> None:
    fragment = {"periods": [{"id": "FY2025", "customers": {"largest_share": [
        {"value": "60%", "source": "m"}, {"value": "30%", "source": "r"},
    ]}}]}
    a = assess(make_profile(fragment), default_config, rubrics)
    [conflict] = a.conflicts
    assert (conflict.chosen.source, conflict.chosen.source_kind, conflict.chosen.value, conflict.chosen.unit) == ("r", "research", 30.0, "%")
    assert [o.source for o in conflict.others] == ["m"]
    cc = outcome(a, "customer_concentration").result
    assert cc.metrics[0].value == 30 and cc.red_flags == []


FILINGS = [
    {"id": "hk-2021", "date": "2021-04-01", "exchange": "HKEX", "status": "lapsed", "sources": ["p"]},
    {"id": "hk-2025", "date": "2025-09", "exchange": "HKEX", "status": "filed", "sources": ["p"]},
]


@pytest.mark.parametrize("reverse", [False, True], ids=["file_order", "reversed"])
def test_newer_filing_wins_between_equal_kinds(make_profile, default_config, rubrics, reverse) -> None:
    observations = [money(-9.1, "m", filing="hk-2025"), money(-8.17, "m2", filing="hk-2021")]
    fragment = {"filings": FILINGS, "periods": [{
        "id": "FY2025", "revenue": money(100, "p"),
        "adjusted_net_profit": observations[::-1] if reverse else observations,
    }]}
    a = assess(make_profile(fragment), default_config, rubrics)
    [conflict] = a.conflicts
    assert (conflict.chosen.source, conflict.chosen.filing) == ("m", "hk-2025")       # newer filing beats more decimals
    margin = next(m for m in outcome(a, "losses").result.metrics if m.id == "adjusted_net_margin")
    assert margin.value == pytest.approx(-9.1)


def test_prospectus_beats_a_newer_filing_quoted_by_media(make_profile, default_config, rubrics) -> None:
    fragment = {"filings": FILINGS, "periods": [{"id": "FY2025", "revenue": [
        money(50, "m", filing="hk-2025"), money(40, "p", filing="hk-2021"),
    ]}]}
    [conflict] = assess(make_profile(fragment), default_config, rubrics).conflicts
    assert conflict.chosen.source == "p"


# --------------------------------------------------------------------------- configuration errors


def test_unknown_rubric_in_weights(tmp_path) -> None:
    path = tmp_path / "riskscore.toml"
    path.write_text("[weights]\ncustomer_concentraton = 20\n", encoding="utf-8")
    config = load_config(path)
    with pytest.raises(InputError) as info:
        registry.select(config)
    assert info.value.file == str(path)
    [problem] = info.value.problems
    assert problem.field == "weights.customer_concentraton"
    assert "no rubric has the id 'customer_concentraton'" in problem.message


def test_unknown_rubric_in_enabled(tmp_path) -> None:
    config = config_file(tmp_path, 'enabled = ["margin", "nope"]\n')
    with pytest.raises(InputError, match="unknown rubric 'nope'"):
        registry.select(config)


def test_enabled_selects_rubrics(tmp_path) -> None:
    config = config_file(tmp_path, 'enabled = ["margin", "governance"]\n')
    assert [r.id for r in registry.select(config)] == ["margin", "governance"]


@pytest.mark.parametrize(
    "toml, field",
    [
        ("[rubrics.customer_concentration]\nlargest_share_wieght = 0.5\n", "rubrics.customer_concentration.largest_share_wieght"),
        ('[rubrics.losses]\ntrend_points = "five"\n', "rubrics.losses.trend_points"),
        ("[rubrics.margin]\ngross_margin_grid = [[0, 100], [0, 50]]\n", "rubrics.margin.gross_margin_grid.points"),
        ('[rubrics.redemption_overhang]\nheadline_scenario = "best_case"\n', "rubrics.redemption_overhang.headline_scenario"),
    ],
)
def test_bad_rubric_param_names_the_key(tmp_path, make_profile, rubrics, toml, field) -> None:
    path = tmp_path / "riskscore.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as info:
        assess(make_profile(), load_config(path), rubrics)
    assert info.value.file == str(path)
    assert [p.field for p in info.value.problems] == [field]
    assert f"{path}: {field}: " in str(info.value)


@pytest.mark.parametrize(
    "toml, field",
    [
        ('[engine]\nmissing_data = "ignore"\n', "engine.missing_data"),
        ("[engine]\nred_flag_floor = 120\n", "engine.red_flag_floor"),
        ("[engine]\nflor = 60\n", "engine.flor"),
    ],
)
def test_bad_engine_setting(tmp_path, toml, field) -> None:
    path = tmp_path / "riskscore.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.file == str(path)
    assert [p.field for p in info.value.problems] == [field]


def test_unknown_config_section_and_bad_toml(tmp_path) -> None:
    with pytest.raises(InputError, match="wieghts"):
        config_file(tmp_path, "[wieghts]\nmargin = 1\n")
    with pytest.raises(InputError, match="not valid TOML"):
        config_file(tmp_path, "[engine\n")
    with pytest.raises(InputError, match="no such file"):
        load_config(tmp_path / "absent.toml")


# --------------------------------------------------------------------------- purity and determinism


@pytest.fixture(scope="module")
def wedoctor() -> Profile:
    return load_profile(REPO / "companies" / "wedoctor.yaml")


def test_scoring_does_not_mutate_the_profile(wedoctor, default_config, rubrics) -> None:
    before = wedoctor.model_dump()
    assess(wedoctor, default_config, rubrics)
    assert wedoctor.model_dump() == before


def test_assessment_is_deterministic(wedoctor, default_config, rubrics) -> None:
    first = assess(wedoctor, default_config, rubrics).model_dump_json()
    assert assess(wedoctor, default_config, rubrics).model_dump_json() == first
    reloaded = load_profile(REPO / "companies" / "wedoctor.yaml")
    assert assess(reloaded, load_config(None), registry.select(load_config(None))).model_dump_json() == first


def test_rubric_order_does_not_change_the_result(wedoctor, default_config, rubrics) -> None:
    forward = assess(wedoctor, default_config, rubrics)
    backward = assess(wedoctor, default_config, rubrics[::-1])
    assert (backward.indicated_score, backward.adjusted_score, backward.drivers) == (forward.indicated_score, forward.adjusted_score, forward.drivers)


def test_wedoctor_assessment(wedoctor, default_config, rubrics) -> None:
    a = assess(wedoctor, default_config, rubrics)
    assert all(o.status == "scored" for o in a.rubrics)
    # Customer concentration: 77.6% → 95 + 5 × 2.6/25 = 95.52, + 5 for the 6.8 pp rise (70.8% → 77.6%), capped at 100.
    assert outcome(a, "customer_concentration").score == 100
    # Governance: the 2022 CSRC penalty keeps its floor 0.75 × 85 = 63.75 while the founder holds 11.51%,
    # plus 5 for each of the three other findings: two events and a dividend paid while loss-making.
    assert outcome(a, "governance").score == pytest.approx(78.75)
    assert a.coverage == pytest.approx(0.94)                                            # no top-five share: 20 × 0.3 missing
    assert sorted(f.id for f in a.red_flags) == [
        "governance_szse-censure-2024", "largest_customer_majority", "redemption_claim_exceeds_resources",
    ]
    fields = [c.field for c in a.conflicts]
    assert "periods[FY2022].adjusted_net_profit" in fields                               # 9.1 vs 8.17
    assert "periods[FY2022].revenue" not in fields                                       # 13.7 vs 13.68 vs 13.67: rounding
    assert a.adjusted_score == a.indicated_score > 60
