"""The engine: runs the rubrics, weighs them, applies red-flag floors, reports what is missing.

Steps, as the memo's methodology appendix states them:

1. Each enabled rubric scores the profile with its configured parameters. A rubric that
   raises or returns something other than a valid result is reported as *error*; the
   others still score.
2. Weights are normalised over the rubrics that produced a score (missing-data policy
   ``reallocate``), or a rubric without evidence keeps its weight at the neutral score
   (``neutral``). Coverage is the share of configured weight backed by evidence.
3. The weighted mean is the *indicated* score. Each red flag sets a floor; the *adjusted*
   score is the indicated score raised to the highest floor.
4. Drivers are the rubrics ranked by contribution (normalised weight × score).
5. Figures whose sources disagree are listed with the observation chosen and the others.
6. The *score range* is the adjusted score the company could get if each unscored rubric
   (no data, or failed) scored anywhere from 0 to 100 at its configured weight, with the red
   flags on file flooring both ends. The indicated score is a weighted mean, increasing in
   each rubric's score, and the floor is a maximum, so the ends are all-0 and all-100;
   either missing-data policy's score lies inside it. The range does not foresee red flags
   an unscored rubric might raise.
7. *Confidence*: ``insufficient`` below ``engine.insufficient_coverage`` of the weight backed
   by evidence; ``provisional`` below ``engine.provisional_coverage`` or when the range spans
   more than ``engine.provisional_max_bands`` bands; ``sufficient`` otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Iterable
from types import FrameType
from typing import Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

from riskscore.profile import evidence as ev
from riskscore.profile.model import Profile
from riskscore.report.i18n import Message, Str, Value
from riskscore.scoring.config import Config, EngineSettings
from riskscore.scoring.contract import Rubric, RubricParams, RubricResult, declares_red_flag, percent_in_json
from riskscore.scoring.registry import LoadFailure, params_for
from riskscore.scoring.scale import BAND_EDGES, Band, band_for

RESULT_SCHEMA_VERSION = 3
"""Version of the result JSON (``score --json``, batch ``<id>.json``). 3: shares in percent (0-100),
source conflicts' values as numbers with their unit, a metric's date apart from its period."""

RESULT_SCHEMA_ID = f"urn:riskscore:schema:result:{RESULT_SCHEMA_VERSION}"
"""``$id`` of ``riskscore schema result``."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RubricOutcome(_Model):
    """One rubric's part in the overall score. In JSON ``weight`` and ``coverage`` are percent (0-100)."""

    id: str
    title: str
    version: str
    status: Literal["scored", "no_data", "error"]
    configured_weight: float
    weight: float = Field(description="Normalised weight used in the overall score, percent (0-100) in JSON (a fraction, 0-1, in Python).")
    score: float | None = Field(description="Score used in the overall score (the neutral score under the neutral policy).")
    band: Band | None
    contribution: float = Field(description="weight × score, in score points.")
    coverage: float = Field(description="Share of the rubric's metric weight backed by evidence, percent (0-100) in JSON (a fraction in Python).")
    result: RubricResult | None = None
    error: str | None = None

    @field_serializer("weight", "coverage", when_used="json")
    def _percent(self, fraction: float) -> float:
        return percent_in_json(fraction)


class FlagReport(_Model):
    rubric: str
    id: str
    title: Str
    detail: Str
    floor: float
    sources: list[str]


class ObservationReport(_Model):
    """One source's figure, as a number with its unit (as the source wrote it) and as the memo shows it."""

    value: float = Field(description="The figure as written, in ``unit``.")
    unit: str = Field(description="'%' for a percentage (0-100), else the money unit as written, e.g. 'RMB 亿'.")
    bound: Literal["exact", "about", "at_least", "at_most"] = Field(description="'about' for 约, 'at_least' for 多/超, 'at_most' for 不足.")
    display: Str = Field(description="As the memo prints it: the written precision and bound, money in the profile's presentation unit.")
    source: str
    source_kind: str
    filing: str | None = None
    note: Str | None = None


class ConflictReport(_Model):
    field: str
    chosen: ObservationReport
    others: list[ObservationReport]


class GapReport(_Model):
    rubric: str
    field: str
    reason: Str


class ScoreRange(_Model):
    """Where the adjusted score could lie if each unscored rubric scored anywhere from 0 to 100."""

    low: float | None = Field(description="Adjusted score with every unscored rubric at 0 (red-flag floors applied); None when no rubric is enabled.")
    high: float | None = Field(description="Adjusted score with every unscored rubric at 100 (red-flag floors applied).")
    bands: list[Band] = Field(description="The bands from low to high, in order.")
    unscored: list[str] = Field(description="Ids of the rubrics that did not score (no data or error), whose score the range spans.")


class PolicyAlternative(_Model):
    """What the other missing-data policy would give, on the same rubric scores."""

    missing_data_policy: Literal["reallocate", "neutral"]
    indicated_score: float | None
    adjusted_score: float | None
    adjusted_band: Band | None


Confidence = Literal["sufficient", "provisional", "insufficient"]


class Assessment(_Model):
    """Everything the engine concluded about one profile. Serialised by ``score --json``.

    Shares are written in percent, 0-100, everywhere in the result JSON (coverage, weights,
    percentage metrics, whose ``unit`` is '%'); scores, floors and contributions are points
    on the 0-100 risk scale. Periods (``FY2024``, ``2025H1``) and dates (ISO 8601) are
    separate fields.
    """

    result_schema_version: int = RESULT_SCHEMA_VERSION
    profile_id: str
    company: str
    as_of: dt.date
    methodology_version: str
    missing_data_policy: Literal["reallocate", "neutral"]
    indicated_score: float | None
    indicated_band: Band | None
    adjusted_score: float | None
    adjusted_band: Band | None
    floor_applied: float | None
    coverage: float = Field(description="Share of the configured weight backed by evidence, percent (0-100) in JSON (a fraction in Python).")
    rubrics: list[RubricOutcome]
    drivers: list[str] = Field(description="Rubric ids by contribution, largest first.")
    red_flags: list[FlagReport]
    data_gaps: list[GapReport]
    conflicts: list[ConflictReport]
    score_range: ScoreRange
    confidence: Confidence = Field(description="sufficient, provisional or insufficient, from coverage and the score range "
                                   "(thresholds engine.insufficient_coverage, engine.provisional_coverage, engine.provisional_max_bands).")
    confidence_reasons: list[Str] = Field(description="Why the confidence is what it is, one sentence each.")
    other_policy: PolicyAlternative = Field(description="The scores under the missing-data policy not in force.")
    plugin_failures: list[LoadFailure] = Field(
        default_factory=list, description="Rubric plugins that failed to load, so were not run: name, origin, error.")

    @field_serializer("coverage", when_used="json")
    def _percent(self, fraction: float) -> float:
        return percent_in_json(fraction)

    @property
    def failed(self) -> list[RubricOutcome]:
        return [r for r in self.rubrics if r.status == "error"]


def run_rubric(rubric: type[Rubric], profile: Profile, params: RubricParams, timeout: float | None = None,
               revalidate: bool = True) -> tuple[RubricResult | None, str | None]:
    """Score one rubric in isolation: an exception, an invalid result, a red flag it does not
    declare or running past ``timeout`` seconds becomes an error string instead of stopping
    the others. What the rubric prints goes to stderr, so ``--json`` output stays JSON.

    ``revalidate=False`` checks only the score of the result (a number from 0 to 100, or
    None), not the whole result: for searches that re-run a rubric on changed copies of a
    profile and read nothing but the score and the red flags."""
    with contextlib.redirect_stdout(sys.stderr):
        if timeout is not None:
            return _run_with_timeout(rubric, profile, params, timeout, revalidate)
        return _run(rubric, profile, params, revalidate)


def _run(rubric: type[Rubric], profile: Profile, params: RubricParams, revalidate: bool = True) -> tuple[RubricResult | None, str | None]:
    try:
        result = rubric().score(profile, params)
        if not isinstance(result, RubricResult):
            return None, f"returned {type(result).__name__}, not a RubricResult"
        if revalidate:
            # Re-validate: a rubric may have built (part of) its result with model_construct,
            # which skips validation, and an invalid result would break the memo later.
            RubricResult.model_validate(result.model_dump())
        elif result.score is not None and not (isinstance(result.score, (int, float)) and 0 <= result.score <= 100):
            return None, f"returned an invalid result: score {result.score!r} is not from 0 to 100"
    except ValidationError as exc:
        return None, f"returned an invalid result: {exc.errors()[0]['msg']}"
    except (Exception, SystemExit) as exc:  # a failing rubric is reported, never fatal
        if os.environ.get("RISKSCORE_DEBUG"):  # the traceback for the rubric's author; the run goes on
            sys.stderr.write(f"RISKSCORE_DEBUG: rubric {rubric.id} raised:\n{traceback.format_exc()}")
        return None, f"{type(exc).__name__}: {exc}"
    known = {src.id for src in profile.sources}
    cited = {s for m in result.metrics for s in m.sources} | {s for e in result.evidence for s in e.sources} | {s for f in result.red_flags for s in f.sources}
    cited |= {c.source for e in result.evidence for c in e.citations}
    if cited - known:
        return None, f"returned a result citing unknown source ids {sorted(cited - known)}"
    undeclared = sorted({f.id for f in result.red_flags if not declares_red_flag(rubric, f.id)})
    if undeclared:
        return None, f"raised red flags it does not declare in red_flag_ids: {', '.join(undeclared)}"
    return result, None


class _RubricTimeout(BaseException):
    """Raised into a rubric that overran its time (a BaseException so rubrics' ``except Exception`` cannot swallow it)."""


def _run_with_timeout(rubric: type[Rubric], profile: Profile, params: RubricParams, timeout: float,
                      revalidate: bool = True) -> tuple[RubricResult | None, str | None]:
    overran = f"did not finish within {timeout:g} s (engine.rubric_timeout_seconds)"
    if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):  # never cancel a timer the host program set
        # On the main thread an interval timer interrupts the rubric itself: cheap, and a
        # hung rubric is really stopped.
        def interrupt(signum: int, frame: FrameType | None) -> NoReturn:
            raise _RubricTimeout

        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return _run(rubric, profile, params, revalidate)
        except _RubricTimeout:
            return None, overran
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    # Elsewhere (another thread, no SIGALRM): a Python thread cannot be killed, so a rubric
    # that hangs is abandoned on a daemon thread, which ends with the process.
    box: list[tuple[RubricResult | None, str | None]] = []
    worker = threading.Thread(target=lambda: box.append(_run(rubric, profile, params, revalidate)), name=f"rubric-{rubric.id}", daemon=True)
    worker.start()
    worker.join(timeout)
    if box:
        return box[0]
    return None, overran if worker.is_alive() else "ended without returning a result"


def assess(profile: Profile, config: Config, rubrics: list[type[Rubric]], plugin_failures: Iterable[LoadFailure] = ()) -> Assessment:
    """Score ``profile`` with ``rubrics``; ``plugin_failures`` (from discovery) are reported in the result."""
    engine = config.engine
    profile_id = profile.id  # as validated at load: output file names come from it, whatever a rubric does
    params = {r.id: params_for(r, config) for r in rubrics}
    # A rubric must not mutate the profile (a frozen model's lists are still mutable). Compare
    # the profile before and after the rubrics; only if it changed, restore it and run them
    # again one by one to find which did it: the check costs two dumps in the normal case.
    snapshot, before = pickle.dumps(profile), _digest(profile)
    raw = _run_all(profile, config, rubrics, params)
    if _digest(profile) != before:
        _restore(profile, snapshot)
        raw = _run_all(profile, config, rubrics, params, guard=(snapshot, before))

    total_weight = sum(w for _, w, _, _ in raw)
    used: _Used = []
    for rubric, weight, result, error in raw:
        if error is not None:
            used.append((rubric, weight, None, "error"))
        elif result is None or result.score is None:
            score = engine.neutral_score if engine.missing_data == "neutral" else None
            used.append((rubric, weight, score, "no_data"))
        else:
            used.append((rubric, weight, result.score, "scored"))
    counted = sum(w for _, w, s, _ in used if s is not None)
    backed = sum(w * (res.coverage if res is not None and res.score is not None else 0.0) for (_, w, res, _) in raw)
    coverage = round(backed / total_weight, 4) if total_weight else 0.0

    outcomes = []
    for (rubric, weight, result, error), (_, _, score, status) in zip(raw, used, strict=True):
        norm = weight / counted if score is not None and counted else 0.0
        outcomes.append(RubricOutcome(
            id=rubric.id, title=rubric.title, version=rubric.version, status=status, configured_weight=weight,
            weight=round(norm, 6), score=score, band=band_for(score) if score is not None else None,
            contribution=round(norm * score, 4) if score is not None else 0.0,
            coverage=result.coverage if result is not None and result.score is not None else 0.0,
            result=result, error=error,
        ))

    indicated = round(sum(o.weight * o.score for o in outcomes if o.score is not None), 2) if counted else None
    flags = []
    for o in outcomes:
        for flag in o.result.red_flags if o.result else []:
            flag_floor = engine.red_flag_floors.get(flag.id, engine.red_flag_floor)
            flags.append(FlagReport(rubric=o.id, id=flag.id, title=flag.title, detail=flag.detail, floor=flag_floor, sources=flag.sources))
    floor = max((f.floor for f in flags), default=None)
    adjusted = None if indicated is None else round(max(indicated, floor or 0.0), 2)
    drivers = [o.id for o in sorted(outcomes, key=lambda o: (-o.contribution, o.id)) if o.status == "scored"]
    gaps = [GapReport(rubric=o.id, field=g.field, reason=g.reason) for o in outcomes for g in (o.result.data_gaps if o.result else [])]
    gaps += [GapReport(rubric=o.id, field="", reason=Message("engine.not_scored_error", "Not scored: {error}", error=o.error or ""))
             for o in outcomes if o.status == "error"]

    score_range = _score_range(used, floor)
    # Unverified facts (a doubtful report the profile marks `unverified`) behind a scored rubric's evidence
    unverified = [Message(f"{o.id}.title", o.title.replace("{", "{{").replace("}", "}}")) for o in outcomes if o.status == "scored" and o.result
                  and any(c.unverified for e in o.result.evidence for c in e.citations)]
    confidence, reasons = _confidence(coverage, score_range, engine, unverified)
    return check_invariant(Assessment(
        profile_id=profile_id, company=profile.company.name, as_of=profile.as_of,
        methodology_version=config.methodology_version, missing_data_policy=engine.missing_data,
        indicated_score=indicated, indicated_band=band_for(indicated) if indicated is not None else None,
        adjusted_score=adjusted, adjusted_band=band_for(adjusted) if adjusted is not None else None,
        floor_applied=floor if floor is not None and indicated is not None and floor > indicated else None,
        coverage=coverage, rubrics=outcomes, drivers=drivers, red_flags=flags, data_gaps=gaps,
        conflicts=[_conflict_report(profile, sel) for sel in ev.conflicts(profile)],
        score_range=score_range, confidence=confidence, confidence_reasons=reasons,
        other_policy=_other_policy(used, floor, engine),
        plugin_failures=list(plugin_failures),
    ))


_Raw = list[tuple[type[Rubric], float, RubricResult | None, str | None]]
_Used = list[tuple[type[Rubric], float, float | None, Literal["scored", "no_data", "error"]]]  # rubric, weight, score, status


def _run_all(profile: Profile, config: Config, rubrics: list[type[Rubric]], params: dict[str, RubricParams],
             guard: tuple[bytes, str] | None = None) -> _Raw:
    """Each rubric's result or error; with ``guard`` (snapshot, digest), a rubric that mutates
    the profile is an error and the profile is restored before the next one runs."""
    raw: _Raw = []
    for rubric in rubrics:
        result, error = run_rubric(rubric, profile, params[rubric.id], config.engine.rubric_timeout_seconds)
        if guard is not None and _digest(profile) != guard[1]:
            _restore(profile, guard[0])
            result, error = None, "mutated the profile it was given (rubrics must treat the profile as read-only); its result is discarded"
        raw.append((rubric, float(config.weight_for(rubric.id, rubric.default_weight)), result, error))
    return raw


class InvariantError(RuntimeError):
    """The engine produced a score outside 0–100 or not a number: a bug or a broken rubric, never a verdict."""


def check_invariant(assessment: Assessment) -> Assessment:
    """Return ``assessment`` if every score it reports is a finite number within 0–100 or
    explicitly unscored (None), with a band exactly when there is a score; raise
    :class:`InvariantError` otherwise (the CLI exits 1), so no band is ever printed for a NaN."""
    def bad(value: float | None) -> bool:
        return value is not None and not (math.isfinite(value) and 0 <= value <= 100)

    wrong = [f"{name} {value!r}" for name, value in (
        ("indicated_score", assessment.indicated_score), ("adjusted_score", assessment.adjusted_score),
        ("floor_applied", assessment.floor_applied), ("score_range.low", assessment.score_range.low),
        ("score_range.high", assessment.score_range.high), ("other_policy.adjusted_score", assessment.other_policy.adjusted_score)) if bad(value)]
    wrong += [f"{name} {value!r} but {band_name} {band!r}" for name, value, band_name, band in (
        ("indicated_score", assessment.indicated_score, "indicated_band", assessment.indicated_band),
        ("adjusted_score", assessment.adjusted_score, "adjusted_band", assessment.adjusted_band)) if (value is None) != (band is None)]
    for o in assessment.rubrics:
        wrong += [f"rubric {o.id}: {name} {value!r}" for name, value in (("score", o.score), ("contribution", o.contribution)) if bad(value)]
        if not (math.isfinite(o.weight) and 0 <= o.weight <= 1):
            wrong.append(f"rubric {o.id}: weight {o.weight!r}")
    wrong += [f"red flag {f.id}: floor {f.floor!r}" for f in assessment.red_flags if bad(f.floor)]
    if not (math.isfinite(assessment.coverage) and 0 <= assessment.coverage <= 1):
        wrong.append(f"coverage {assessment.coverage!r}")
    if wrong:
        raise InvariantError(f"the engine's result for {assessment.profile_id!r} breaks its invariant "
                             f"(every score a finite number within 0-100, or unscored): {'; '.join(wrong)}; no verdict is reported")
    return assessment


def _digest(profile: Profile) -> str:
    """The profile as JSON, to notice a rubric that mutated it (a frozen model's lists are still mutable)."""
    try:
        return profile.model_dump_json()
    except Exception as exc:  # a rubric put something unserialisable into it
        return f"unserialisable: {type(exc).__name__}: {exc}"


def _restore(profile: Profile, snapshot: bytes) -> None:
    """Put ``profile`` back as it was before a rubric mutated it, in place (the caller still
    holds it), from a pickle: unlike JSON, it keeps each figure's written precision."""
    original = pickle.loads(snapshot)
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        object.__setattr__(profile, name, getattr(original, name))


def _score_range(used: _Used, floor: float | None) -> ScoreRange:
    scored = [(w, s) for _, w, s, status in used if status == "scored" and s is not None]
    unscored = [(rubric.id, w) for rubric, w, _, status in used if status != "scored"]
    total = sum(w for w, _ in scored) + sum(w for _, w in unscored)
    if not total:
        return ScoreRange(low=None, high=None, bands=[], unscored=[rid for rid, _ in unscored])
    points = sum(w * s for w, s in scored)
    missing = sum(w for _, w in unscored)
    # The indicated score is linear and increasing in each unscored rubric's score, and the
    # floor is a maximum: the ends are every unscored rubric at 0 and every one at 100.
    low = round(max(points / total, floor or 0.0), 2)
    high = round(max((points + 100 * missing) / total, floor or 0.0), 2)
    return ScoreRange(low=low, high=high, bands=bands_between(low, high), unscored=[rid for rid, _ in unscored])


def bands_between(low: float, high: float) -> list[Band]:
    """The bands a score from ``low`` to ``high`` can fall in, lowest first."""
    order = [band for _, band in reversed(BAND_EDGES)]
    return order[order.index(band_for(low)):order.index(band_for(high)) + 1]


def _confidence(coverage: float, score_range: ScoreRange, engine: EngineSettings,
                unverified: list[Message] | None = None) -> tuple[Confidence, list[str]]:
    reasons: list[str] = []
    share = 100 * coverage
    if coverage < engine.insufficient_coverage:
        return "insufficient", [Message("engine.confidence.insufficient",
                                        "{share:num0}% of the weight is backed by evidence, below the {threshold}% an assessment needs "
                                        "(engine.insufficient_coverage).", share=share, threshold=100 * engine.insufficient_coverage)]
    if coverage < engine.provisional_coverage:
        reasons.append(Message("engine.confidence.low_coverage",
                               "{share:num0}% of the weight is backed by evidence, below the {threshold}% a sufficient assessment needs "
                               "(engine.provisional_coverage).", share=share, threshold=100 * engine.provisional_coverage))
    spanned = len(score_range.bands)
    if spanned > engine.provisional_max_bands:
        reasons.append(Message("engine.confidence.wide_range",
                               "The score range, {low:num1} to {high:num1}, spans {spanned} bands ({bands}); more than {max} makes it "
                               "provisional (engine.provisional_max_bands).", low=score_range.low, high=score_range.high, spanned=spanned,
                               bands=[Value.band(b) for b in score_range.bands], max=engine.provisional_max_bands))
    if unverified:
        reasons.append(Message("engine.confidence.unverified",
                               "The evidence of {rubrics} includes facts marked unverified (a doubtful report); "
                               "a score that rests partly on them is provisional.", rubrics=unverified))
    if reasons:
        return "provisional", reasons
    return "sufficient", [Message("engine.confidence.sufficient" if spanned == 1 else "engine.confidence.sufficient_bands",
                                  "{share:num0}% of the weight is backed by evidence, and the score range stays within {spanned} band"
                                  + ("." if spanned == 1 else "s."), share=share, spanned=spanned)]


def _other_policy(used: _Used, floor: float | None, engine: EngineSettings) -> PolicyAlternative:
    """The scores under the missing-data policy not in force (failed rubrics count under neither)."""
    other: Literal["reallocate", "neutral"] = "neutral" if engine.missing_data == "reallocate" else "reallocate"
    pairs = [(w, s) for _, w, s, status in used if status == "scored" and s is not None]
    if other == "neutral":
        pairs += [(w, engine.neutral_score) for _, w, _, status in used if status == "no_data"]
    weight = sum(w for w, _ in pairs)
    indicated = round(sum(w * s for w, s in pairs) / weight, 2) if weight else None
    adjusted = None if indicated is None else round(max(indicated, floor or 0.0), 2)
    return PolicyAlternative(missing_data_policy=other, indicated_score=indicated, adjusted_score=adjusted,
                             adjusted_band=band_for(adjusted) if adjusted is not None else None)


def _obs_report(profile: Profile, obs: ev.Observation) -> ObservationReport:
    from riskscore.profile.model import PercentObservation
    from riskscore.scoring.facts import fmt_obs

    number, unit = (obs.value, "%") if isinstance(obs, PercentObservation) else (obs.amount, str(obs.unit))
    return ObservationReport(
        value=number, unit=unit, bound=obs.bound, display=fmt_obs(profile, obs),
        source=obs.source, source_kind=profile.source(obs.source).kind, filing=obs.filing, note=obs.note,
    )


def _conflict_report(profile: Profile, sel: ev.Selection) -> ConflictReport:
    return ConflictReport(
        field=profile.describe_loc(sel.location),
        chosen=_obs_report(profile, sel.chosen),
        others=[_obs_report(profile, o) for o in sel.observations if o is not sel.chosen],
    )
