"""Numbers in configuration and in plugin metadata: every one finite and within its documented
range, unknown red-flag ids refused. A bad value exits 2 naming the file and the key (a plugin
with bad metadata is not loaded: a warning naming it and the attribute, exit 1), never a
silently different verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
runner = CliRunner()

ALL_ZERO = "[weights]\n" + "".join(f"{r} = 0\n" for r in ("customer_concentration", "margin", "losses", "governance",
                                                             "technology_dependence", "redemption_overhang"))

# (case id, configuration text, key named in the message, reason (regex))
BAD_CONFIG = [
    ("weight_nan", "[weights]\nmargin = nan\n", "weights.margin", "finite number"),
    ("weight_inf", "[weights]\nmargin = inf\n", "weights.margin", "finite number"),
    ("weight_negative", "[weights]\nmargin = -15\n", "weights.margin", "greater than or equal to 0"),
    ("weight_huge", "[weights]\nmargin = 1e308\nlosses = 1e308\n", "weights.margin", "less than or equal to 1000000"),
    ("weight_just_over", "[weights]\nmargin = 1000000.5\n", "weights.margin", "less than or equal to 1000000"),
    ("weights_all_zero", ALL_ZERO, "weights", "every enabled rubric has weight 0"),
    ("enabled_zero_weight", "enabled = [\"margin\"]\n[weights]\nmargin = 0\n", "weights", "every enabled rubric has weight 0 \\(margin\\)"),
    ("enabled_empty", "enabled = []\n", "enabled", "at least 1 item"),
    ("set_weight_nan", "[rubric_sets.x]\nweights = { margin = nan }\n", "rubric_sets.x.weights.margin", "finite number"),
    ("set_enabled_empty", "[rubric_sets.x]\nenabled = []\n", "rubric_sets.x.enabled", "at least 1 item"),
    ("floor_over_100", "[engine]\nred_flag_floors = { largest_customer_majority = 500 }\n",
     "engine.red_flag_floors.largest_customer_majority", "less than or equal to 100"),
    ("floor_nan", "[engine]\nred_flag_floors = { largest_customer_majority = nan }\n",
     "engine.red_flag_floors.largest_customer_majority", "finite number"),
    ("floor_misspelt_flag", "[engine]\nred_flag_floors = { largest_customer_majorty = 80 }\n",
     "engine.red_flag_floors.largest_customer_majorty", "no rubric raises a red flag with the id 'largest_customer_majorty'"),
    ("floor_undeclared_prefix", "[engine]\nred_flag_floors = { margin_collapse = 80 }\n",
     "engine.red_flag_floors.margin_collapse", "no rubric raises a red flag"),
    ("general_floor_negative", "[engine]\nred_flag_floor = -1\n", "engine.red_flag_floor", "greater than or equal to 0"),
    ("general_floor_nan", "[engine]\nred_flag_floor = nan\n", "engine.red_flag_floor", "finite number"),
    ("neutral_score_over", "[engine]\nneutral_score = 100.01\n", "engine.neutral_score", "less than or equal to 100"),
    ("timeout_inf", "[engine]\nrubric_timeout_seconds = inf\n", "engine.rubric_timeout_seconds", "finite number"),
    ("timeout_zero", "[engine]\nrubric_timeout_seconds = 0\n", "engine.rubric_timeout_seconds", "greater than 0"),
    ("share_nan", "[rubrics.customer_concentration]\nred_flag_largest_share = nan\n",
     "rubrics.customer_concentration.red_flag_largest_share", "finite number"),
    ("share_over", "[rubrics.customer_concentration]\nred_flag_largest_share = 101\n",
     "rubrics.customer_concentration.red_flag_largest_share", "less than or equal to 100"),
    ("share_negative", "[rubrics.margin]\ncore_revenue_share = -1\n", "rubrics.margin.core_revenue_share", "greater than or equal to 0"),
    ("grid_x_nan", "[rubrics.customer_concentration]\nlargest_share_grid = [[nan, 0], [10, 20]]\n",
     "rubrics.customer_concentration.largest_share_grid", "finite number"),
    ("grid_y_inf", "[rubrics.losses]\nloss_years_grid = [[0, 0], [1, inf]]\n", "rubrics.losses.loss_years_grid", "finite number"),
    ("grid_score_over", "[rubrics.losses]\nloss_years_grid = [[0, 0], [1, 101]]\n", "rubrics.losses.loss_years_grid", "within 0-100"),
    ("grid_x_twice", "[rubrics.margin]\ngross_margin_grid = [[0, 100], [0, 50]]\n", "rubrics.margin.gross_margin_grid", "twice"),
    ("sub_weight_negative", "[rubrics.margin]\ncore_weight = -1\n", "rubrics.margin.core_weight", "greater than or equal to 0"),
    ("sub_weights_zero", "[rubrics.margin]\ncore_weight = 0\nconsolidated_weight = 0\n", "rubrics.margin", "both 0"),
    ("points_over", "[rubrics.losses]\ntrend_points = 150\n", "rubrics.losses.trend_points", "less than or equal to 100"),
    ("severity_over", "[rubrics.governance.base_severity]\nwarning_letter = 120\n",
     "rubrics.governance.base_severity.warning_letter", "less than or equal to 100"),
    ("factor_nan", "[rubrics.governance.subject_factor]\nsubsidiary = nan\n", "rubrics.governance.subject_factor.subsidiary", "finite number"),
    ("half_life_zero", "[rubrics.governance]\nhalf_life_years = 0\n", "rubrics.governance.half_life_years", "greater than 0"),
    ("control_score_negative", "[rubrics.technology_dependence.control_score]\nshared = -5\n",
     "rubrics.technology_dependence.control_score.shared", "greater than or equal to 0"),
    ("trigger_points_nan", "[rubrics.redemption_overhang]\ntrigger_points = nan\n", "rubrics.redemption_overhang.trigger_points", "finite number"),
]


@pytest.mark.parametrize("text, key, reason", [c[1:] for c in BAD_CONFIG], ids=[c[0] for c in BAD_CONFIG])
def test_bad_configuration_value_exits_2_naming_file_and_key(tmp_path: Path, text: str, key: str, reason: str) -> None:
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--config", str(cfg), "--json"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # no verdict at all
    assert "Traceback" not in result.stderr
    line = next((ln for ln in result.stderr.splitlines() if f"{cfg}: {key}" in ln), None)
    assert line is not None, result.stderr
    assert re.search(reason, line), line


@pytest.mark.parametrize("text", [
    "[weights]\nmargin = 0\n",                                                     # one weight 0 is fine
    "[weights]\nmargin = 1000000\n",                                              # the documented maximum
    "[engine]\nred_flag_floors = { largest_customer_majority = 100, governance_csrc = 0 }\n",  # a declared family
    "[rubrics.customer_concentration]\nred_flag_largest_share = 0\n",
    "[rubrics.margin]\ncore_weight = 0\n",
])
def test_values_at_the_edges_of_their_ranges_are_accepted(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--config", str(cfg), "--json"])
    assert result.exit_code == 0, result.output


PLUGIN = '''
from riskscore.rubric import DataGap, Rubric, RubricResult


class Odd(Rubric):
    """A rubric with odd metadata, for tests.

    Scores nothing.
    """

    id = {rid}
    title = "Odd"
    version = "1.0"
    default_weight = {weight}
    contract_version = 1
    red_flag_ids = {flags}

    def score(self, profile, params):
        return RubricResult(coverage=0.0, data_gaps=[DataGap(field="x", reason="nothing")])
'''

BAD_METADATA = [
    ("weight_negative", '"odd"', "-50", "None", "default_weight must be a finite number from 0 to 1,000,000; got -50"),
    ("weight_nan", '"odd"', 'float("nan")', "None", "default_weight must be a finite number from 0 to 1,000,000; got nan"),
    ("weight_inf", '"odd"', 'float("inf")', "None", "default_weight must be a finite number"),
    ("weight_huge", '"odd"', "1e308", "None", "default_weight must be a finite number"),
    ("weight_bool", '"odd"', "True", "None", "default_weight must be a finite number"),
    ("weight_text", '"odd"', '"10"', "None", "default_weight must be a finite number"),
    ("id_not_slug", '"../Odd"', "5", "None", "id must be a lower-case slug"),
    ("flags_not_tuple", '"odd"', "5", '"odd_flag"', "red_flag_ids must be None or a tuple"),
]


@pytest.mark.parametrize("rid, weight, flags, reason", [c[1:] for c in BAD_METADATA], ids=[c[0] for c in BAD_METADATA])
def test_plugin_with_bad_metadata_is_not_loaded(tmp_path: Path, rid: str, weight: str, flags: str, reason: str) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "odd.py").write_text(PLUGIN.format(rid=rid, weight=weight, flags=flags), encoding="utf-8")
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--rubrics-dir", str(plugins), "--json"])
    assert result.exit_code == 1, result.output
    assert f"({plugins / 'odd.py'}) not loaded: {reason}" in result.stderr
    import json

    assessment = json.loads(result.stdout)  # scored without it: the verdict of the built-ins, unchanged
    assert [r["id"] for r in assessment["rubrics"]] == ["customer_concentration", "margin", "losses", "governance",
                                                        "technology_dependence", "redemption_overhang"]
    assert assessment["adjusted_score"] == pytest.approx(80.61)  # WeDoctor with the built-ins (issue 11 data)


def test_a_floor_for_a_plugin_s_flag_is_accepted_by_prefix_or_declaration(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "odd.py").write_text(PLUGIN.format(rid='"odd"', weight="5", flags="None"), encoding="utf-8")
    (plugins / "declared.py").write_text(PLUGIN.format(rid='"declared"', weight="5", flags='("cash_cliff",)').replace("class Odd", "class Declared"),
                                         encoding="utf-8")
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text("[engine]\nred_flag_floors = { odd_anything = 70, cash_cliff = 90 }\n", encoding="utf-8")
    ok = runner.invoke(app, ["score", str(WEDOCTOR), "--config", str(cfg), "--rubrics-dir", str(plugins), "--json"])
    assert ok.exit_code == 0, ok.output
    cfg.write_text("[engine]\nred_flag_floors = { declared_other = 70 }\n", encoding="utf-8")  # declared: the prefix is not enough
    bad = runner.invoke(app, ["score", str(WEDOCTOR), "--config", str(cfg), "--rubrics-dir", str(plugins), "--json"])
    assert bad.exit_code == 2
    assert f"{cfg}: engine.red_flag_floors.declared_other: no rubric raises a red flag" in bad.stderr
