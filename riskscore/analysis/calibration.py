"""Calibration: from rubric scores to an estimated probability that a listing fails.

``riskscore calibrate HISTORY`` fits a logistic regression (scikit-learn) on a labelled
history and writes a calibration file that the memo reads *without* scikit-learn:

* **History from profiles** (a directory or glob): every filing with a final status is a
  case — ``lapsed``, ``withdrawn`` or ``rejected`` = the listing failed, ``listed`` = it
  succeeded — scored on what had been disclosed by the filing's date
  (:mod:`riskscore.profile.pointintime`), so no later fact explains an earlier outcome. Pending
  filings are left out. A case on which no rubric could score is left out, and said so.
* **History from a CSV**: one row per case, rubric score columns (``score_<rubric>`` or the
  bare rubric id) and an ``outcome`` column (``failed``/``listed``, ``1``/``0``, or a filing
  status).

Features are the rubric scores / 100; a score a case lacks is imputed with the history's
median (recorded in the file). Validation: repeated stratified k-fold cross-validation, AUC
and Brier score reported with their spread. Too few cases, or one class only, is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskscore.errors import InputError, Problem

FAILED_STATUSES = {"lapsed", "withdrawn", "rejected"}
CALIBRATION_VERSION = 1


@dataclass
class Case:
    label: str
    failed: int
    scores: dict[str, float | None]


@dataclass
class History:
    cases: list[Case]
    features: list[str]
    skipped: list[str] = field(default_factory=list)


def history_from_profiles(inputs: list[str], config: Any, rubrics: list[Any]) -> History:
    from riskscore.scoring.engine import assess
    from riskscore.profile.load import expand_inputs, load_profile
    from riskscore.profile.pointintime import profile_as_of

    paths, missing = expand_inputs(inputs)
    if missing:
        raise InputError(missing[0].input, [Problem("", missing[0].reason)])
    cases, skipped = [], []
    for path in paths:
        profile = load_profile(path, max_bytes=config.limits.max_profile_bytes)
        for filing in sorted(profile.filings, key=lambda f: (f.date.end, f.id)):
            if filing.status not in FAILED_STATUSES | {"listed"}:
                continue
            label = f"{profile.id} {filing.id} ({filing.status})"
            view = profile_as_of(profile, min(filing.date.end, profile.as_of))
            assessment = assess(view, config, rubrics)
            scores = {o.id: o.score for o in assessment.rubrics if o.status == "scored"}
            if not scores:
                skipped.append(f"{label}: no rubric could score on what was disclosed by {filing.date}")
                continue
            cases.append(Case(label, int(filing.status in FAILED_STATUSES), {r.id: scores.get(r.id) for r in rubrics}))
    return History(cases, [r.id for r in rubrics], skipped)


def history_from_csv(path: str) -> History:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype={"outcome": "string"}, keep_default_na=False)  # blanks stay blank, in their own row
    except FileNotFoundError:
        raise InputError(path, [Problem("", "no such file")]) from None
    except Exception as exc:
        raise InputError(path, [Problem("", f"cannot read as CSV: {exc}")]) from None
    if "outcome" not in frame.columns:
        raise InputError(path, [Problem("outcome", "a history CSV needs an 'outcome' column (failed/listed, 1/0, or a filing status)")])
    score_columns = [c for c in frame.columns if c not in ("outcome", "id", "label", "company", "file", "filing", "note", "notes")]
    features = [c.removeprefix("score_") for c in score_columns]
    if not features:
        raise InputError(path, [Problem("", "no score columns (score_<rubric> or <rubric>)")])
    doubled = sorted({f for f in features if features.count(f) > 1})
    if doubled:
        raise InputError(path, [Problem(" and ".join(c for c in score_columns if c.removeprefix("score_") == f), "both give the rubric "
                                        f"{f!r}; keep one column") for f in doubled])
    cases = []
    for i, row in frame.iterrows():
        raw = str(row["outcome"] if not pd.isna(row["outcome"]) else "").strip().lower()
        if raw in ("1", "failed", "fail", "true") or raw in FAILED_STATUSES:
            failed = 1
        elif raw in ("0", "listed", "success", "false"):
            failed = 0
        else:
            raise InputError(path, [Problem(f"row {i + 2}.outcome", f"expected failed/listed or 1/0; got {row['outcome']!r}")])
        scores = {}
        for column, feature in zip(score_columns, features):
            value = row[column]
            try:
                number = None if (value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value)) else float(value)
            except (TypeError, ValueError):
                raise InputError(path, [Problem(f"row {i + 2}.{column}", f"expected a score 0-100; got {value!r}")]) from None
            if number is not None and not 0 <= number <= 100:
                raise InputError(path, [Problem(f"row {i + 2}.{column}", f"a score lies within 0-100; got {number:g}")])
            scores[feature] = number
        label = str(row.get("id", row.get("label", f"row {i + 2}")))
        cases.append(Case(label, failed, scores))
    return History(cases, features)


def fit(history: History, min_cases: int = 8, min_per_class: int = 2, repeats: int = 20, seed: int = 0) -> dict[str, Any]:
    """Fit and cross-validate; returns the calibration as a JSON-ready dict."""
    n = len(history.cases)
    failed = sum(c.failed for c in history.cases)
    listed = n - failed
    if n < min_cases:
        raise InputError("history", [Problem("", f"{n} labelled case(s); calibration needs at least {min_cases} (add profiles with final filing statuses, or rows to the CSV)")])
    if failed == 0 or listed == 0:
        only = "failed" if listed == 0 else "listed"
        raise InputError("history", [Problem("", f"all {n} cases {only}: a model cannot learn what separates outcomes from one class")])
    if min(failed, listed) < min_per_class:
        raise InputError("history", [Problem("", f"only {min(failed, listed)} case(s) of one class ({failed} failed, {listed} listed); calibration needs at least {min_per_class} of each")])

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    features = [f for f in history.features if any(c.scores.get(f) is not None for c in history.cases)]
    raw = np.array([[c.scores.get(f) if c.scores.get(f) is not None else np.nan for f in features] for c in history.cases], dtype=float) / 100
    y = np.array([c.failed for c in history.cases])
    medians = np.nanmedian(raw, axis=0)
    X = np.where(np.isnan(raw), medians, raw)

    splits = min(5, failed, listed)
    aucs, briers = [], []
    for train, test in RepeatedStratifiedKFold(n_splits=splits, n_repeats=repeats, random_state=seed).split(X, y):
        fold_medians = np.nanmedian(raw[train], axis=0)
        fold_medians = np.where(np.isnan(fold_medians), 0.5, fold_medians)
        X_train = np.where(np.isnan(raw[train]), fold_medians, raw[train])
        X_test = np.where(np.isnan(raw[test]), fold_medians, raw[test])
        model = LogisticRegression(C=1.0, max_iter=1000).fit(X_train, y[train])
        p = model.predict_proba(X_test)[:, 1]
        briers.append(brier_score_loss(y[test], p))
        if len(set(y[test])) == 2:
            aucs.append(roc_auc_score(y[test], p))
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)

    def stats(values: list[float]) -> dict[str, float]:
        return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values)), 4), "folds": len(values)}

    import sklearn

    return {
        "calibration_version": CALIBRATION_VERSION,
        "model": "logistic regression on rubric scores / 100 (scikit-learn, L2, C=1)",
        "features": features,
        "coefficients": [round(float(c), 6) for c in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "imputation_medians": [round(float(m), 6) for m in medians],
        "cases": n,
        "failed": failed,
        "listed": listed,
        "validation": {"method": f"repeated stratified {splits}-fold cross-validation, {repeats} repeats, seed {seed}",
                       "auc": stats(aucs), "brier": stats(briers)},
        "case_labels": [c.label for c in history.cases],
        "skipped": history.skipped,
        "sklearn_version": sklearn.__version__,
    }


def load_calibration(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    except FileNotFoundError:
        raise InputError(str(path), [Problem("", "no such calibration file (write one with `riskscore calibrate`)")]) from None
    except (OSError, ValueError) as exc:
        raise InputError(str(path), [Problem("", f"not a calibration file: {exc}")]) from None
    required = ("calibration_version", "features", "coefficients", "intercept", "imputation_medians", "cases", "validation")
    missing = [k for k in required if k not in data]
    if missing or data.get("calibration_version") != CALIBRATION_VERSION:
        raise InputError(str(path), [Problem(", ".join(missing) or "calibration_version", "not a calibration file of this riskscore version")])
    return data


def probability(calibration: dict[str, Any], assessment: Any) -> float:
    """Estimated probability that the listing fails, from the assessment's rubric scores (no scikit-learn)."""
    scores = {o.id: o.score for o in assessment.rubrics if o.status == "scored"}
    z = calibration["intercept"]
    for feature, coef, median in zip(calibration["features"], calibration["coefficients"], calibration["imputation_medians"]):
        value = scores.get(feature)
        z += coef * (value / 100 if value is not None else median)
    return 1 / (1 + math.exp(-z))
