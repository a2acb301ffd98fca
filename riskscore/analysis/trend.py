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
from riskscore.report.i18n import Message, Text, Value, metric_text
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
            return Message("trend.periods.none", "none")
        if len(self.periods) <= 2:
            return Value.join([Value.period(p) for p in self.periods])
        return Message("trend.periods.span", "{first} … {last} ({count})", first=Value.period(self.periods[0]),
                       last=Value.period(self.periods[-1]), count=len(self.periods))

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
        label = (Message("trend.point.filing", "{exchange} filing {date}", exchange=filings[key].exchange, date=Value.date(filings[key].known_date))
                 if key in filings else Message("trend.point.profile", "profile as of {date}", date=Value.date(date.isoformat())))
        points.append(TrendPoint(key, date, label, assessment, tuple(p.id for p in view.periods), len(view.governance_events or [])))
    steps = [_step(a, b) for a, b in itertools.pairwise(points)]
    trend = Trend(profile.id, profile.company.name, profile.company.name_zh, points, steps, [(r.id, r.title) for r in rubrics],
                  check_profile(profile))
    if calibration:
        trend.calibration = _calibration_text(calibration, points)
    if peers:
        from riskscore.analysis import peers as pr

        trend.peer_set = peer_set
        trend.peer_names = [Text(p.profile.company.name, p.profile.company.name_zh) for p in peers]
        trend.peer_ranks = pr.ranks(points[-1].assessment, peers, config.memo.percentile_min_peers)
    return trend


def _calibration_text(calibration: dict[str, Any], points: list[TrendPoint]) -> str:
    """The probability at each point when the model has shown skill; otherwise the memo's base-rate sentence."""
    from riskscore.analysis.calibration import calibration_line, model_for, probability

    latest = calibration_line(calibration, points[-1].assessment)
    model, _ = model_for(calibration, points[-1].assessment.profile_id)
    if not calibration["validation"]["demonstrated_skill"] or not model["fitted"]:
        return latest
    at = Value.join([Message("calibration.trend.point", "{date}: {probability}", date=Value.date(p.date.isoformat()),
                             probability=fmt.share(probability(calibration, p.assessment))) for p in points], "; ")
    return Message("calibration.trend", "Estimated probability that the listing fails, on what was known at each point: {points}. "
                   "At the latest point: {latest}", points=at, latest=latest)


def _step(start: TrendPoint, end: TrendPoint) -> Step:
    before = {o.id: o for o in start.assessment.rubrics}
    moves = []
    for outcome in end.assessment.rubrics:
        old = before.get(outcome.id)
        move = Move(outcome.id, outcome.title, old.score if old else None, outcome.score, old.band if old else None, outcome.band)
        move.reasons = _reasons(old, outcome)
        moves.append(move)
    titles = {o.id: o.title for o in (*start.assessment.rubrics, *end.assessment.rubrics)}
    # English names the rubric by its id, as the JSON does; a translation may name it by its title instead.
    flags = lambda a: {Message("trend.flag", "{title} ({rubric})", title=f.title, rubric=f.rubric,  # noqa: E731
                               rubric_title=Message(f"{f.rubric}.title", titles.get(f.rubric, f.rubric).replace("{", "{{").replace("}", "}}"))): f
                       for f in a.red_flags}
    f0, f1 = flags(start.assessment), flags(end.assessment)
    return Step(start, end, moves, sorted(set(f1) - set(f0)), sorted(set(f0) - set(f1)),
                [p for p in end.periods if p not in start.periods])


def _reasons(old: Any, new: Any) -> list[str]:
    reasons: list[str] = []
    if old is None or old.status != new.status:
        if new.status == "scored" and (old is None or old.status == "no_data"):
            reasons.append(Message("trend.first_scored", "first scored: evidence for it was disclosed"))
        elif new.status == "no_data":
            reasons.append(Message("trend.no_evidence", "no longer has evidence"))
    r0, r1 = (old.result if old else None), new.result
    m0 = {m.id: m for m in (r0.metrics if r0 else [])}
    for metric in r1.metrics if r1 else []:
        previous = m0.get(metric.id)
        if previous is None or previous.value is None and previous.display is None:
            if metric.value is not None or metric.display is not None:
                reasons.append(Message("trend.on_file", "{label}: {value} now on file", label=metric.label, value=_at(metric_text(metric), metric)))
            continue
        if (previous.value, previous.display, _when(previous)) != (metric.value, metric.display, _when(metric)):
            before_text, after_text = metric_text(previous), metric_text(metric)
            if before_text == after_text and previous.value is not None and metric.value is not None:
                before_text, after_text = metric_text(previous, 3), metric_text(metric, 3)  # moved within the display's rounding
            moved = dict(label=metric.label, before=_at(before_text, previous), after=_at(after_text, metric))
            if metric.note and metric.note != previous.note:
                reasons.append(Message("trend.moved_note", "{label}: {before} → {after} [{note}]", **moved, note=metric.note))
            else:
                reasons.append(Message("trend.moved", "{label}: {before} → {after}", **moved))
    for gone in sorted(set(m0) - {m.id for m in (r1.metrics if r1 else [])}):
        reasons.append(Message("trend.no_longer_scored", "{label}: no longer scored", label=m0[gone].label))
    a0 = {a.label for a in (r0.adjustments if r0 else [])}
    a1 = {a.label for a in (r1.adjustments if r1 else [])}
    reasons += [Message("trend.adjustment_applied", "adjustment applied: {label}", label=label) for label in sorted(a1 - a0)]
    reasons += [Message("trend.adjustment_dropped", "adjustment dropped: {label}", label=label) for label in sorted(a0 - a1)]
    g0 = {g.field for g in (r0.data_gaps if r0 else [])}
    g1 = {g.field for g in (r1.data_gaps if r1 else [])}
    reasons += [Message("trend.gap_filled", "data gap filled: {field}", field=gap) for gap in sorted(g0 - g1)]
    reasons += [Message("trend.gap_opened", "data gap opened: {field}", field=gap) for gap in sorted(g1 - g0)]
    fl0 = {f.title for f in (r0.red_flags if r0 else [])}
    fl1 = {f.title for f in (r1.red_flags if r1 else [])}
    reasons += [Message("trend.flag_raised", "red flag raised: {title}", title=t) for t in sorted(fl1 - fl0)]
    reasons += [Message("trend.flag_cleared", "red flag cleared: {title}", title=t) for t in sorted(fl0 - fl1)]
    if not reasons and old is not None and old.score != new.score:
        reasons.append(Message("trend.recency", "recency: the same facts, seen from a later date"))
    return reasons


def _at(value: str, metric: Any) -> str:
    """``value (period)``: the value with the period or date it is from, when it has one."""
    when = _when(metric)
    if not when:
        return value
    return Message("trend.at", "{value} ({when})", value=value, when=Value.period(when) if metric.period else Value.date(when))


def _when(metric: Any) -> str | None:
    """The period a metric's value is from, or the date of an event's."""
    return metric.period or metric.date
