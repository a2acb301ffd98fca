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
from riskscore.scoring.engine import RubricOutcome
from riskscore.errors import InputError
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
    columns = list(zip(*ROWS))[1:4]
    return [statistics.median(float(v) for v in col if v) / 100 for col in columns]


# --------------------------------------------------------------------------- CSV history: a valid fit


def test_csv_history_fits_and_writes_the_calibration_file(history_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "calibration.json"
    result = run("calibrate", history_csv, "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["calibration_version"] == cal.CALIBRATION_VERSION == 1
    assert data["features"] == ["margin", "losses", "governance"]
    assert (data["cases"], data["failed"], data["listed"]) == (10, 4, 6)
    assert data["case_labels"] == [r[0] for r in ROWS] and data["skipped"] == []
    v = data["validation"]
    assert v["method"] == "repeated stratified 4-fold cross-validation, 20 repeats, seed 0"  # 4 = min(5, failed, listed)
    for key in ("auc", "brier"):
        assert set(v[key]) == {"mean", "sd", "folds"} and v[key]["folds"] == 80
        assert 0 <= v[key]["mean"] <= 1 and 0 <= v[key]["sd"] <= 1
    assert v["auc"]["mean"] > 0.9  # the classes separate cleanly
    assert len(data["coefficients"]) == 3 and all(c > 0 for c in data["coefficients"])
    assert isinstance(data["intercept"], float)
    assert data["imputation_medians"] == pytest.approx(_medians(), abs=1e-6)
    # what the command prints: counts, validation with spread, a coefficient per feature
    assert "cases 10 (4 failed, 6 listed); repeated stratified 4-fold" in result.stdout
    assert re.search(r"^AUC   \d\.\d{2} ± \d\.\d{2} over 80 folds$", result.stdout, re.M)
    assert re.search(r"^Brier \d\.\d{3} ± \d\.\d{3} over 80 folds$", result.stdout, re.M)
    for feature in data["features"]:
        assert re.search(rf"^  {feature}\s+[+-]\d\.\d{{3}}$", result.stdout, re.M)
    assert f"wrote {out}" in result.stderr


def test_final_model_is_logistic_regression_on_median_imputed_scores(history_csv: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    fitted = cal.fit(cal.history_from_csv(str(history_csv)), repeats=1)  # the final model does not depend on the CV
    medians = _medians()
    X = np.array([[float(v) / 100 if v else medians[j] for j, v in enumerate(r[1:4])] for r in ROWS])
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    assert fitted["coefficients"] == pytest.approx(list(model.coef_[0]), abs=1e-5)
    assert fitted["intercept"] == pytest.approx(float(model.intercept_[0]), abs=1e-5)


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
    fitted = cal.fit(cal.history_from_csv(str(write_csv(tmp_path / "h.csv", rows))), repeats=1)
    assert fitted["features"] == ["margin", "losses"] and len(fitted["coefficients"]) == len(fitted["imputation_medians"]) == 2


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
    for key in ("features", "case_labels", "cases", "failed", "listed", "skipped"):
        assert fitted[key] == committed[key], key
    assert fitted["validation"]["method"] == committed["validation"]["method"]
    assert fitted["coefficients"] == pytest.approx(committed["coefficients"], abs=1e-3)
    # every filing left out is named on stderr with its reason
    skipped = [line.removeprefix("skipped: ") for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert skipped == committed["skipped"] and len(skipped) == 6
    assert "skipped: jianke hkex-2022-11 (lapsed): no rubric could score on what was disclosed by 2022-11-21" in result.stderr
    # cases are filings with a final status, labelled by company, filing and status; pending filings are not cases
    assert all(re.fullmatch(r"[a-z-]+ [a-z0-9-]+ \((listed|lapsed|withdrawn|rejected)\)", label) for label in fitted["case_labels"])
    assert not any("hkex-2025-09" in label for label in fitted["case_labels"] + fitted["skipped"])


def test_one_company_is_refused(tmp_path: Path) -> None:
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(WEDOCTOR, only / "wedoctor.yaml")
    assert "2 labelled case(s); calibration needs at least 8" in _refused(tmp_path, only)
    assert "all 2 cases failed" in _refused(tmp_path, only, "--min-cases", "2")


def test_profile_history_input_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, tmp_path / "no-such-dir")
    assert "no-such-dir" in message and "no such file" in message


# --------------------------------------------------------------------------- probability


def _assessment(scores: dict[str, float | None]) -> SimpleNamespace:
    return SimpleNamespace(rubrics=[
        RubricOutcome(id=rid, title=rid, version="1", status="scored" if s is not None else "no_data", configured_weight=1.0,
                      weight=0.0, score=s, band=band_for(s) if s is not None else None, contribution=0.0, coverage=1.0)
        for rid, s in scores.items()])


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_probability_by_hand_from_the_committed_file() -> None:
    calibration = cal.load_calibration(COMMITTED)
    coef = dict(zip(calibration["features"], calibration["coefficients"]))
    median = dict(zip(calibration["features"], calibration["imputation_medians"]))
    scores = {"margin": 77.36, "losses": 53.17, "governance": 73.75, "customer_concentration": 100.0}
    z = calibration["intercept"] + sum(coef[f] * scores[f] / 100 for f in calibration["features"])
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    # a rubric that did not score is imputed with the history's median, never zero
    scores["governance"] = None
    z = calibration["intercept"] + coef["margin"] * 0.7736 + coef["losses"] * 0.5317 + coef["governance"] * median["governance"]
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    # a rubric absent from the assessment altogether: the same
    del scores["governance"]
    assert cal.probability(calibration, _assessment(scores)) == pytest.approx(_sigmoid(z), abs=1e-12)
    # nothing scored: the intercept and the medians
    z0 = calibration["intercept"] + sum(coef[f] * median[f] for f in calibration["features"])
    assert cal.probability(calibration, _assessment({})) == pytest.approx(_sigmoid(z0), abs=1e-12)


def test_probability_of_wedoctor_matches_the_memo() -> None:
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess
    from riskscore.profile.load import load_profile

    config = load_config(None)
    a = assess(load_profile(WEDOCTOR), config, registry.select(config))
    calibration = cal.load_calibration(COMMITTED)
    scores = {o.id: o.score for o in a.rubrics}
    z = calibration["intercept"] + sum(c * scores[f] / 100 for f, c in zip(calibration["features"], calibration["coefficients"]))
    p = cal.probability(calibration, a)
    assert p == pytest.approx(_sigmoid(z), abs=1e-12)
    memo = (ROOT / "reports" / "peers" / "wedoctor.md").read_text(encoding="utf-8")
    assert f"Estimated probability that the listing fails: {100 * p:.0f}%," in memo


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
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**data, "calibration_version": 2}), encoding="utf-8")
    assert f"{wrong}: calibration_version: not a calibration file of this riskscore version" == _load_error(wrong)
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({k: v for k, v in data.items() if k not in ("coefficients", "validation")}), encoding="utf-8")
    assert "coefficients, validation" in _load_error(partial)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    assert "not a calibration file" in _load_error(listed)
    assert cal.load_calibration(COMMITTED)["cases"] == 8


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

FAKE = {
    "calibration_version": 1, "model": "test", "features": ["losses", "margin", "no_such_rubric"],
    "coefficients": [2.0, -1.0, 0.5], "intercept": -0.75, "imputation_medians": [0.4, 0.3, 0.9],
    "cases": 37, "failed": 12, "listed": 25,
    "validation": {"method": "repeated stratified 5-fold cross-validation, 20 repeats, seed 0",
                   "auc": {"mean": 0.7149, "sd": 0.0512, "folds": 100}, "brier": {"mean": 0.2043, "sd": 0.0121, "folds": 100}},
}
WEDOCTOR_LOSSES, WEDOCTOR_MARGIN = 53.17, 77.36


def _fake_probability() -> int:
    z = -0.75 + 2.0 * WEDOCTOR_LOSSES / 100 - 1.0 * WEDOCTOR_MARGIN / 100 + 0.5 * 0.9
    return round(100 * _sigmoid(z))


def _sentences(text: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text)
    return [s for s in re.split(r"(?<=\.)\s+|\n", text) if s.strip()]


def _check_probability_sentence(text: str) -> None:
    with_probability = [s for s in _sentences(text) if "probability" in s.lower()]
    assert len(with_probability) == 1, with_probability  # never a second, bare mention
    sentence = with_probability[0]
    assert f"Estimated probability that the listing fails: {_fake_probability()}%" in sentence
    assert "fitted on 37 past cases (12 failed, 25 listed)" in sentence
    assert "AUC 0.71 ± 0.05" in sentence and "Brier score 0.204 ± 0.012" in sentence
    assert "5-fold cross-validation" in sentence


def test_memo_with_calibration_shows_probability_with_its_basis(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(FAKE), encoding="utf-8")
    result = run("memo", WEDOCTOR, "--calibration", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name in ("wedoctor.md", "wedoctor.html"):
        _check_probability_sentence((tmp_path / "out" / name).read_text(encoding="utf-8"))


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
    # a configured file that is not there: exit 2 naming the path next to the config file
    cfg.write_text('[memo]\ncalibration = "gone.json"\n', encoding="utf-8")
    result = run("memo", WEDOCTOR, "--config", cfg, "--out", tmp_path / "out2")
    assert result.exit_code == 2 and str(config_dir / "gone.json") in result.stderr


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
], ids=["score", "validate", "memo", "memo-calibration"])
def test_scoring_and_memo_never_import_sklearn_or_pandas(tmp_path: Path, command: list[str]) -> None:
    imported = _imported(*(c.replace("{tmp}", str(tmp_path)) for c in command))
    assert "riskscore" in imported
    assert not imported & {"sklearn", "pandas", "scipy"}


def test_calibrate_imports_sklearn_and_pandas(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", history_rows(2, 6))
    imported = _imported("calibrate", str(csv), "--out", str(tmp_path / "c.json"))
    assert {"sklearn", "pandas"} <= imported
