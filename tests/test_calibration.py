"""Calibration (riskscore.analysis.calibration, `riskscore calibrate`) and the memo's probability line.

Fits use small synthetic CSV histories; one test fits the committed profiles and compares with
reports/calibration.json.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from riskscore.analysis import calibration as cal
from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.scoring.engine import RubricOutcome
from riskscore.scoring.scale import band_for

ROOT = Path(__file__).resolve().parents[1]
COMPANIES = ROOT / "companies"
WEDOCTOR = COMPANIES / "wedoctor.yaml"
COMMITTED = ROOT / "reports" / "calibration.json"
runner = CliRunner()


def run(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- synthetic histories

HEADER = ["id", "score_margin", "score_losses", "governance", "outcome"]
# Failed cases score higher on every rubric; some scores are missing (imputed with the median).
ROWS = [
    ["c01", "10", "20", "", "listed"],
    ["c02", "15", "25", "30", "listed"],
    ["c03", "20", "10", "35", "0"],
    ["c04", "30", "40", "20", "listed"],
    ["c05", "25", "", "40", "Listed "],
    ["c06", "35", "30", "25", "listed"],
    ["c07", "70", "80", "60", "failed"],
    ["c08", "80", "60", "", "1"],
    ["c09", "", "90", "70", "LAPSED"],
    ["c10", "65", "75", "55", "withdrawn"],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def history_rows(failed: int, listed: int) -> list[list[str]]:
    out = [[f"f{i}", str(60 + i), str(70 + i), str(50 + i), "failed"] for i in range(failed)]
    return out + [[f"l{i}", str(10 + i), str(20 + i), str(30 + i), "listed"] for i in range(listed)]


@pytest.fixture
def history_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "history.csv", ROWS)


def _medians() -> list[float]:
    columns = list(zip(*ROWS, strict=True))[1:4]
    return [statistics.median(float(v) for v in col if v) / 100 for col in columns]


# --------------------------------------------------------------------------- CSV history: a valid fit


def test_csv_history_fits_and_writes_the_calibration_file(history_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "calibration.json"
    result = run("calibrate", history_csv, "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["calibration_version"] == cal.CALIBRATION_VERSION == 3
    assert data["features"] == ["margin", "losses", "governance"]
    assert (data["cases"], data["failed"], data["listed"], data["companies"]) == (10, 4, 6, 10)
    assert data["grouped_by"].startswith("row (the CSV has no company column")
    assert data["label_rule"] == "as given in the CSV's outcome column" and data["label"] == {"source": "csv"}
    assert data["validation"]["scheme"] == {"kind": "leave_one_company_out", "folds": 10}
    assert data["base_rate"]["prior_setting"] == "auto"
    assert data["case_labels"] == [r[0] for r in ROWS] and data["skipped"] == [] and data["skipped_count"] == 0
    v = data["validation"]
    assert v["method"].startswith("leave-one-company-out cross-validation (10 folds): no company's cases on both sides of a fold")
    for model in ("model", "baseline"):
        for key in ("brier", "skill", "auc"):
            assert set(v[model][key]) == {"value", "sd", "resamples"}
        assert 0 <= v[model]["brier"]["value"] <= 1 and v[model]["auc"]["value"] > 0.9  # the classes separate cleanly
    assert v["baseline"]["feature"] in data["features"] and v["baseline"]["chosen_from"] == 3
    assert data["base_rate"]["history"] == 0.4 and data["base_rate"]["brier_of_history_rate"] == 0.24
    assert len(data["final"]["coefficients"]) == 3 and all(c > 0 for c in data["final"]["coefficients"])
    assert data["final"]["imputation_medians"] == pytest.approx(_medians(), abs=1e-6)
    assert sorted(data["held_out"]) == sorted(r[0] for r in ROWS)  # one model per company (here, per row)
    # what the command prints: counts, rule, base rates, the figures with their spread, the verdict
    assert "cases 10 (4 failed, 6 listed) from 10 companies; 0 left out" in result.stdout
    assert "label rule: as given in the CSV's outcome column" in result.stdout
    assert "base rate: history 40.0% (95% interval 16.8%–68.7%), market 70.8%" in result.stdout
    assert re.search(r"^base rate \(reference\)\s+\d\.\d{3}\s+0\s+—$", result.stdout, re.M)
    assert re.search(r"^model\s+\d\.\d{3} ± \d\.\d{3}\s+[+-]\d\.\d{3} ± \d\.\d{3}\s+\d\.\d{3} ± \d\.\d{3}$", result.stdout, re.M)
    assert re.search(r"^best rubric: \w+\s+\d\.\d{3} ± \d\.\d{3}", result.stdout, re.M)
    assert "in-sample Brier of always predicting the history's base rate: 0.2400" in result.stdout
    for feature in data["features"]:
        assert re.search(rf"^  {feature}\s+[+-]\d\.\d{{3}}$", result.stdout, re.M)
    assert f"wrote {out}" in result.stderr


def test_final_model_is_logistic_regression_on_median_imputed_scores_with_its_intercept_moved_to_the_prior(history_csv: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from riskscore.scoring.config import CalibrationSettings

    history = cal.history_from_csv(str(history_csv))
    medians = _medians()
    X = np.array([[float(v) / 100 if v else medians[j] for j, v in enumerate(r[1:4])] for r in ROWS])
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    for prior, rate in (("history", 0.4), ("market", 0.708), ("auto", 0.708)):  # 70.8% is outside 4 of 10's interval
        fitted = cal.fit(history, settings=CalibrationSettings(prior=prior), resamples=2)
        assert fitted["base_rate"]["prior_rate"] == rate
        assert fitted["final"]["coefficients"] == pytest.approx(list(model.coef_[0]), abs=1e-5)
        assert fitted["final"]["intercept"] == pytest.approx(float(model.intercept_[0]) + logit(rate) - logit(0.4), abs=1e-5)


@pytest.mark.parametrize("failed,cases,market,expected", [
    (2, 8, 0.708, "market"),   # 95% interval 7.1%-59.1%: the market rate lies above it
    (5, 8, 0.708, "history"),  # 30.6%-86.3%: inside
    (1, 50, 0.05, "history"),
    (1, 50, 0.30, "market"),
])
def test_auto_prior_uses_the_market_rate_only_outside_the_history_interval(failed: int, cases: int, market: float, expected: str) -> None:
    from riskscore.scoring.config import CalibrationSettings

    rate, kind, why = cal.choose_prior(failed, cases, CalibrationSettings(market_failure_rate=market))
    assert kind == expected and rate == (market if expected == "market" else failed / cases)
    assert why.startswith("auto: ") and ("outside" if expected == "market" else "inside") in why
    low, high = cal.wilson_interval(failed, cases)
    assert (low <= market <= high) == (expected == "history")


def test_wilson_interval_by_hand() -> None:
    low, high = cal.wilson_interval(2, 8)
    assert (round(low, 4), round(high, 4)) == (0.0715, 0.5907)
    assert cal.wilson_interval(0, 0) == (0.0, 1.0)


def test_csv_outcome_encodings_and_labels(tmp_path: Path) -> None:
    rows = [["a", "1", x] for x in ("failed", "FAIL", " true ", "1", "lapsed", "Withdrawn", "rejected")]
    rows += [["b", "1", x] for x in ("listed", "Success", "false", "0")]
    history = cal.history_from_csv(str(write_csv(tmp_path / "h.csv", rows, ["label", "margin", "outcome"])))
    assert [c.failed for c in history.cases] == [1] * 7 + [0] * 4
    assert history.features == ["margin"] and history.cases[0].label == "a"
    no_ids = cal.history_from_csv(str(write_csv(tmp_path / "n.csv", [["5", "listed"], ["", "failed"]], ["score_losses", "outcome"])))
    assert [c.label for c in no_ids.cases] == ["row 2", "row 3"]
    assert [c.scores for c in no_ids.cases] == [{"losses": 5.0}, {"losses": None}]


def test_calibrate_is_deterministic(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", ROWS[:2] + ROWS[4:8])  # 2 failed, 4 listed: small and quick
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    assert run("calibrate", csv, "--out", first, "--min-cases", "6").exit_code == 0
    assert run("calibrate", csv, "--out", second, "--min-cases", "6").exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_a_feature_nobody_has_is_dropped(tmp_path: Path) -> None:
    rows = [r[:3] + [""] + r[4:] for r in history_rows(2, 6)]
    fitted = cal.fit(cal.history_from_csv(str(write_csv(tmp_path / "h.csv", rows))), resamples=2)
    assert fitted["features"] == ["margin", "losses"]
    assert len(fitted["final"]["coefficients"]) == len(fitted["final"]["imputation_medians"]) == 2


# --------------------------------------------------------------------------- CSV history: refusals


def _refused(tmp_path: Path, csv: Path | str, *extra: Any) -> str:
    out = tmp_path / "calibration.json"
    result = run("calibrate", csv, "--out", out, *extra)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert not out.exists()
    return result.stderr


@pytest.mark.parametrize("failed,listed,extra,needles", [
    (3, 4, (), ["7 labelled case(s)", "at least 8"]),
    (4, 6, ("--min-cases", "12"), ["10 labelled case(s)", "at least 12"]),
    (0, 8, (), ["all 8 cases listed", "one class"]),
    (9, 0, (), ["all 9 cases failed", "one class"]),
    (1, 9, (), ["only 1 case(s) of one class (1 failed, 9 listed)", "at least 2 of each"]),
    (8, 1, (), ["only 1 case(s) of one class (8 failed, 1 listed)"]),
    (2, 8, ("--min-per-class", "3"), ["only 2 case(s) of one class (2 failed, 8 listed)", "at least 3 of each"]),
])
def test_refuses_too_small_or_one_sided_histories(tmp_path: Path, failed: int, listed: int, extra: tuple[str, ...], needles: list[str]) -> None:
    message = _refused(tmp_path, write_csv(tmp_path / "h.csv", history_rows(failed, listed)), *extra)
    assert message.startswith("error: history: ")
    for needle in needles:
        assert needle in message


def test_min_options_can_lower_the_bar_to_two(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", history_rows(2, 2))
    assert run("calibrate", csv, "--out", tmp_path / "c.json", "--min-cases", "4").exit_code == 0
    assert run("calibrate", csv, "--out", tmp_path / "d.json", "--min-cases", "1").exit_code == 2  # below the option's minimum
    assert run("calibrate", csv, "--out", tmp_path / "d.json", "--min-per-class", "1").exit_code == 2


@pytest.mark.parametrize("header,rows,needles", [
    (["id", "score_margin"], [["a", "10"]], ["outcome: a history CSV needs an 'outcome' column"]),
    (HEADER, [["a", "10", "20", "30", "listed"], ["b", "10", "20", "30", "failed"], ["c", "1", "2", "3", "maybe"]],
     ["row 4.outcome", "'maybe'"]),
    (HEADER, [["a", "10", "20", "30", "listed"], ["b", "10", "120", "30", "failed"]], ["row 3.score_losses", "within 0-100", "120"]),
    (HEADER, [["a", "-5", "20", "30", "listed"]], ["row 2.score_margin", "within 0-100", "-5"]),
    (HEADER, [["a", "10", "20", "high", "listed"]], ["row 2.governance", "expected a score 0-100", "'high'"]),
    (["id", "company", "outcome"], [["a", "A", "listed"], ["b", "B", "failed"]], ["no score columns"]),
])
def test_refuses_malformed_csv_naming_row_and_column(tmp_path: Path, header: list[str], rows: list[list[str]], needles: list[str]) -> None:
    csv = write_csv(tmp_path / "bad.csv", rows, header)
    message = _refused(tmp_path, csv)
    assert str(csv) in message
    for needle in needles:
        assert needle in message


def test_refuses_a_nonexistent_or_empty_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert f"{missing}: no such file" in _refused(tmp_path, missing)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert f"{empty}: cannot read as CSV" in _refused(tmp_path, empty)


def test_blank_outcome_cell_is_blamed_on_its_own_row(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", [["a", "10", "1"], ["b", "20", ""], ["c", "30", "0"]], ["id", "score_margin", "outcome"])
    with pytest.raises(InputError) as info:
        cal.history_from_csv(str(csv))
    assert "row 3.outcome" in str(info.value)


def test_two_columns_for_one_rubric_are_refused(tmp_path: Path) -> None:
    rows = [[r[0], r[1], str(100 - int(r[1])), r[4]] for r in history_rows(2, 6)]
    csv = write_csv(tmp_path / "h.csv", rows, ["id", "score_margin", "margin", "outcome"])
    with pytest.raises(InputError) as info:
        cal.history_from_csv(str(csv))
    assert "score_margin" in str(info.value) and "margin" in str(info.value)


# --------------------------------------------------------------------------- profile history


def test_profile_history_reproduces_the_committed_calibration(tmp_path: Path) -> None:
    out = tmp_path / "calibration.json"
    result = run("calibrate", COMPANIES, "--out", out)
    assert result.exit_code == 0, result.output
    fitted = json.loads(out.read_text(encoding="utf-8"))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for key in ("features", "case_labels", "case_outcomes", "cases", "failed", "listed", "companies", "skipped", "skipped_count",
                "label_rule", "base_rate"):
        assert fitted[key] == committed[key], key
    assert fitted["validation"]["method"] == committed["validation"]["method"]
    assert fitted["final"]["coefficients"] == pytest.approx(committed["final"]["coefficients"], abs=1e-3)
    # every filing left out is counted and named on stderr with its reason
    skipped = [line.removeprefix("skipped: ") for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert skipped == committed["skipped"] and len(skipped) == committed["skipped_count"] == 7
    assert "skipped: qingsong-health hkex-2025-01 (lapsed): no rubric could score on what was disclosed by 2025-01-28" in result.stderr
    # a failed-status filing whose window is still open at the profile's as_of is undetermined, never a failure
    assert ("skipped: meditrust-health hkex-2025-06 (lapsed): undetermined: lapsed on 2025-06-30; the 12-month window for a listing "
            "runs to 2026-06-30, after the profile's as_of date 2026-02-10") in result.stderr
    assert "7 left out (listed on stderr)" in result.stdout
    # cases are filings with a final status, labelled by company, filing and status; pending filings are not cases
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]* [a-z0-9-]+ \((listed|lapsed|withdrawn|rejected)\)", label) for label in fitted["case_labels"])
    assert not any("hkex-2025-09" in label for label in fitted["case_labels"] + fitted["skipped"])
    # the label rule says which rule was used, window included
    assert "did not list on a later filing within 12 months" in fitted["label_rule"] and f"label rule: {fitted['label_rule']}" in result.stdout
    # the history's own rate, the market's with its source, and which one is the prior
    base = fitted["base_rate"]
    assert (base["history"], base["market"], base["prior"], base["prior_rate"]) == (0.3556, 0.708, "market", 0.708)
    assert base["market_source"].startswith("A summary of HKEX figures reports 154 applications and 45 listings in January–September 2024")
    assert base["market_origin"] == "default (riskscore/defaults.toml)" and base["brier_of_history_rate"] == 0.2291
    # the history (issue 13): 45 cases from 23 companies, 16 failed of which 14 are not WeDoctor's; beyond 20 companies
    # the validation uses 10 grouped folds, so a company's held-out model is its fold's
    assert (fitted["cases"], fitted["failed"], fitted["companies"]) == (45, 16, 23)
    assert sum(1 for label, failed in zip(fitted["case_labels"], fitted["case_outcomes"], strict=True) if failed and not label.startswith("wedoctor ")) == 14
    [wedoctor_fold] = [m for m in fitted["held_out"].values() if "wedoctor" in m["excludes"]]
    assert wedoctor_fold["fitted"] is True and wedoctor_fold["failed"] == 14
    # and the model still has no demonstrated skill
    assert fitted["validation"]["demonstrated_skill"] is False
    assert "No demonstrated skill: the skill score" in result.stdout
    # numpy's and scikit-learn's warnings never reach the terminal
    assert "Warning" not in result.stderr and "All-NaN" not in result.stderr


def test_one_company_is_refused(tmp_path: Path) -> None:
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(WEDOCTOR, only / "wedoctor.yaml")
    assert "2 labelled case(s); calibration needs at least 8" in _refused(tmp_path, only)
    assert "all 2 cases failed" in _refused(tmp_path, only, "--min-cases", "2")


def test_profile_history_input_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, tmp_path / "no-such-dir")
    assert "no-such-dir" in message and "no such file" in message


# --------------------------------------------------------------------------- grouped folds, labels, self-exclusion


@pytest.mark.parametrize("groups", [
    ["a", "a", "b", "c", "c", "c", "d"],                       # leave one company out
    [f"co{i % 23}" for i in range(60)],                       # 23 companies: 10 grouped folds
])
def test_grouped_folds_never_put_a_company_on_both_sides(groups: list[str]) -> None:
    method, folds = cal.grouped_folds(groups)
    tested = []
    for train, test in folds:
        assert {groups[i] for i in train}.isdisjoint({groups[i] for i in test})
        assert sorted(train + test) == list(range(len(groups)))
        tested += test
    assert sorted(tested) == list(range(len(groups)))  # every case is tested exactly once
    companies = len(set(groups))
    if companies <= cal.LOCO_MAX_GROUPS:
        assert method == f"leave-one-company-out cross-validation ({companies} folds)" and len(folds) == companies
    else:
        assert method.startswith("grouped 10-fold cross-validation by company (23 companies)") and len(folds) == 10


def _filing(status: str, date: str) -> SimpleNamespace:
    from riskscore.profile.units import PartialDate

    return SimpleNamespace(status=status, date=PartialDate.parse(date), id=f"f-{date}")


def _company(as_of: str, filings: list[SimpleNamespace], listed: str | None = None) -> SimpleNamespace:
    import datetime as dt

    from riskscore.profile.units import PartialDate

    outcome = SimpleNamespace(status="listed", date=PartialDate.parse(listed)) if listed else None
    return SimpleNamespace(as_of=dt.date.fromisoformat(as_of), filings=filings, outcome=outcome)


@pytest.mark.parametrize("filing,listed,as_of,window,expected", [
    # refile then list within the window: the lapsed filing is not a failure
    (("lapsed", "2021-06-22"), "2022-06-22", "2022-09-14", 12, 0),
    (("withdrawn", "2021-06-22"), "2022-03-01", "2022-09-14", 12, 0),
    # listed one day past the window: a failure
    (("lapsed", "2021-06-22"), "2022-06-23", "2022-09-14", 12, 1),
    # window 0: every lapsed filing is a failure, as before
    (("lapsed", "2021-06-22"), "2021-09-01", "2022-09-14", 0, 1),
    # never listed, the window has run out by as_of: a failure
    (("lapsed", "2021-04-01"), None, "2026-06-30", 12, 1),
    (("lapsed", "2024-12-31"), None, "2025-12-31", 12, 1),
    # never listed (yet), the window runs past as_of: undetermined, not a case
    (("lapsed", "2024-12-31"), None, "2025-12-30", 12, None),
    # a filing that listed; a pending one
    (("listed", "2022-03-16"), "2022-09-14", "2022-09-14", 12, 0),
    (("filed", "2025-09"), None, "2026-06-30", 12, None),
])
def test_label_rule(filing: tuple[str, str], listed: str | None, as_of: str, window: int, expected: int | None) -> None:
    f = _filing(*filing)
    label, why = cal.label_filing(_company(as_of, [f], listed), f, window)
    assert label == expected, why
    if expected is None and filing[0] == "lapsed":
        assert why.startswith("undetermined: lapsed on 2024-12-31; the 12-month window for a listing runs to 2025-12-31")


def test_label_rule_without_an_outcome_date_uses_the_listed_filing() -> None:
    lapsed, listed = _filing("lapsed", "2022-11-28"), _filing("listed", "2023-06-01")
    company = _company("2023-06-28", [lapsed, listed])
    assert cal.label_filing(company, lapsed, 12) == (0, "lapsed, then listed on 2023-06-01 within 12 months")
    assert cal.label_filing(company, lapsed, 6)[0] == 1


def test_refile_then_list_profile_history(tmp_path: Path) -> None:
    """End to end: a filing that lapsed, then a listing five months later: no failed case under the default rule."""
    import yaml

    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config

    data = yaml.safe_load((ROOT / "tests" / "golden" / "minimal.yaml").read_text(encoding="utf-8"))
    data["filings"][0]["status"] = "lapsed"
    data["filings"].append({"id": "a2-2025", "date": "2025-11-30", "exchange": "HKEX", "status": "listed", "sources": ["filing"]})
    data["outcome"] = {"status": "listed", "date": "2025-12-20", "exchange": "HKEX", "sources": ["filing"]}
    (tmp_path / "co.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config()
    history = cal.history_from_profiles([str(tmp_path)], config, registry.select(config))
    assert [(c.label, c.failed, c.company) for c in history.cases] == [
        (f"{data['id']} a1-2025 (lapsed)", 0, data["id"]), (f"{data['id']} a2-2025 (listed)", 0, data["id"])]
    assert "within 12 months" in history.label_rule and history.skipped == []
    # with a window of 0 the same lapsed filing is a failure
    window0 = load_config(_write_toml(tmp_path / "w0.toml", "[calibration]\nrelist_window_months = 0\n"))
    strict = cal.history_from_profiles([str(tmp_path)], window0, registry.select(window0))
    assert [c.failed for c in strict.cases] == [1, 0] and "relist window 0" in strict.label_rule


def _write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GROUPED_HEADER = ["id", "company", "score_margin", "score_losses", "outcome"]


def _grouped_rows() -> list[list[str]]:
    """Four companies with two cases each, failed ones scoring higher."""
    rows = []
    for c, (fail, base) in enumerate([(1, 70), (0, 20), (1, 80), (0, 30), (0, 25), (1, 65)]):
        for k in range(2):
            rows.append([f"co{c}-{k}", f"co{c}", str(base + 3 * k), str(base + 5 - k), "failed" if fail else "listed"])
    return rows


def test_each_company_is_scored_with_the_model_fitted_without_its_own_cases(tmp_path: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from riskscore.scoring.config import CalibrationSettings

    rows = _grouped_rows()
    history = cal.history_from_csv(str(write_csv(tmp_path / "g.csv", rows, GROUPED_HEADER)))
    assert [c.company for c in history.cases] == [r[1] for r in rows] and history.grouped_by == "company"
    fitted = cal.fit(history, settings=CalibrationSettings(prior="history"), resamples=5)
    assert sorted(fitted["held_out"]) == [f"co{c}" for c in range(6)] and fitted["companies"] == 6
    for company in ("co0", "co3"):
        train = [r for r in rows if r[1] != company]
        X = np.array([[float(r[2]) / 100, float(r[3]) / 100] for r in train])
        y = np.array([1 if r[4] == "failed" else 0 for r in train])
        model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
        stored = fitted["held_out"][company]
        assert stored["excludes"] == [company] and stored["cases"] == 10 and stored["fitted"] is True
        assert stored["coefficients"] == pytest.approx(list(model.coef_[0]), abs=1e-5)
        logit = lambda p: math.log(p / (1 - p))  # noqa: E731
        assert stored["intercept"] == pytest.approx(float(model.intercept_[0]) + logit(0.5) - logit(y.mean()), abs=1e-5)
        # the probability for that company comes from this model, not from the one fitted on every case
        scores = {"margin": 50.0, "losses": 40.0}
        z = stored["intercept"] + stored["coefficients"][0] * 0.5 + stored["coefficients"][1] * 0.4
        assert cal.probability(fitted, _assessment(scores, company)) == pytest.approx(_sigmoid(z), abs=1e-12)
        assert cal.model_for(fitted, company) == (stored, True)
    # a company outside the history gets the model fitted on every case
    assert cal.model_for(fitted, "newcomer") == (fitted["final"], False)
    final = fitted["final"]
    z = final["intercept"] + final["coefficients"][0] * 0.5 + final["coefficients"][1] * 0.4
    assert cal.probability(fitted, _assessment({"margin": 50.0, "losses": 40.0}, "newcomer")) == pytest.approx(_sigmoid(z), abs=1e-12)


def test_a_company_whose_cases_are_the_only_failures_gets_no_fitted_model(tmp_path: Path) -> None:
    rows = [["a1", "a", "80", "80", "failed"], ["a2", "a", "85", "70", "failed"]]
    rows += [[f"b{i}", f"b{i}", str(10 + i), str(20 + i), "listed"] for i in range(6)]
    fitted = cal.fit(cal.history_from_csv(str(write_csv(tmp_path / "g.csv", rows, GROUPED_HEADER))), resamples=5)
    alone = fitted["held_out"]["a"]
    assert alone["fitted"] is False and alone["coefficients"] == [0.0, 0.0] and alone["failed"] == 0
    assert "no failed case" in alone["note"]
    assert _sigmoid(alone["intercept"]) == pytest.approx(fitted["base_rate"]["prior_rate"], abs=1e-6)


def test_skill_is_measured_against_the_base_rate_by_hand(tmp_path: Path) -> None:
    """Brier of always predicting the base rate is rate × (1 − rate); skill = 1 − Brier / that."""
    import numpy as np

    rows = _grouped_rows()
    history = cal.history_from_csv(str(write_csv(tmp_path / "g.csv", rows, GROUPED_HEADER)))
    fitted = cal.fit(history, resamples=5)
    _, folds = cal.grouped_folds([c.company for c in history.cases])
    raw = np.array([[float(r[2]) / 100, float(r[3]) / 100] for r in rows])
    y = np.array([1 if r[4] == "failed" else 0 for r in rows])
    p = np.zeros(len(y))
    from sklearn.linear_model import LogisticRegression

    for train, test in folds:
        p[test] = LogisticRegression(C=1.0, max_iter=1000).fit(raw[train], y[train]).predict_proba(raw[test])[:, 1]
    brier = float(np.mean((p - y) ** 2))
    m = fitted["validation"]["model"]
    assert m["brier"]["value"] == pytest.approx(brier, abs=1e-4)
    assert m["brier_reference"] == fitted["base_rate"]["brier_of_history_rate"] == 0.25
    assert m["skill"]["value"] == pytest.approx(1 - brier / 0.25, abs=1e-3)
    assert m["skill"]["resamples"] == 5 and m["skill"]["sd"] is not None


@pytest.mark.parametrize("value,sd,margin,expected", [
    (0.30, 0.10, 1.0, True),
    (0.10, 0.10, 1.0, False),    # at the boundary: not above zero beyond its spread
    (0.10, 0.09, 1.0, True),
    (0.10, 0.06, 2.0, False),
    (-0.2, 0.05, 1.0, False),
    (0.30, None, 1.0, False),    # no spread, no demonstration
    (None, 0.1, 1.0, False),
])
def test_demonstrated_skill_boundary(value: float | None, sd: float | None, margin: float, expected: bool) -> None:
    assert cal.demonstrated({"value": value, "sd": sd}, margin) is expected


# --------------------------------------------------------------------------- probability


def _assessment(scores: dict[str, float | None], profile_id: str = "someone") -> SimpleNamespace:
    return SimpleNamespace(profile_id=profile_id, rubrics=[
        RubricOutcome(id=rid, title=rid, version="1", status="scored" if s is not None else "no_data", configured_weight=1.0,
                      weight=0.0, score=s, band=band_for(s) if s is not None else None, contribution=0.0, coverage=1.0)
        for rid, s in scores.items()])


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_probability_by_hand_from_the_committed_file() -> None:
    calibration = cal.load_calibration(COMMITTED)
    final = calibration["final"]
    coef = dict(zip(calibration["features"], final["coefficients"], strict=True))
    median = dict(zip(calibration["features"], final["imputation_medians"], strict=True))
    scores = {"margin": 77.36, "losses": 53.17, "governance": 73.75, "customer_concentration": 100.0,
              "technology_dependence": 91.6, "redemption_overhang": 87.0}
    z = final["intercept"] + sum(coef[f] * scores[f] / 100 for f in calibration["features"])
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    # a rubric that did not score is imputed with the history's median, never zero
    scores["governance"] = None
    z = (final["intercept"] + coef["margin"] * 0.7736 + coef["losses"] * 0.5317 + coef["governance"] * median["governance"]
         + coef["customer_concentration"] * 1.0 + coef["technology_dependence"] * 0.916 + coef["redemption_overhang"] * 0.87)
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    del scores["governance"]
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    z0 = final["intercept"] + sum(coef[f] * median[f] for f in calibration["features"])
    assert cal.probability(calibration, _assessment({})) == pytest.approx(_sigmoid(z0), abs=1e-12)


def test_wedoctor_memo_shows_the_base_rate_from_a_model_that_never_saw_wedoctor() -> None:
    from riskscore.profile.load import load_profile
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    config = load_config(None)
    a = assess(load_profile(WEDOCTOR), config, registry.select(config))
    calibration = cal.load_calibration(COMMITTED)
    model, held_out = cal.model_for(calibration, "wedoctor")
    # WeDoctor's fold (10 grouped folds beyond 20 companies) leaves out its two filings and the fold's other company's
    assert held_out and "wedoctor" in model["excludes"] and model["fitted"] and model["cases"] <= calibration["cases"] - 2
    scores = {o.id: o.score for o in a.rubrics if o.status == "scored"}
    z = model["intercept"] + sum(c * scores[f] / 100 for f, c in zip(calibration["features"], model["coefficients"], strict=True))
    assert cal.probability(calibration, a) == pytest.approx(_sigmoid(z), abs=1e-12)  # the held-out model, never the final one
    memo = (ROOT / "reports" / "peers" / "wedoctor.md").read_text(encoding="utf-8")
    assert "Base rate of failure: 70.8%, not a probability for this company. The calibration model has no demonstrated skill" in memo
    assert "Estimated probability" not in memo
    assert "market base rate 70.8% (the packaged default): A summary of HKEX figures reports 154 applications and 45 listings" in memo
    assert "history base rate 35.6% (16 failed of 45 cases from 23 companies)" in memo
    assert "Label rule: a case is a filing with a final status; failed = it lapsed" in memo


# --------------------------------------------------------------------------- load_calibration


def _load_error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        cal.load_calibration(path)
    return str(info.value)


def test_load_calibration_refusals(tmp_path: Path) -> None:
    assert "no such calibration file" in _load_error(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert f"{bad}: not a calibration file" in _load_error(bad)
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**data, "calibration_version": 1}), encoding="utf-8")
    assert _load_error(old) == f"{old}: calibration_version: not a calibration file of this riskscore version (expected 3, or 2; rerun `riskscore calibrate`)"
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({k: v for k, v in data.items() if k not in ("final", "validation")}), encoding="utf-8")
    assert "final, validation" in _load_error(partial)
    short = tmp_path / "short.json"
    short.write_text(json.dumps({**data, "final": {**data["final"], "coefficients": [1.0]}}), encoding="utf-8")
    assert f"{short}: final: not a model of this calibration file's features" == _load_error(short)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    assert "not a calibration file" in _load_error(listed)
    assert cal.load_calibration(COMMITTED)["cases"] == 45


@pytest.mark.parametrize("content", ["null", "42"])
def test_load_calibration_refuses_a_json_scalar(tmp_path: Path, content: str) -> None:
    path = tmp_path / "scalar.json"
    path.write_text(content, encoding="utf-8")
    _load_error(path)


@pytest.mark.parametrize("content", [None, "{not json"])
def test_memo_with_a_bad_calibration_file_exit_2_writes_nothing(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "calibration.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    result = run("memo", WEDOCTOR, "--calibration", path, "--out", out)
    assert result.exit_code == 2 and str(path) in result.stderr
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------- the memo


def _model(coefficients: list[float], intercept: float, **extra: Any) -> dict[str, Any]:
    return {"fitted": True, "cases": 30, "failed": 10, "coefficients": coefficients, "intercept": intercept,
            "imputation_medians": [0.4, 0.3, 0.9], **extra}


FAKE: dict[str, Any] = {
    "calibration_version": 2, "model": "test", "label_rule": "a case is a filing; failed = it lapsed (test rule)",
    "features": ["losses", "margin", "no_such_rubric"],
    "cases": 37, "failed": 12, "listed": 25, "companies": 20, "grouped_by": "company",
    "base_rate": {"history": 0.3243, "history_interval_95": [0.2, 0.49], "market": 0.708, "market_source": "Test source",
                  "market_origin": "file (test.toml)", "prior": "market", "prior_rate": 0.708, "prior_reason": "configured",
                  "brier_of_history_rate": 0.2191},
    "validation": {"method": "leave-one-company-out cross-validation (20 folds): details",
                   "model": {"brier": {"value": 0.1543, "sd": 0.02, "resamples": 200}, "brier_reference": 0.2191,
                             "skill": {"value": 0.2957, "sd": 0.08, "resamples": 200}, "auc": {"value": 0.8149, "sd": 0.05, "resamples": 200}},
                   "baseline": {"feature": "losses", "chosen_from": 3, "brier": {"value": 0.2, "sd": 0.02, "resamples": 200},
                                "brier_reference": 0.2191, "skill": {"value": 0.0871, "sd": 0.07, "resamples": 200},
                                "auc": {"value": 0.70, "sd": 0.06, "resamples": 200}},
                   "skill_margin_sd": 1.0, "demonstrated_skill": True, "verdict": "skill"},
    "final": _model([2.0, -1.0, 0.5], -0.75),
    "held_out": {"wedoctor": _model([1.0, 1.0, 1.0], -2.0, excludes=["wedoctor"]), "other": _model([9.0, 9.0, 9.0], 9.0, excludes=["other"])},
}
WEDOCTOR_LOSSES, WEDOCTOR_MARGIN = 53.17, 77.36


def _fake_probability() -> int:
    """From WeDoctor's held-out model, never the final one."""
    z = -2.0 + 1.0 * WEDOCTOR_LOSSES / 100 + 1.0 * WEDOCTOR_MARGIN / 100 + 1.0 * 0.9
    return round(100 * _sigmoid(z))


def _sentences(text: str) -> list[str]:
    import html

    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return [s for s in re.split(r"(?<=\.)\s+|\n", text) if s.strip()]


def _check_probability_sentence(text: str) -> None:
    with_probability = [s for s in _sentences(text) if "probability" in s.lower()]
    assert len(with_probability) == 1, with_probability  # never a second, bare mention
    sentence = with_probability[0]
    assert f"Estimated probability that the listing fails: {_fake_probability()}%" in sentence
    assert "from a logistic model that never saw this company's filings (30 cases of the other companies)" in sentence
    assert "its intercept set to the market base rate" in sentence
    flat = " ".join(_sentences(text))
    assert "skill score +0.30 ± 0.08 against always predicting the base rate (Brier 0.15 ± 0.02 vs 0.219), AUC 0.81 ± 0.05" in flat
    assert "best single rubric (losses): skill +0.09 ± 0.07, AUC 0.70 ± 0.06" in flat
    assert "market base rate 70.8%: Test source; history base rate 32.4% (12 failed of 37 cases from 20 companies)" in flat
    assert "Label rule: a case is a filing; failed = it lapsed (test rule)." in flat


def test_memo_with_calibration_shows_probability_with_its_basis(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(FAKE), encoding="utf-8")
    result = run("memo", WEDOCTOR, "--calibration", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name in ("wedoctor.md", "wedoctor.html"):
        _check_probability_sentence((tmp_path / "out" / name).read_text(encoding="utf-8"))


def test_memo_without_demonstrated_skill_shows_the_base_rate_instead(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({**FAKE, "validation": {**FAKE["validation"], "demonstrated_skill": False}}), encoding="utf-8")
    result = run("memo", WEDOCTOR, "--calibration", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name in ("wedoctor.md", "wedoctor.html"):
        text = " ".join(_sentences((tmp_path / "out" / name).read_text(encoding="utf-8")))
        assert "Base rate of failure: 70.8%, not a probability for this company. The calibration model has no demonstrated skill:" in text
        assert "Estimated probability" not in text and f"{_fake_probability()}%" not in text


def test_memo_with_no_model_fitted_without_the_company_shows_the_base_rate(tmp_path: Path) -> None:
    unfit = {**FAKE["held_out"]["wedoctor"], "fitted": False}
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({**FAKE, "held_out": {**FAKE["held_out"], "wedoctor": unfit}}), encoding="utf-8")
    result = run("memo", WEDOCTOR, "--calibration", path, "--format", "md", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "wedoctor.md").read_text(encoding="utf-8")
    assert "Base rate of failure: 70.8%, not a probability for this company: without this company's own cases" in text
    assert "Estimated probability" not in text


def test_memo_without_calibration_shows_no_probability(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    for name in ("wedoctor.md", "wedoctor.html"):
        assert "probability" not in (tmp_path / name).read_text(encoding="utf-8").lower()


def test_memo_calibration_from_config_file_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "settings"
    config_dir.mkdir()
    (config_dir / "fitted.json").write_text(json.dumps(FAKE), encoding="utf-8")
    cfg = config_dir / "riskscore.toml"
    cfg.write_text('[memo]\ncalibration = "fitted.json"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("memo", WEDOCTOR, "--config", cfg, "--format", "md", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    _check_probability_sentence((tmp_path / "out" / "wedoctor.md").read_text(encoding="utf-8"))
    cfg.write_text('[memo]\ncalibration = "gone.json"\n', encoding="utf-8")
    result = run("memo", WEDOCTOR, "--config", cfg, "--out", tmp_path / "out2")
    assert result.exit_code == 2 and str(config_dir / "gone.json") in result.stderr


def test_calibrate_prints_no_warning_even_when_a_fold_lacks_a_feature(tmp_path: Path) -> None:
    """A rubric only one company has leaves it all-missing in that company's fold: numpy would warn."""
    rows = [["a1", "a", "80", "", "failed"], ["a2", "a", "85", "", "failed"], ["z1", "z", "", "60", "failed"]]
    rows += [[f"b{i}", f"b{i}", str(10 + i), "", "listed"] for i in range(6)]
    csv = write_csv(tmp_path / "g.csv", rows, GROUPED_HEADER)
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "riskscore", "calibrate", str(csv), "--out", str(tmp_path / "c.json")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "All-NaN" not in proc.stderr
    assert proc.stderr.strip() == f"wrote {tmp_path / 'c.json'}"


# --------------------------------------------------------------------------- what each command imports


def _imported(*command: str, cwd: Path = ROOT) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", *command], capture_output=True, text=True,
                          check=False, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", [
    ["score", str(WEDOCTOR)],
    ["validate", str(WEDOCTOR)],
    ["memo", str(WEDOCTOR), "--out", "{tmp}"],
    ["memo", str(WEDOCTOR), "--out", "{tmp}", "--calibration", str(COMMITTED)],
    ["memo", str(WEDOCTOR), "--out", "{tmp}", "--peers", "tag:health-tech"],
], ids=["score", "validate", "memo", "memo-calibration", "memo-peers"])
def test_scoring_and_memo_never_import_sklearn_or_pandas(tmp_path: Path, command: list[str]) -> None:
    imported = _imported(*(c.replace("{tmp}", str(tmp_path)) for c in command))
    assert "riskscore" in imported
    assert not imported & {"sklearn", "pandas", "scipy"}


def test_calibrate_imports_sklearn_and_pandas(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", history_rows(2, 6))
    imported = _imported("calibrate", str(csv), "--out", str(tmp_path / "c.json"))
    assert {"sklearn", "pandas"} <= imported
