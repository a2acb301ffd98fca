"""Following a company across its filings: point-in-time scores and why they moved.

At each filing date (and at the profile's own as-of date, when later) the company is scored
on what had been disclosed by then (:mod:`riskscore.profile.pointintime`). Between consecutive
points, every rubric's move is explained by what changed underneath it: metrics whose
values moved, metrics that became available, red flags that appeared or cleared, data gaps
that were filled or opened, adjustments that came or went.

With the configuration's ``[memo]`` settings (the caller passes them), the trend memo also
shows the estimated probability of failure at each point (``calibration``) and where the
company's latest scores sit among its peers (``peers``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from riskscore.profile.model import Profile
from riskscore.profile.pointintime import filing_dates, profile_as_of
from riskscore.profile.quality import Finding, check_profile
from riskscore.report import format as fmt
from riskscore.scoring.engine import Assessment, assess


@dataclass(frozen=True)
class TrendPoint:
    key: str        # the filing id, or "profile" for the profile's own as-of date
    date: dt.date
    label: str
    assessment: Assessment
    periods: tuple[str, ...]
    events: int

    @property
    def periods_text(self) -> str:
        """``FY2018 … 2025H1 (9)``: the span of periods on file."""
        if not self.periods:
            return "none"
        if len(self.periods) <= 2:
            return ", ".join(self.periods)
        return f"{self.periods[0]} … {self.periods[-1]} ({len(self.periods)})"

    def score_of(self, rubric: str) -> float | None:
        return next((o.score for o in self.assessment.rubrics if o.id == rubric and o.status == "scored"), None)


@dataclass
class Move:
    rubric: str
    title: str
    before: float | None
    after: float | None
    band_before: str | None
    band_after: str | None
    reasons: list[str] = field(default_factory=list)

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else round(self.after - self.before, 2)


@dataclass
class Step:
    start: TrendPoint
    end: TrendPoint
    moves: list[Move]
    flags_appeared: list[str]
    flags_cleared: list[str]
    new_periods: list[str]


@dataclass
class Trend:
    profile_id: str
    company: str
    company_zh: str | None
    points: list[TrendPoint]
    steps: list[Step]
    rubrics: list[tuple[str, str]]  # (id, title) in configuration order
    quality: list[Finding] = field(default_factory=list)  # data-quality findings on the full profile
    calibration: str | None = None  # the estimated probability of failure at each point, with what it rests on
    peer_set: str | None = None
    peer_names: list[str] = field(default_factory=list)
    peer_ranks: list[Any] = field(default_factory=list)  # riskscore.analysis.peers.Rank at the latest point


def follow(profile: Profile, config: Any, rubrics: list[Any], *, peers: list[Any] | None = None, peer_set: str | None = None,
           calibration: dict[str, Any] | None = None) -> Trend:
    """Score ``profile`` at each filing date and at its as-of date; explain each move.

    ``peers`` (:func:`riskscore.analysis.peers.load`) ranks the latest point among them;
    ``calibration`` (a loaded calibration file) gives each point's probability of failure.
    """
    # filing_dates applies the one partial-date rule (pointintime.known_from): never after as_of.
    dates = filing_dates(profile)
    if not dates or dates[-1][1] < profile.as_of:
        dates.append(("profile", profile.as_of))
    points = []
    filings = {f.id: f for f in profile.filings}
    for key, date in dates:
        # The same view `score --as-of` and `calibrate` use; at the profile's own date it holds
        # everything, so the last point equals `score`.
        view = profile_as_of(profile, date)
        assessment = assess(view, config, rubrics)
        label = (f"{filings[key].exchange} filing {filings[key].known_date}" if key in filings else f"profile as of {date}")
        points.append(TrendPoint(key, date, label, assessment, tuple(p.id for p in view.periods), len(view.governance_events or [])))
    steps = [_step(a, b) for a, b in itertools.pairwise(points)]
    trend = Trend(profile.id, profile.company.name, profile.company.name_zh, points, steps, [(r.id, r.title) for r in rubrics],
                  check_profile(profile))
    if calibration:
        trend.calibration = _calibration_text(calibration, points)
    if peers:
        from riskscore.analysis import peers as pr

        trend.peer_set = peer_set
        trend.peer_names = [p.profile.company.name for p in peers]
        trend.peer_ranks = pr.ranks(points[-1].assessment, peers, config.memo.percentile_min_peers)
    return trend


def _calibration_text(calibration: dict[str, Any], points: list[TrendPoint]) -> str:
    """The probability at each point when the model has shown skill; otherwise the memo's base-rate sentence."""
    from riskscore.analysis.calibration import calibration_line, model_for, probability

    latest = calibration_line(calibration, points[-1].assessment)
    model, _ = model_for(calibration, points[-1].assessment.profile_id)
    if not calibration["validation"]["demonstrated_skill"] or not model["fitted"]:
        return latest
    at = "; ".join(f"{p.date}: {fmt.share(probability(calibration, p.assessment))}" for p in points)
    return f"Estimated probability that the listing fails, on what was known at each point: {at}. At the latest point: {latest}"


def _step(start: TrendPoint, end: TrendPoint) -> Step:
    before = {o.id: o for o in start.assessment.rubrics}
    moves = []
    for outcome in end.assessment.rubrics:
        old = before.get(outcome.id)
        move = Move(outcome.id, outcome.title, old.score if old else None, outcome.score, old.band if old else None, outcome.band)
        move.reasons = _reasons(old, outcome)
        moves.append(move)
    flags = lambda a: {f"{f.title} ({f.rubric})": f for f in a.red_flags}  # noqa: E731
    f0, f1 = flags(start.assessment), flags(end.assessment)
    return Step(start, end, moves, sorted(set(f1) - set(f0)), sorted(set(f0) - set(f1)),
                [p for p in end.periods if p not in start.periods])


def _reasons(old: Any, new: Any) -> list[str]:
    reasons: list[str] = []
    if old is None or old.status != new.status:
        if new.status == "scored" and (old is None or old.status == "no_data"):
            reasons.append("first scored: evidence for it was disclosed")
        elif new.status == "no_data":
            reasons.append("no longer has evidence")
    r0, r1 = (old.result if old else None), new.result
    m0 = {m.id: m for m in (r0.metrics if r0 else [])}
    for metric in r1.metrics if r1 else []:
        previous = m0.get(metric.id)
        if previous is None or previous.value is None and previous.display is None:
            if metric.value is not None or metric.display is not None:
                reasons.append(f"{metric.label}: {fmt.metric(metric)}" + (f" ({_when(metric)})" if _when(metric) else "") + " now on file")
            continue
        if (previous.value, previous.display, _when(previous)) != (metric.value, metric.display, _when(metric)):
            before_text, after_text = fmt.metric(previous), fmt.metric(metric)
            if before_text == after_text and previous.value is not None and metric.value is not None:
                before_text, after_text = fmt.metric(previous, 3), fmt.metric(metric, 3)  # moved within the display's rounding
            text = (f"{metric.label}: {before_text}" + (f" ({_when(previous)})" if _when(previous) else "")
                    + f" → {after_text}" + (f" ({_when(metric)})" if _when(metric) else ""))
            if metric.note and metric.note != previous.note:
                text += f" [{metric.note}]"
            reasons.append(text)
    for gone in sorted(set(m0) - {m.id for m in (r1.metrics if r1 else [])}):
        reasons.append(f"{m0[gone].label}: no longer scored")
    a0 = {a.label for a in (r0.adjustments if r0 else [])}
    a1 = {a.label for a in (r1.adjustments if r1 else [])}
    reasons += [f"adjustment applied: {label}" for label in sorted(a1 - a0)]
    reasons += [f"adjustment dropped: {label}" for label in sorted(a0 - a1)]
    g0 = {g.field for g in (r0.data_gaps if r0 else [])}
    g1 = {g.field for g in (r1.data_gaps if r1 else [])}
    reasons += [f"data gap filled: {gap}" for gap in sorted(g0 - g1)]
    reasons += [f"data gap opened: {gap}" for gap in sorted(g1 - g0)]
    fl0 = {f.title for f in (r0.red_flags if r0 else [])}
    fl1 = {f.title for f in (r1.red_flags if r1 else [])}
    reasons += [f"red flag raised: {t}" for t in sorted(fl1 - fl0)]
    reasons += [f"red flag cleared: {t}" for t in sorted(fl0 - fl1)]
    if not reasons and old is not None and old.score != new.score:
        reasons.append("recency: the same facts, seen from a later date")
    return reasons


def _when(metric: Any) -> str | None:
    """The period a metric's value is from, or the date of an event's."""
    return metric.period or metric.date
