"""Calibration: from rubric scores to an estimated probability that a listing fails, and
whether that estimate is worth showing.

``riskscore calibrate HISTORY`` fits logistic regressions (scikit-learn) on a labelled
history and writes a calibration file that the memo reads *without* scikit-learn:

* **History from profiles** (a directory or glob): a case is a filing with a final status,
  scored on what had been disclosed by the filing's date (:mod:`riskscore.profile.pointintime`),
  so no later fact explains an earlier outcome. The label rule is explicit and configurable
  (``[calibration] relist_window_months``): a filing *failed* if it lapsed, was withdrawn or
  was rejected **and** the company did not list on a later filing within the window; a
  failed-status filing followed by a listing inside the window is *not failed*; one whose
  window has not run out by the profile's ``as_of`` is left out as undetermined. Pending
  filings are left out; so is a case on which no rubric could score. Every case left out is
  counted and listed with its reason.
* **History from a CSV**: one row per case, rubric score columns (``score_<rubric>`` or the
  bare rubric id), an ``outcome`` column (``failed``/``listed``, ``1``/``0``, or a filing
  status) and, to keep a company's cases together, a ``company`` column (profile ids).

Features are the rubric scores / 100; a score a case lacks is imputed with the training
cases' median (recorded in the file).

**Validation** is cross-validation grouped by company: a company's filings never sit on both
sides of a fold (leave one company out, or 10 grouped folds beyond 20 companies). Out-of-fold
predictions are compared with the *reference* of always predicting the history's base rate
(Brier = rate × (1 − rate)): Brier score, skill score (1 − Brier / Brier of the reference)
and AUC (on the out-of-fold rankings X·β), with their spread over bootstrap resamples of
companies. The same figures are given for the best
one-feature model (the best single rubric). Skill that is not above zero by
``skill_margin_sd`` spreads is *no demonstrated skill*: the memo then shows the base rate
with that sentence instead of a probability.

**Base rate and prior.** A history of peers is mostly companies that listed, while most
filings in the market do not list on that filing. The configuration gives a market failure
rate with its source; ``prior`` chooses which base rate the models' intercepts are moved to
(prior correction, King and Zeng 2001): ``history``, ``market``, or ``auto`` (the market's
when it lies outside the 95% Wilson interval of the history's). Both rates are recorded.

**Self-exclusion.** The file keeps, for every company in the history, the model fitted
without that company's cases, so a memo never scores a company with a model that saw its
own filings; a company outside the history gets the model fitted on every case.

numpy and scikit-learn warnings (empty slices, convergence, undefined metrics) are silenced
inside the fit: what matters is reported in the file, never on the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskscore.errors import InputError, Problem
from riskscore.inputfile import read_limited, read_text_limited
from riskscore.report import format as fmt
from riskscore.report.i18n import Localizable, Message, Value

FAILED_STATUSES = {"lapsed", "withdrawn", "rejected"}
CALIBRATION_VERSION = 3
"""3: the memo sentence's facts are fields too (``label``, ``validation.scheme``, ``base_rate.prior_setting``), so that it can
be written in any language; a version-2 file is still read, those fields derived from its English text."""
READABLE_VERSIONS = (2, 3)
LOCO_MAX_GROUPS = 20
GROUPED_FOLDS = 10
BOOTSTRAP_RESAMPLES = 200
MAX_CALIBRATION_BYTES = 16 * 1024 * 1024
MAX_HISTORY_BYTES = 64 * 1024 * 1024


@dataclass
class Case:
    label: str
    failed: int
    scores: dict[str, float | None]
    company: str = ""


@dataclass
class History:
    cases: list[Case]
    features: list[str]
    skipped: list[str] = field(default_factory=list)
    label_rule: str = ""
    grouped_by: str = "company"
    label: dict[str, Any] = field(default_factory=lambda: {"source": "csv"})  # how cases were labelled, as the file keeps it


def label_rule_text(window_months: int) -> Localizable:
    return rule_message({"source": "profiles", "relist_window_months": window_months})


def rule_message(label: dict[str, Any]) -> Localizable:
    """The label rule, from the calibration file's ``label``: ``{"source": "profiles", "relist_window_months": 12}``,
    ``{"source": "csv"}``, or (a version-2 file whose rule is not ours) ``{"source": "text", "text": …}``."""
    if label["source"] == "csv":
        return Message("calibration.rule.csv", "as given in the CSV's outcome column")
    if label["source"] == "text":
        return Value.quoted(label["text"])
    window = label["relist_window_months"]
    if window == 0:
        return Message("calibration.rule.window0", "a case is a filing with a final status; failed = it lapsed, was withdrawn or was "
                       "rejected (relist window 0: a later listing does not change that); listed = the filing listed")
    return Message("calibration.rule.window", "a case is a filing with a final status; failed = it lapsed, was withdrawn or was rejected "
                   "and the company did not list on a later filing within {months} months of it; not failed = the filing listed, or the "
                   "company listed on a later filing within {months} months; a failed-status filing whose window had not run out by the "
                   "profile's as_of date is left out as undetermined", months=window)


def scheme_message(scheme: dict[str, Any]) -> Localizable:
    """How the validation folded the cases, from ``validation.scheme``."""
    if scheme["kind"] == "leave_one_company_out":
        return Message("calibration.method.loco", "leave-one-company-out cross-validation ({folds} folds)", folds=scheme["folds"])
    if scheme["kind"] == "grouped":
        return Message("calibration.method.grouped", "grouped {folds}-fold cross-validation by company ({companies} companies)",
                       folds=scheme["folds"], companies=scheme["companies"])
    return Value.quoted(scheme["text"])


def _rate(value: float) -> str:
    return f"{100 * value:.1f}%"


def prior_message(setting: str, prior: str, market: float, low: float, high: float, text: str = "") -> Localizable:
    """Why the prior in force is the one it is: configured, or ``auto`` and where the market rate lies."""
    if setting in ("history", "market"):
        return Message("calibration.prior.configured", 'configured: prior = "{prior}"', prior=Value.term("calibration.prior_kind", setting))
    if setting == "auto":
        rates = dict(market=_rate(market), low=_rate(low), high=_rate(high))
        if prior == "history":
            return Message("calibration.prior.auto_inside", "auto: the market rate {market} lies inside the history's 95% interval "
                           "({low}–{high}), so the history is taken as representative", **rates)
        return Message("calibration.prior.auto_outside", "auto: the market rate {market} lies outside the history's 95% interval "
                       "({low}–{high}), so the history is not representative of the market", **rates)
    return Value.quoted(text)


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _known(filing: Any) -> Any:
    """A filing's date, or its listing date when that is all that is known (Filing.known_date)."""
    return getattr(filing, "known_date", None) or filing.date


def _listing_date(profile: Any) -> dt.date | None:
    """When the company listed, if it did: the outcome's date, else the listed filing's date."""
    outcome = profile.outcome
    if outcome is not None and outcome.status == "listed" and outcome.date is not None:
        start: dt.date = outcome.date.start
        return start
    listed = [(getattr(f, "listing_date", None) or _known(f)).start for f in profile.filings if f.status == "listed"]
    return min(listed) if listed else None


def label_filing(profile: Any, filing: Any, window_months: int) -> tuple[int | None, str]:
    """``(1, why)`` failed, ``(0, why)`` not failed, ``(None, why)`` not a case (pending or undetermined)."""
    if filing.status == "listed":
        return 0, "listed"
    if filing.status not in FAILED_STATUSES:
        return None, f"{filing.status}: no final status"
    filed = _known(filing).end
    listed = _listing_date(profile)
    deadline = _add_months(filed, window_months)
    if window_months and listed is not None and filed <= listed <= deadline:
        return 0, f"{filing.status}, then listed on {listed} within {window_months} months"
    if window_months and deadline > profile.as_of and (listed is None or listed > deadline):
        return None, (f"undetermined: {filing.status} on {_known(filing)}; the {window_months}-month window for a listing runs to "
                      f"{deadline}, after the profile's as_of date {profile.as_of}")
    return 1, filing.status


def history_from_profiles(inputs: list[str], config: Any, rubrics: list[Any]) -> History:
    from riskscore.profile.load import expand_inputs, load_profile
    from riskscore.profile.pointintime import known_from, profile_as_of
    from riskscore.scoring.engine import assess

    window = config.calibration.relist_window_months
    paths, missing = expand_inputs(inputs)
    if missing:
        raise InputError(missing[0].input, [Problem("", missing[0].reason)])
    cases, skipped = [], []
    for path in paths:
        profile = load_profile(path, max_bytes=config.limits.max_profile_bytes)
        for filing in sorted(profile.filings, key=lambda f: (f.known_date.end, f.id)):
            failed, why = label_filing(profile, filing, window)
            label = f"{profile.id} {filing.id} ({filing.status})"
            if failed is None:
                if filing.status in FAILED_STATUSES:
                    skipped.append(f"{label}: {why}")
                continue  # a pending filing is not a case and needs no mention
            view = profile_as_of(profile, known_from(profile, filing.known_date))
            assessment = assess(view, config, rubrics)
            scores = {o.id: o.score for o in assessment.rubrics if o.status == "scored"}
            if not scores:
                skipped.append(f"{label}: no rubric could score on what was disclosed by {filing.known_date}")
                continue
            cases.append(Case(label, failed, {r.id: scores.get(r.id) for r in rubrics}, profile.id))
    return History(cases, [r.id for r in rubrics], skipped, label_rule_text(window), label={"source": "profiles", "relist_window_months": window})


def history_from_csv(path: str) -> History:
    import io

    import pandas as pd

    data = read_limited(path, MAX_HISTORY_BYTES, "history CSV")  # a regular file only, read within the limit
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype={"outcome": "string", "company": "string"}, keep_default_na=False)  # blanks stay blank, in their own row
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
    grouped = "company" in frame.columns
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
        for column, feature in zip(score_columns, features, strict=True):
            value = row[column]
            try:
                number = None if (value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value)) else float(value)
            except (TypeError, ValueError):
                raise InputError(path, [Problem(f"row {i + 2}.{column}", f"expected a score 0-100; got {value!r}")]) from None
            if number is not None and not 0 <= number <= 100:
                raise InputError(path, [Problem(f"row {i + 2}.{column}", f"a score lies within 0-100; got {number:g}")])
            scores[feature] = number
        label = str(row.get("id", row.get("label", f"row {i + 2}")))
        company = str(row["company"]).strip() if grouped else ""
        if grouped and not company:
            raise InputError(path, [Problem(f"row {i + 2}.company", "blank; every row of a grouped history names its company")])
        cases.append(Case(label, failed, scores, company or label))
    return History(cases, features, label_rule=str(rule_message({"source": "csv"})),
                   grouped_by="company" if grouped else "row (the CSV has no company column, so a company's cases cannot be kept together)")


# --------------------------------------------------------------------------- fitting


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def choose_prior(failed: int, cases: int, settings: Any) -> tuple[float, str, str]:
    """``(rate, "history"|"market", why)``: the base rate the models' intercepts are moved to."""
    history = failed / cases
    low, high = wilson_interval(failed, cases)
    market = settings.market_failure_rate
    if settings.prior in ("history", "market"):
        kind = settings.prior
    else:
        kind = "history" if low <= market <= high else "market"
    return (history if kind == "history" else market), kind, prior_message(settings.prior, kind, market, low, high)


def fold_scheme(groups: list[str]) -> dict[str, Any]:
    """How :func:`grouped_folds` folds these groups, as the calibration file keeps it (``validation.scheme``)."""
    names = len(set(groups))
    if names <= LOCO_MAX_GROUPS:
        return {"kind": "leave_one_company_out", "folds": names}
    return {"kind": "grouped", "folds": GROUPED_FOLDS, "companies": names}


def grouped_folds(groups: list[str]) -> tuple[str, list[tuple[list[int], list[int]]]]:
    """Cross-validation folds that never split a group: leave one group out, or 10 grouped folds beyond 20 groups."""
    names = sorted(set(groups))
    method = str(scheme_message(fold_scheme(groups)))
    if len(names) <= LOCO_MAX_GROUPS:
        folds = [([i for i, g in enumerate(groups) if g != name], [i for i, g in enumerate(groups) if g == name]) for name in names]
        return method, folds
    from sklearn.model_selection import GroupKFold

    splitter = GroupKFold(n_splits=GROUPED_FOLDS)
    folds = [(list(map(int, tr)), list(map(int, te))) for tr, te in splitter.split(groups, groups=groups)]
    return method, folds


def _medians(raw: Any) -> Any:
    """Column medians ignoring missing values; 0.5 for a column with none (no numpy warning)."""
    import numpy as np

    out = []
    for column in raw.T:
        present = column[~np.isnan(column)]
        out.append(float(np.median(present)) if present.size else 0.5)
    return np.array(out, dtype=float)


@dataclass
class _Fitted:
    fitted: bool
    coefficients: list[float]
    intercept: float       # on the training cases' own base rate
    medians: list[float]
    cases: int
    failed: int

    def linear(self, raw: Any) -> Any:
        """X·β without the intercept: the ranking the model makes."""
        import numpy as np

        X = np.where(np.isnan(raw), np.array(self.medians), raw)
        return X @ np.array(self.coefficients)

    def predict(self, raw: Any) -> Any:
        import numpy as np

        return 1 / (1 + np.exp(-(self.linear(raw) + self.intercept)))

    def stored(self, prior: float, companies: list[str] | None = None) -> dict[str, Any]:
        """JSON form, with the intercept moved from the training base rate to ``prior``."""
        if self.fitted:
            rate = self.failed / self.cases
            intercept = self.intercept + _logit(prior) - _logit(rate)
        else:
            intercept = _logit(prior)
        out: dict[str, Any] = {}
        if companies is not None:
            out["excludes"] = companies
        out.update({
            "fitted": self.fitted,
            "cases": self.cases,
            "failed": self.failed,
            "coefficients": [round(c, 6) for c in self.coefficients],
            "intercept": round(intercept, 6),
            "imputation_medians": [round(m, 6) for m in self.medians],
        })
        if not self.fitted:
            out["note"] = (f"the {self.cases} training case(s) hold {'no failed' if self.failed == 0 else 'only failed'} case(s): "
                           "no model can be fitted, so it predicts the base rate")
        return out


def _fit_one(raw: Any, y: Any) -> _Fitted:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    medians = _medians(raw)
    n, k = int(len(y)), int(np.sum(y))
    if k == 0 or k == n:
        rate = min(max(k / n, 1e-6), 1 - 1e-6) if n else 0.5
        return _Fitted(False, [0.0] * raw.shape[1], _logit(rate), list(map(float, medians)), n, k)
    X = np.where(np.isnan(raw), medians, raw)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    return _Fitted(True, [float(c) for c in model.coef_[0]], float(model.intercept_[0]), list(map(float, medians)), n, k)


def _scores(y: Any, p: Any, ranking: Any) -> tuple[float, float, float | None, float | None]:
    """Brier of the predictions, Brier of always predicting the cases' base rate, skill score, AUC (None when undefined)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    brier = float(np.mean((p - y) ** 2))
    rate = float(np.mean(y))
    brier_ref = rate * (1 - rate)
    skill = 1 - brier / brier_ref if brier_ref > 0 else None
    auc = float(roc_auc_score(y, ranking)) if 0 < int(np.sum(y)) < len(y) else None
    return brier, brier_ref, skill, auc


def _cross_validate(raw: Any, y: Any, folds: list[tuple[list[int], list[int]]]) -> tuple[Any, Any, list[_Fitted]]:
    """Out-of-fold probabilities, out-of-fold rankings (X·β, intercepts left out) and the fold models.

    The AUC uses the rankings: each fold's intercept only shifts with its own mix of outcomes,
    which would otherwise pull a pooled leave-one-out AUC below what the model ranks.
    """
    import numpy as np

    p, ranking = np.zeros(len(y)), np.zeros(len(y))
    models = []
    for train, test in folds:
        model = _fit_one(raw[train], y[train])
        p[test] = model.predict(raw[test])
        ranking[test] = model.linear(raw[test])
        models.append(model)
    return p, ranking, models


def _bootstrap(y: Any, p: Any, ranking: Any, groups: list[str], resamples: int, seed: int) -> dict[str, list[float]]:
    """Brier, skill and AUC over resamples of companies (with replacement): their spread."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = sorted(set(groups))
    members = {name: [i for i, g in enumerate(groups) if g == name] for name in names}
    out: dict[str, list[float]] = {"brier": [], "skill": [], "auc": []}
    for _ in range(resamples):
        picked = rng.choice(len(names), size=len(names), replace=True)
        index = [i for j in picked for i in members[names[j]]]
        brier, _, skill, auc = _scores(y[index], p[index], ranking[index])
        out["brier"].append(brier)
        if skill is not None:
            out["skill"].append(skill)
        if auc is not None:
            out["auc"].append(auc)
    return out


def _figure(value: float | None, spread: list[float]) -> dict[str, Any]:
    import numpy as np

    return {"value": None if value is None else round(value, 4),
            "sd": round(float(np.std(spread)), 4) if len(spread) > 1 else None, "resamples": len(spread)}


def _evaluate(raw: Any, y: Any, folds: list[tuple[list[int], list[int]]], groups: list[str], resamples: int, seed: int) -> tuple[dict[str, Any], list[_Fitted], float | None]:
    p, ranking, models = _cross_validate(raw, y, folds)
    brier, brier_ref, skill, auc = _scores(y, p, ranking)
    spread = _bootstrap(y, p, ranking, groups, resamples, seed)
    figures = {"brier": _figure(brier, spread["brier"]), "brier_reference": round(brier_ref, 4),
               "skill": _figure(skill, spread["skill"]), "auc": _figure(auc, spread["auc"])}
    return figures, models, skill


def demonstrated(skill: dict[str, Any], margin_sd: float) -> bool:
    """Skill above zero by ``margin_sd`` of its spread (no spread, no demonstration)."""
    value, sd = skill.get("value"), skill.get("sd")
    return value is not None and sd is not None and value - margin_sd * sd > 0


def fit(history: History, min_cases: int = 8, min_per_class: int = 2, settings: Any = None, seed: int = 0,
        resamples: int = BOOTSTRAP_RESAMPLES, settings_origin: str = "") -> dict[str, Any]:
    """Fit and cross-validate by company; returns the calibration as a JSON-ready dict."""
    if settings is None:
        from riskscore.scoring.config import CalibrationSettings

        settings = CalibrationSettings()
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
    groups = [c.company or c.label for c in history.cases]
    if len(set(groups)) < 2:
        raise InputError("history", [Problem("", "every case belongs to one company: cross-validation grouped by company needs at least two")])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty slices, convergence, undefined metrics: reported in the file, not on the terminal
        import numpy as np

        with np.errstate(all="ignore"):
            return _fit(history, groups, n, failed, listed, settings, seed, resamples, settings_origin)


def _fit(history: History, groups: list[str], n: int, failed: int, listed: int, settings: Any, seed: int, resamples: int,
         settings_origin: str) -> dict[str, Any]:
    import numpy as np
    import sklearn

    features = [f for f in history.features if any(c.scores.get(f) is not None for c in history.cases)]
    raw = np.array([[c.scores.get(f) if c.scores.get(f) is not None else np.nan for f in features] for c in history.cases], dtype=float) / 100
    y = np.array([c.failed for c in history.cases])
    method, folds = grouped_folds(groups)
    model_figures, fold_models, _ = _evaluate(raw, y, folds, groups, resamples, seed)

    # The one-feature baseline: every single rubric in the same folds; the best by skill (then AUC, then id).
    candidates = []
    for j, feature in enumerate(features):
        figures, _, skill = _evaluate(raw[:, [j]], y, folds, groups, 0, seed)
        auc = figures["auc"]["value"]
        candidates.append((-(skill if skill is not None else -math.inf), -(auc if auc is not None else -math.inf), feature, j))
    _, _, best, best_j = min(candidates)
    baseline, _, _ = _evaluate(raw[:, [best_j]], y, folds, groups, resamples, seed)

    prior, prior_kind, prior_why = choose_prior(failed, n, settings)
    low, high = wilson_interval(failed, n)
    skilled = demonstrated(model_figures["skill"], settings.skill_margin_sd)
    value, sd = model_figures["skill"]["value"], model_figures["skill"]["sd"]
    shown = "undefined" if value is None else f"{value:+.2f}" + (f" ± {sd:.2f}" if sd is not None else " (no spread)")
    verdict = (f"skill score {shown}: above zero by more than {settings.skill_margin_sd:g} spread(s), so the model adds to the base rate"
               if skilled else
               f"no demonstrated skill: the skill score {shown} is not above zero by {settings.skill_margin_sd:g} spread(s); "
               "the model does no better than always predicting the base rate")
    held_out = {}
    for (_, test), model in zip(folds, fold_models, strict=True):
        companies = sorted({groups[i] for i in test})
        held_out[",".join(companies)] = model.stored(prior, companies)
    final = _fit_one(raw, y)
    rate = failed / n
    return {
        "calibration_version": CALIBRATION_VERSION,
        "model": "logistic regression on rubric scores / 100 (scikit-learn, L2, C=1), intercept moved to the base rate in force",
        "label_rule": str(history.label_rule),
        "label": history.label,
        "features": features,
        "cases": n,
        "failed": failed,
        "listed": listed,
        "companies": len(set(groups)),
        "grouped_by": history.grouped_by,
        "base_rate": {
            "history": round(rate, 4),
            "history_interval_95": [round(low, 4), round(high, 4)],
            "market": settings.market_failure_rate,
            "market_source": settings.market_failure_rate_source,
            "market_origin": settings_origin,
            "prior": prior_kind,
            "prior_rate": round(prior, 4),
            "prior_setting": settings.prior,
            "prior_reason": str(prior_why),
            "brier_of_history_rate": round(rate * (1 - rate), 4),
        },
        "validation": {
            "scheme": fold_scheme(groups),
            "method": f"{method}: no company's cases on both sides of a fold; reference = always predicting the history's "
                      f"base rate; AUC on the out-of-fold rankings; spread = standard deviation over {resamples} bootstrap resamples of companies, seed {seed}",
            "model": model_figures,
            "baseline": {"feature": best, "chosen_from": len(features),
                         "note": f"the best of {len(features)} one-rubric models in the same folds (chosen on these figures, which flatters it)",
                         **baseline},
            "skill_margin_sd": settings.skill_margin_sd,
            "demonstrated_skill": skilled,
            "verdict": verdict,
        },
        "final": final.stored(prior),
        "held_out": held_out,
        "case_labels": [c.label for c in history.cases],
        "case_outcomes": [c.failed for c in history.cases],
        "skipped_count": len(history.skipped),
        "skipped": history.skipped,
        "sklearn_version": sklearn.__version__,
    }


# --------------------------------------------------------------------------- reading it back (no scikit-learn)


def load_calibration(path: str | Path) -> dict[str, Any]:
    text = read_text_limited(path, MAX_CALIBRATION_BYTES, "calibration", missing="no such calibration file (write one with `riskscore calibrate`)")
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    except ValueError as exc:
        raise InputError(str(path), [Problem("", f"not a calibration file: {exc}")]) from None
    version = data.get("calibration_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        return _refuse(path, "calibration_version", f"not a calibration file of this riskscore version (expected {CALIBRATION_VERSION}, "
                                                    f"or {READABLE_VERSIONS[0]}; rerun `riskscore calibrate`)")
    required = ("features", "final", "held_out", "cases", "failed", "listed", "companies", "base_rate", "validation", "label_rule")
    missing = [k for k in required if k not in data]
    if missing:
        return _refuse(path, ", ".join(missing), "missing from the calibration file")
    if version == 2:
        _from_version_2(data)
    _check_sentence_fields(path, data)
    for where, model in [("final", data["final"]), *((f"held_out.{k}", m) for k, m in data["held_out"].items())]:
        if not isinstance(model, dict) or any(k not in model for k in ("coefficients", "intercept", "imputation_medians", "fitted")) \
                or not len(model["coefficients"]) == len(model["imputation_medians"]) == len(data["features"]):
            return _refuse(path, where, "not a model of this calibration file's features")
    return data


def _refuse(path: str | Path, field_name: str, message: str) -> dict[str, Any]:
    raise InputError(str(path), [Problem(field_name, message)])


def _from_version_2(data: dict[str, Any]) -> None:
    """A version-2 file kept the sentence's facts only in English text: derive the fields version 3 keeps
    (what is not riskscore's own wording stays as its text, shown quoted in another language)."""
    rule = str(data.get("label_rule", ""))
    window = re.search(r"within (\d+) months of it", rule)
    if rule == str(rule_message({"source": "csv"})):
        data["label"] = {"source": "csv"}
    elif window and rule == str(rule_message({"source": "profiles", "relist_window_months": int(window.group(1))})):
        data["label"] = {"source": "profiles", "relist_window_months": int(window.group(1))}
    elif rule == str(rule_message({"source": "profiles", "relist_window_months": 0})):
        data["label"] = {"source": "profiles", "relist_window_months": 0}
    else:
        data["label"] = {"source": "text", "text": rule}
    validation = data.get("validation")
    if isinstance(validation, dict) and "scheme" not in validation:
        method = str(validation.get("method", "")).split(":")[0]
        loco = re.fullmatch(r"leave-one-company-out cross-validation \((\d+) folds\)", method)
        grouped = re.fullmatch(r"grouped (\d+)-fold cross-validation by company \((\d+) companies\)", method)
        validation["scheme"] = ({"kind": "leave_one_company_out", "folds": int(loco.group(1))} if loco else
                                {"kind": "grouped", "folds": int(grouped.group(1)), "companies": int(grouped.group(2))} if grouped else
                                {"kind": "text", "text": method})
    base = data.get("base_rate")
    if isinstance(base, dict) and "prior_setting" not in base:
        reason = str(base.get("prior_reason", ""))
        base["prior_setting"] = ("auto" if reason.startswith("auto:") else base.get("prior") if reason.startswith("configured: prior =")
                                 else "text")


def _check_sentence_fields(path: str | Path, data: dict[str, Any]) -> None:
    """The fields the memo's sentence is built from, each refused by name when it is not what ``riskscore calibrate`` writes."""
    label = data.get("label")
    if not isinstance(label, dict) or label.get("source") not in ("profiles", "csv", "text") or (
            label["source"] == "profiles" and (not isinstance(label.get("relist_window_months"), int) or label["relist_window_months"] < 0)):
        _refuse(path, "label", 'expected {"source": "profiles", "relist_window_months": <months>} or {"source": "csv"}')
    validation, base = data["validation"], data["base_rate"]
    scheme = validation.get("scheme") if isinstance(validation, dict) else None
    if not isinstance(scheme, dict) or not (
            (scheme.get("kind") == "leave_one_company_out" and isinstance(scheme.get("folds"), int))
            or (scheme.get("kind") == "grouped" and isinstance(scheme.get("folds"), int) and isinstance(scheme.get("companies"), int))
            or (scheme.get("kind") == "text" and isinstance(scheme.get("text"), str))):
        _refuse(path, "validation.scheme", 'expected {"kind": "leave_one_company_out", "folds": <n>} or {"kind": "grouped", "folds": <n>, "companies": <n>}')
    if not isinstance(base, dict) or base.get("prior_setting") not in ("history", "market", "auto", "text") or base.get("prior") not in ("history", "market"):
        _refuse(path, "base_rate.prior_setting", 'expected "history", "market" or "auto" (the configured prior), with base_rate.prior "history" or "market"')


def model_for(calibration: dict[str, Any], company: str | None) -> tuple[dict[str, Any], bool]:
    """The model to score ``company`` with, and whether it is a held-out one (the company is in the history).

    A company in the history is scored with the model fitted without its own cases.
    """
    for model in calibration["held_out"].values():
        if company is not None and company in model.get("excludes", []):
            return model, True
    return calibration["final"], False


def probability(calibration: dict[str, Any], assessment: Any) -> float:
    """Estimated probability that the listing fails, from the assessment's rubric scores (no scikit-learn),
    with the model that never saw the company's own cases."""
    model, _ = model_for(calibration, getattr(assessment, "profile_id", None))
    scores = {o.id: o.score for o in assessment.rubrics if o.status == "scored"}
    z = model["intercept"]
    for feature, coef, median in zip(calibration["features"], model["coefficients"], model["imputation_medians"], strict=True):  # lengths checked at load
        value = scores.get(feature)
        z += coef * (value / 100 if value is not None else median)
    return 1 / (1 + math.exp(-z))


# --------------------------------------------------------------------------- the sentence memos show
#
# Built as messages (riskscore/locale/<lang>.po), from the file's fields; what a user wrote in configuration (the market
# rate's source) is shown as written: quoted in another language, unless riskscore's catalogue translates it (its own default).


def _pct(value: float) -> str:
    return fmt.share(value, 1)


def _fig(figure: dict[str, Any], signed: bool = False) -> str:
    value, sd = figure.get("value"), figure.get("sd")
    if value is None:
        return Message("calibration.undefined", "undefined")
    return fmt.number(value, 2, sign=signed) + (f" ± {fmt.number(sd, 2)}" if sd is not None else "")


def _parts(calibration: dict[str, Any]) -> dict[str, Localizable]:
    """The pieces every form of the sentence shares: the validation figures, the rates, the prior, the label rule."""
    base, v = calibration["base_rate"], calibration["validation"]
    m, bl = v["model"], v["baseline"]
    origin = (Message("calibration.packaged_default", " (the packaged default)") if str(base.get("market_origin", "")).startswith("default")
              else "")
    rates = Message("calibration.rates", "market base rate {market}{origin}: {source}; history base rate {history} ({failed} failed of "
                    "{cases} cases from {companies} companies)", market=_pct(base["market"]), origin=origin,
                    source=Value.quoted(str(base["market_source"]).rstrip(".")), history=_pct(base["history"]),
                    failed=calibration["failed"], cases=calibration["cases"], companies=calibration["companies"])
    low, high = base.get("history_interval_95") or (0.0, 1.0)
    reason = prior_message(base["prior_setting"], base["prior"], base["market"], low, high, str(base.get("prior_reason", "")))
    prior = Message("calibration.prior", "the {kind} rate is the prior in force ({reason})", kind=Value.term("calibration.prior_kind", base["prior"]),
                    reason=reason)
    feature = str(bl["feature"])
    figures = Message("calibration.figures", "{method}, no company on both sides of a fold: skill score {skill} against always predicting "
                      "the base rate (Brier {brier} vs {reference}), AUC {auc}; best single rubric ({feature}): skill {baseline_skill}, "
                      "AUC {baseline_auc}", method=scheme_message(v["scheme"]), skill=_fig(m["skill"], True), brier=_fig(m["brier"]),
                      reference=fmt.number(m["brier_reference"], 3), auc=_fig(m["auc"]),
                      feature=Message(f"{feature}.title", feature.replace("{", "{{").replace("}", "}}")),
                      baseline_skill=_fig(bl["skill"], True), baseline_auc=_fig(bl["auc"]))
    rule = Message("calibration.label_rule", "Label rule: {rule}.", rule=rule_message(calibration["label"]))
    return {"figures": figures, "rates": rates, "prior": prior, "rule": rule}


def calibration_line(calibration: dict[str, Any], assessment: Any) -> Message:
    """The probability with what it rests on; the base rate instead when the model has no demonstrated skill
    or cannot be fitted without the company's own cases. A message: English as it is, or translated."""
    base, v = calibration["base_rate"], calibration["validation"]
    parts = _parts(calibration)
    model, held_out = model_for(calibration, assessment.profile_id)
    rate = _pct(base["prior_rate"])
    if not v["demonstrated_skill"]:
        return Message("calibration.no_skill", "Base rate of failure: {rate}, not a probability for this company. The calibration model has "
                       "no demonstrated skill: {figures}. Rates: {rates}; {prior}. {rule}", rate=rate, **parts)
    if not model["fitted"]:
        return Message("calibration.not_fitted", "Base rate of failure: {rate}, not a probability for this company: without this company's "
                       "own cases the history holds no case of one outcome, so no model could be fitted that never saw them. Rates: "
                       "{rates}; {prior}. {rule}", rate=rate, rates=parts["rates"], prior=parts["prior"], rule=parts["rule"])
    basis = (Message("calibration.basis.held_out", "a logistic model that never saw this company's filings ({cases} cases of the other "
                     "companies)", cases=model["cases"]) if held_out
             else Message("calibration.basis.final", "a logistic model fitted on {cases} past cases of {companies} companies, none of them "
                          "this one", cases=calibration["cases"], companies=calibration["companies"]))
    return Message("calibration.estimate", "Estimated probability that the listing fails: {probability}, from {basis}, its intercept set to "
                   "the {kind} base rate. Validation: {figures}. Rates: {rates}; {prior}. {rule} With this few cases the estimate is "
                   "rough; read it beside the scores, not instead of them.", probability=fmt.share(probability(calibration, assessment)),
                   basis=basis, kind=Value.term("calibration.prior_kind", base["prior"]), **parts)
