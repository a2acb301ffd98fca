"""Tests for the going_concern rubric: the rubric contract, then its behaviour on small profiles.

Run them against the installed package (the entry-point test needs it installed):

    pip install './examples/riskscore-going-concern[test]'
    pytest examples/riskscore-going-concern/tests
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from riskscore_going_concern import GoingConcern

from riskscore.errors import InputError
from riskscore.rubric import Profile, RubricResult
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.testing import check_installed, check_rubric, sample_profiles

SOURCES = [
    {"id": "p", "title": "Prospectus", "publisher": "HKEX", "date": "2025-06-30", "kind": "prospectus"},
    {"id": "m", "title": "News article", "publisher": "Press", "date": "2025-07-15", "kind": "media"},
]


def money(amount: float, source: str = "p", **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "unit": "RMB 亿", "source": source, **extra}


def make_profile(*periods: dict[str, Any], capital_structure: dict[str, Any] | None = None) -> Profile:
    """A validated profile holding only ``periods`` and ``capital_structure``."""
    data: dict[str, Any] = {
        "id": "testco", "as_of": "2025-12-31", "presentation_unit": "RMB 亿",
        "company": {"name": "Test Co"}, "periods": list(periods), "sources": SOURCES,
    }
    if capital_structure is not None:
        data["capital_structure"] = capital_structure
    return Profile.model_validate(data)


def score(profile: Profile, **params: Any) -> RubricResult:
    return GoingConcern().score(profile, GoingConcern.Params(**params))


def metric(result: RubricResult, metric_id: str):  # type: ignore[no-untyped-def]
    return next(m for m in result.metrics if m.id == metric_id)


def flag_ids(result: RubricResult) -> list[str]:
    return [f.id for f in result.red_flags]


def distressed() -> Profile:
    """Every indicator present: net liabilities, a cash outflow, a loss and six months of cash."""
    return make_profile(
        {"id": "FY2024", "operating_cash_flow": money(-12), "adjusted_net_profit": money(-10), "net_profit": money(-15)},
        capital_structure={"period": "FY2024", "net_liabilities": money(5), "cash": money(6)},
    )


# --------------------------------------------------------------------------- the contract


def test_honours_the_rubric_contract() -> None:
    # The kit runs the rubric on its sample profiles and on ours, and lists every broken rule.
    check_rubric(GoingConcern, [distressed()])


def test_is_registered_under_the_entry_point() -> None:
    check_installed(GoingConcern)  # an installed entry point named after the id loads the class
    found = [item for item in registry.discover() if item.name == "going_concern"]
    assert len(found) == 1, "install the package first: pip install ./examples/riskscore-going-concern"
    assert found[0].rubric is GoingConcern
    assert found[0].origin == f"riskscore-going-concern {version('riskscore-going-concern')}"


def test_metadata() -> None:
    assert (GoingConcern.id, GoingConcern.title, GoingConcern.version, GoingConcern.default_weight) == ("going_concern", "Going concern", "0.1.0", 10)
    assert GoingConcern.description().startswith("Whether the profile shows")
    assert "runway_grid" in GoingConcern.method()


# --------------------------------------------------------------------------- behaviour


def test_every_indicator_present() -> None:
    result = score(distressed())
    assert result.score == 90  # 40 + 30 + 20 indicator points, above the runway's 85
    assert result.band == "Severe"
    assert result.coverage == 1.0
    assert not result.data_gaps
    assert metric(result, "cash_runway").value == 6
    assert metric(result, "cash_runway").score == 85
    assert flag_ids(result) == ["going_concern_short_runway", "going_concern_net_liabilities_and_cash_burn"]


@pytest.mark.parametrize("cash, months, expected", [
    (0, 0, 100), (6, 6, 85), (9, 9, 72.5), (12, 12, 60), (24, 24, 30), (36, 36, 10), (120, 120, 10),
])
def test_runway_on_the_grid_with_the_interim_annualised(cash: float, months: float, expected: float) -> None:
    # An outflow of 6 over the six months of 2025H1 is a burn of 1 a month: the runway is the cash.
    result = score(make_profile({"id": "2025H1", "operating_cash_flow": money(-6)},
                                capital_structure={"period": "2025H1", "cash": money(cash)}))
    runway = metric(result, "cash_runway")
    assert runway.value == pytest.approx(months)
    assert runway.score == pytest.approx(expected)
    assert runway.period == "2025H1"
    assert result.score == pytest.approx(max(30, expected))  # negative operating cash flow: 30 points
    assert ("going_concern_short_runway" in flag_ids(result)) == (months < 12)


def test_runway_score_alone_can_set_the_score() -> None:
    result = score(make_profile({"id": "FY2024", "operating_cash_flow": money(-12), "adjusted_net_profit": money(1)},
                                capital_structure={"period": "FY2024", "cash": money(3)}))
    assert metric(result, "cash_runway").value == 3
    assert result.score == pytest.approx(92.5)  # halfway between 0 months (100) and 6 months (85)
    assert result.band == "Severe"


def test_no_cash_burn_means_no_runway_risk() -> None:
    result = score(make_profile({"id": "FY2024", "operating_cash_flow": money(2), "adjusted_net_profit": money(-1)}))
    runway = metric(result, "cash_runway")
    assert (runway.value, runway.score, runway.display) == (None, 0, "no cash burn")
    assert metric(result, "operating_cash_flow").score == 0
    assert result.score == 20  # the loss only
    assert result.red_flags == []
    assert [g.field for g in result.data_gaps] == ["capital_structure.net_liabilities"]
    assert result.coverage == 0.75


def test_net_assets_are_not_an_indicator() -> None:
    result = score(make_profile(capital_structure={"net_liabilities": money(-3)}))
    assert metric(result, "net_liabilities").score == 0
    assert result.score == 0
    assert result.band == "Low"


def test_adjusted_result_is_preferred_to_ifrs() -> None:
    adjusted_profit = score(make_profile({"id": "FY2024", "adjusted_net_profit": money(1), "net_profit": money(-5)}))
    assert metric(adjusted_profit, "net_result").label == "Net result (adjusted)"
    assert metric(adjusted_profit, "net_result").score == 0
    assert any("IFRS net result was RMB -5 亿" in e.statement for e in adjusted_profit.evidence)

    ifrs_only = score(make_profile({"id": "FY2024", "net_profit": money(-5)}))
    assert metric(ifrs_only, "net_result").label == "Net result (IFRS)"
    assert metric(ifrs_only, "net_result").score == 20


def test_reads_the_latest_period_that_reports_each_figure() -> None:
    result = score(make_profile(
        {"id": "FY2023", "operating_cash_flow": money(-5), "adjusted_net_profit": money(-2)},
        {"id": "2024H1", "adjusted_net_profit": money(0.5)},
    ))
    assert metric(result, "operating_cash_flow").period == "FY2023"
    assert metric(result, "net_result").period == "2024H1"
    assert metric(result, "net_result").score == 0


def test_a_newer_period_cash_figure_wins_over_the_capital_structure() -> None:
    result = score(make_profile(
        {"id": "FY2023"},
        {"id": "FY2024", "operating_cash_flow": money(-12), "cash": money(4)},
        capital_structure={"period": "FY2023", "cash": money(100)},
    ))
    assert metric(result, "cash_runway").value == 4


def test_the_engine_s_source_ranking_picks_the_figure() -> None:
    # The prospectus outranks the media report whatever the order in the profile.
    result = score(make_profile({"id": "FY2024", "operating_cash_flow": [money(-20, source="m"), money(-12)]},
                                capital_structure={"period": "FY2024", "cash": money(12)}))
    assert metric(result, "operating_cash_flow").value == -12
    assert metric(result, "cash_runway").value == 12
    assert {s for e in result.evidence for s in e.sources} == {"p"}


def test_unknown_indicators_are_data_gaps_and_lower_coverage() -> None:
    result = score(make_profile({"id": "FY2024", "adjusted_net_profit": money(-1)}))
    assert result.score == 20
    assert result.coverage == 0.25
    assert [g.field for g in result.data_gaps] == [
        "capital_structure.net_liabilities", "periods[*].operating_cash_flow", "periods[*].operating_cash_flow"]
    assert "Not assessed" in result.narrative


def test_cash_burn_without_cash_is_a_gap() -> None:
    result = score(make_profile({"id": "FY2024", "operating_cash_flow": money(-1)}))
    assert metric(result, "cash_runway").score is None
    assert "capital_structure.cash" in [g.field for g in result.data_gaps]
    assert result.score == 30


def test_no_indicator_no_score() -> None:
    _, empty = sample_profiles()
    result = score(empty)
    assert (result.score, result.band, result.coverage) == (None, None, 0.0)
    assert len(result.data_gaps) == 4


# --------------------------------------------------------------------------- parameters


def test_points_are_capped_at_100() -> None:
    result = score(distressed(), net_liabilities_points=50, negative_operating_cash_flow_points=50, net_loss_points=50)
    assert result.score == 100


def test_red_flags_can_be_turned_off() -> None:
    result = score(distressed(), runway_horizon_months=0, red_flag_net_liabilities_with_cash_burn=False)
    assert result.red_flags == []


def test_parameters_and_weight_come_from_riskscore_toml(tmp_path: Path) -> None:
    config_file = tmp_path / "riskscore.toml"
    config_file.write_text(
        "[weights]\ngoing_concern = 15\n\n"
        "[rubrics.going_concern]\nnet_loss_points = 5\nrunway_grid = [[0, 100], [12, 0]]\n",
        encoding="utf-8",
    )
    config = load_config(config_file)
    params = registry.params_for(GoingConcern, config)
    assert params.net_loss_points == 5
    assert params.runway_grid.score(6) == 50
    assert params.net_liabilities_points == 40  # not configured: the model's default
    assert config.weight_for(GoingConcern.id, GoingConcern.default_weight) == 15


def test_a_misspelt_parameter_is_an_error(tmp_path: Path) -> None:
    config_file = tmp_path / "riskscore.toml"
    config_file.write_text("[rubrics.going_concern]\nnet_loss_pointz = 5\n", encoding="utf-8")
    with pytest.raises(InputError, match="net_loss_pointz"):
        registry.params_for(GoingConcern, load_config(config_file))
