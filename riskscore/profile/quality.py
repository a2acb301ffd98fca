"""Data-quality checks: arithmetic the sources' figures must satisfy, and where they disagree.

Each check runs over the whole profile without being told where to look:

* **segments** — top-level segment shares add up to 100% (within the figures' rounding);
  sub-segments add up to their parent; segment revenues do not exceed the total;
* **growth** — a stated growth rate matches the two periods' values (using the most precise
  figures on file);
* **cumulative** — a source's claim about a total over several periods matches the sum of
  those periods (or, where periods are missing, is at least not contradicted by them);
* **stated margins** — a stated gross margin matches gross profit over revenue, a stated net
  margin net profit over revenue, a stated adjusted net margin adjusted profit over revenue, a
  stated R&D share R&D expense over revenue, a stated liabilities-to-assets ratio total
  liabilities over total assets (sign included: a positive margin beside a gross loss is a
  finding);
* **shares** — a segment's stated share of revenue matches its revenue over total revenue;
* **concepts** — the same amount given as two different concepts by different sources (253
  亿 as net liabilities in one article and as total liabilities in another): both cannot be
  right;
* **disagreements** — the same figure reported differently by two sources, and
  *restatements*: the same figure as two different filings gave it; *superseded* figures
  (an amendment or a correction replaced them) are listed too.

Findings carry the figures involved and their source ids; nothing here changes a score.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from riskscore.profile import evidence as ev
from riskscore.profile import paths
from riskscore.profile.model import QUALITY_CHECKS, MoneyObservation, Period, Profile, ReviewedFinding
from riskscore.report import format as fmt
from riskscore.report.i18n import Message, Text, Value

_CHECK_ORDER = QUALITY_CHECKS


@dataclass(frozen=True)
class Finding:
    check: str          # one of _CHECK_ORDER
    field: str          # profile path, readable (periods[FY2022].segments)
    message: str
    sources: tuple[str, ...] = ()
    severity: str = "warning"  # warning: the figures cannot all be right; reviewed: a warning the profile's author kept, with a note; info: worth knowing



def _interval(obs: Any, floor: float | None = None) -> tuple[float, float]:
    low, high = ev.interval(obs)
    return (low if floor is None else max(floor, low)), high


def _share(obs: Any) -> tuple[float, float]:
    """A share's interval: never below 0% ('at most 0.1%' is 0-0.1%)."""
    return _interval(obs, 0.0)


def check_profile(profile: Profile) -> list[Finding]:
    """Every data-quality finding, grouped by check, in document order within a check."""
    selections = ev.selections(profile)  # the figures with more than one observation, for the last two checks
    findings = (_segments(profile) + _growth(profile) + _cumulative(profile) + _stated_margins(profile) + _balance_sheet_ratio(profile)
                + _stated_shares(profile)
                + _concepts(profile) + _disagreements(profile, selections) + _superseded(profile, selections))
    return _apply_reviews(profile, sorted(findings, key=lambda f: _CHECK_ORDER.index(f.check)))


def _apply_reviews(profile: Profile, findings: list[Finding]) -> list[Finding]:
    """Mark the warnings the profile lists under ``reviewed_findings`` (severity ``reviewed``, the
    author's note appended); a review that matches no warning is a warning of its own."""
    reviews: dict[tuple[str, str], ReviewedFinding] = {(r.check, r.field): r for r in profile.reviewed_findings}
    matched: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        review = reviews.get((f.check, f.field))
        if review is not None and f.severity == "warning":
            matched.add((f.check, f.field))
            f = replace(f, severity="reviewed", message=Message("quality.reviewed", "{finding} — reviewed: {note}", finding=f.message, note=Text(review.note)))
        out.append(f)
    for i, r in enumerate(profile.reviewed_findings):
        if (r.check, r.field) not in matched:
            out.append(Finding("stale_review", paths.join(("reviewed_findings", i)),
                               Message("quality.stale_review", "no {check} warning at {field} any more: correct the review's check and field, or remove it",
                                       check=r.check, field=r.field)))
    return out


def _segments(profile: Profile) -> list[Finding]:
    out = []
    for period in profile.periods:
        top = [s for s in period.segments if not s.parent]
        shares = [(s, ev.value(profile, s.share)) for s in top]
        stated = [(s, o) for s, o in shares if o is not None]
        if len(stated) >= 2 or (stated and len(stated) == len(top)):
            low = sum(_share(o)[0] for _, o in stated)
            high = sum(_share(o)[1] for _, o in stated)
            total = sum(o.value for _, o in stated)
            complete = len(stated) == len(top)
            if high < 100 - 1e-9 and complete or low > 100 + 1e-9:
                names = Value.join([Message("quality.segment_share", "{name} {share}", name=Text(s.name, s.name_zh),
                                            share=Value.observation(o, profile.presentation_unit)) for s, o in stated], " + ")
                written = max(o.decimals for _, o in stated)
                out.append(Finding("segments", paths.period(period.id, "segments"),
                                   Message("quality.segments", "top-level segment shares add up to {total}, not 100% ({names}): a segment is missing or a share is wrong",
                                           total=fmt.percent(total, written), names=names),
                                   tuple(ev.sources_of(o for _, o in stated))))
        for parent in top:
            stated_children = [ev.value(profile, s.share) for s in period.segments if s.parent == parent.name]
            children = [o for o in stated_children if o is not None]
            parent_share = ev.value(profile, parent.share)
            if children and parent_share is not None and len(children) == len(stated_children):
                low = sum(_share(o)[0] for o in children)
                high = sum(_share(o)[1] for o in children)
                p_low, p_high = _share(parent_share)
                if high < p_low - 1e-9 or low > p_high + 1e-9:
                    written = max(o.decimals for o in children)
                    out.append(Finding("segments", paths.join(["periods", paths.Item(period.id), "segments", paths.Item(parent.name)]),
                                       Message("quality.sub_segments", "the sub-segments of {parent} add up to {total}, not its {share}",
                                               parent=Text(parent.name, parent.name_zh), total=fmt.percent(sum(o.value for o in children), written),
                                               share=Value.observation(parent_share, profile.presentation_unit)),
                                       tuple(ev.sources_of([parent_share, *children]))))
        revenue = ev.value(profile, period.revenue)
        known = [o for o in (ev.value(profile, s.revenue) for s in top) if o is not None]
        if revenue is not None and known and all(o.unit.currency == revenue.unit.currency for o in known):
            low = sum(_interval(o)[0] for o in known)
            if low > _interval(revenue)[1] + 1e-6:
                out.append(Finding("segments", paths.period(period.id, "segments"),
                                   Message("quality.segment_revenues", "segment revenues add up to more than total revenue"), tuple(ev.sources_of([revenue, *known]))))
    return out


def _year_before(profile: Profile, period: Period) -> Period | None:
    """The period one year earlier with the same length (FY2020 -> FY2019, 2025H1 -> 2024H1)."""
    ident = f"FY{int(period.id[2:]) - 1}" if period.is_annual else f"{int(period.id[:4]) - 1}{period.id[4:]}"
    return next((p for p in profile.periods if p.id == ident), None)


def _precise(figure: Any) -> MoneyObservation | None:
    """The most precisely written observation of a figure (ties: first)."""
    observations = list(figure) if figure is not None else []
    return max(observations, key=lambda o: o.decimals, default=None)


def _growth(profile: Profile) -> list[Finding]:
    out = []
    for period in profile.periods:
        if period.revenue_growth is None:
            continue
        before = _year_before(profile, period)
        current, previous = _precise(period.revenue), _precise(before.revenue) if before else None
        if current is None or previous is None or current.unit.currency != previous.unit.currency:
            continue
        c_low, c_high = _interval(current)
        p_low, p_high = _interval(previous)
        if p_low <= 0:
            continue
        g_low, g_high = 100 * (c_low / p_high - 1), 100 * (c_high / p_low - 1)
        for stated in period.revenue_growth:
            s_low, s_high = _interval(stated)
            if s_high < g_low - 1e-9 or s_low > g_high + 1e-9:
                computed = 100 * (current.base / previous.base - 1)
                out.append(Finding(
                    "growth", paths.period(period.id, "revenue_growth"),
                    Message("quality.growth", "stated growth {stated} ({stated_source}) does not match revenue {current} ({period:period}, {current_source}) "
                            "over {previous} ({before:period}, {previous_source}): {computed:percent}",
                            stated=Value.observation(stated, profile.presentation_unit), stated_source=stated.source,
                            current=Value.observation(current, profile.presentation_unit), period=period.id, current_source=current.source,
                            previous=Value.observation(previous, profile.presentation_unit), before=before.id, previous_source=previous.source,  # type: ignore[union-attr]
                            computed=computed),
                    tuple(ev.sources_of([stated, current, previous])),
                ))
    return out


def _span(profile: Profile, period_id: str) -> tuple[int, int]:
    """First and last month of a period, as month numbers (year * 12 + month - 1)."""
    probe = Period(id=period_id)
    end = probe.end_date(profile.fiscal_year_end_month)
    last = end.year * 12 + end.month - 1
    return last - probe.months + 1, last


def _month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _gap_text(first: int, last: int, fiscal_year_end_month: int) -> str:
    """Missing months as a reader names them: ``FY2018`` for a whole fiscal year, else a month range."""
    if last - first == 11 and last % 12 == fiscal_year_end_month - 1:
        return f"FY{last // 12}"
    return _month_text(first) if first == last else f"{_month_text(first)} to {_month_text(last)}"


def _cumulative(profile: Profile) -> list[Finding]:
    """Tile each claim's months with the periods on file that hold the figure (longest first)."""
    out = []
    for claim in profile.cumulative:
        first, last = _span(profile, claim.start)[0], _span(profile, claim.end)[1]
        label = Message("quality.cumulative_location", "cumulative {figure} {start}–{end}", figure=claim.figure, start=claim.start, end=claim.end)
        claimed = ev.value(profile, claim.value)
        assert claimed is not None
        if first > last:
            out.append(Finding("cumulative", label, Message("quality.cumulative_order", "starts ({start:period}) after it ends ({end:period})",
                                                            start=claim.start, end=claim.end), (claimed.source,)))
            continue
        candidates = []
        for period in profile.periods:
            obs = ev.value(profile, getattr(period, claim.figure))
            start, end = _span(profile, period.id)
            if isinstance(obs, MoneyObservation) and first <= start and end <= last and obs.unit.currency == claimed.unit.currency:
                candidates.append((end - start, period, obs))
        covered: set[int] = set()
        values = []
        for _, period, obs in sorted(candidates, key=lambda c: (-c[0], c[1].id)):
            start, end = _span(profile, period.id)
            months = set(range(start, end + 1))
            if not months & covered:
                covered |= months
                values.append(obs)
        gaps: list[list[int]] = []
        for month in range(first, last + 1):
            if month in covered:
                continue
            if gaps and gaps[-1][1] == month - 1:
                gaps[-1][1] = month
            else:
                gaps.append([month, month])
        missing = [_gap_text(a, b, profile.fiscal_year_end_month) for a, b in gaps]
        sources = tuple(ev.sources_of([claimed] + values))
        what = Message("quality.cumulative_claim", "{source} gives {amount}", source=claimed.source,
                       amount=Value("bounded_money", claimed.amount, str(claimed.unit), claimed.decimals, claimed.bound))
        # A sum is written to the precision of its most precise term (two places when terms are in another scale).
        written = max([claimed.decimals] + [o.decimals if o.unit == claimed.unit else 2 for o in values])
        factor = claimed.unit.factor
        total = sum(o.base for o in values) / factor
        low = sum(_interval(o)[0] for o in values) / factor
        high = sum(_interval(o)[1] for o in values) / factor
        c_low, c_high = (x / factor for x in _interval(claimed))
        if not values:
            out.append(Finding("cumulative", label, Message("quality.cumulative_none", "{what}; none of the periods it covers has the figure on file", what=what),
                               sources, "info"))
        elif not missing:
            if high < c_low - 1e-9 or low > c_high + 1e-9:
                out.append(Finding("cumulative", label, Message("quality.cumulative_sum", "{what}; the periods it covers add up to {total}", what=what,
                                                                total=Value.money(total, claimed.unit, written)), sources))
        else:
            # The periods on file may already go beyond the claim in its own direction
            # (more loss than the claimed total loss): the claim is then contradicted.
            beyond = high < c_low - 1e-9 if claimed.base < 0 else low > c_high + 1e-9
            summed = Value.money(total, claimed.unit, written)
            if beyond:
                detail = Message("quality.cumulative_beyond", "{what}; the periods on file alone add up to {total}", what=what, total=summed)
            else:
                detail = Message("quality.cumulative_partial", "{what}; cannot be checked fully, {missing} not on file; the periods on file add up to {total}",
                                 what=what, missing=Value.join([Value.period(m) for m in missing]), total=summed)
            out.append(Finding("cumulative", label, detail, sources, "warning" if beyond else "info"))
    return out


# stated ratio field, numerator, label of the numerator
_STATED_RATIOS = (
    ("gross_margin", "gross_profit", Message("quality.concept.gross_profit", "gross profit")),
    ("net_margin", "net_profit", Message("quality.concept.net_profit", "net profit")),
    ("adjusted_net_margin", "adjusted_net_profit", Message("quality.concept.adjusted_net_profit", "adjusted net profit")),
    ("rnd_share", "rnd_expense", Message("quality.concept.rnd_expense", "R&D expense")),
)


def _ratio_range(numerator: Any, denominator: Any) -> tuple[float, float] | None:
    """The ratios (in %) the two figures' written precision admits; None when they cannot be divided."""
    if numerator.unit.currency != denominator.unit.currency:
        return None
    d_low, d_high = _interval(denominator)
    n_low, n_high = _interval(numerator)
    if d_low <= 0 or not all(map(lambda x: abs(x) != float("inf"), (n_low, n_high, d_high))):
        return None
    candidates = [100 * n / d for n in (n_low, n_high) for d in (d_low, d_high)]
    return min(candidates), max(candidates)


def _stated_margins(profile: Profile) -> list[Finding]:
    out = []
    for period in profile.periods:
        revenue = ev.value(profile, period.revenue)
        if revenue is None:
            continue
        for stated_field, numerator_field, label in _STATED_RATIOS:
            stated = ev.value(profile, getattr(period, stated_field, None))
            amount = ev.value(profile, getattr(period, numerator_field, None))
            if stated is None or amount is None or (bounds := _ratio_range(amount, revenue)) is None:
                continue
            s_low, s_high = _interval(stated)
            if s_high < bounds[0] - 1e-9 or s_low > bounds[1] + 1e-9:
                derived = 100 * amount.base / revenue.base
                values = dict(stated=Value.observation(stated, profile.presentation_unit), source=stated.source, concept=label, derived=derived)
                out.append(Finding("stated_margin", paths.period(period.id, stated_field),
                                   Message("quality.stated_ratio_signs", "stated {stated} ({source}) does not match {concept} over revenue: {derived:percent} "
                                           "(the signs differ)", **values) if stated.value * derived < 0 else
                                   Message("quality.stated_ratio", "stated {stated} ({source}) does not match {concept} over revenue: {derived:percent}", **values),
                                   tuple(ev.sources_of([stated, amount, revenue]))))
    return out


def _balance_sheet_ratio(profile: Profile) -> list[Finding]:
    """A stated liabilities-to-assets ratio against total liabilities over total assets."""
    cs = profile.capital_structure
    if cs is None:
        return []
    stated = ev.value(profile, cs.liabilities_to_assets)
    liabilities, assets = ev.value(profile, cs.total_liabilities), ev.value(profile, cs.total_assets)
    if stated is None or liabilities is None or assets is None or (bounds := _ratio_range(liabilities, assets)) is None:
        return []
    s_low, s_high = _interval(stated)
    if s_high < bounds[0] - 1e-9 or s_low > bounds[1] + 1e-9:
        return [Finding("stated_margin", "capital_structure.liabilities_to_assets",
                        Message("quality.liabilities_to_assets", "stated {stated} ({source}) does not match total liabilities over total assets: {derived}",
                                stated=f"{stated.value:g}%", source=stated.source, derived=f"{100 * liabilities.base / assets.base:.1f}%"), tuple(ev.sources_of([stated, liabilities, assets])))]
    return []


def _stated_shares(profile: Profile) -> list[Finding]:
    """A segment's stated share of revenue against its revenue over the total."""
    out = []
    for period in profile.periods:
        total = ev.value(profile, period.revenue)
        if total is None:
            continue
        for seg in period.segments:
            share, revenue = ev.value(profile, seg.share), ev.value(profile, seg.revenue)
            if share is None or revenue is None or (bounds := _ratio_range(revenue, total)) is None:
                continue
            s_low, s_high = _share(share)
            if s_high < bounds[0] - 1e-9 or s_low > bounds[1] + 1e-9:
                out.append(Finding("stated_share", paths.join(["periods", paths.Item(period.id), "segments", paths.Item(seg.name), "share"]),
                                   Message("quality.stated_share", "stated {stated} ({source}) does not match the segment's revenue over total revenue: "
                                           "{derived:percent}", stated=Value.observation(share, profile.presentation_unit), source=share.source,
                                           derived=100 * revenue.base / total.base), tuple(ev.sources_of([share, revenue, total]))))
    return out


# Concepts a source can mistake for one another: the same amount under both is a conflict.
_CONFUSABLE = (
    ("net_liabilities", "total_liabilities"),
    ("net_current_liabilities", "net_liabilities"),
    ("net_current_liabilities", "total_liabilities"),
    ("cash", "total_assets"),
    ("net_profit", "adjusted_net_profit"),
    ("net_profit", "operating_profit"),
    ("revenue", "gross_profit"),
)
_LABELS = {"net_liabilities": "net liabilities", "total_liabilities": "total liabilities", "net_current_liabilities": "net current liabilities",
           "cash": "cash", "total_assets": "total assets", "net_profit": "net profit", "adjusted_net_profit": "adjusted net profit",
           "operating_profit": "operating profit", "revenue": "revenue", "gross_profit": "gross profit"}


def _concept(name: str) -> Message:
    """A figure's concept as a message (``quality.concept.<field>``)."""
    return Message(f"quality.concept.{name}", _LABELS[name])


def _concepts(profile: Profile) -> list[Finding]:
    blocks: list[tuple[str, Any]] = [(paths.period(p.id), p) for p in profile.periods]
    if profile.capital_structure is not None:
        blocks.append(("capital_structure", profile.capital_structure))
    out = []
    for where, block in blocks:
        for first, second in _CONFUSABLE:
            a_fig, b_fig = getattr(block, first, None), getattr(block, second, None)
            if a_fig is None or b_fig is None:
                continue
            for a in a_fig:
                for b in b_fig:
                    same = a.unit.currency == b.unit.currency and abs(a.base - b.base) <= 1e-9 * abs(a.base)
                    if a.source != b.source and a.base != 0 and same:  # the same amount as written, not merely within rounding
                        out.append(Finding("concept", where,
                                           Message("quality.concept", "the same amount, {amount}, is {first} in {first_source} and {second} in {second_source}: "
                                                   "both cannot be right (one source names the concept wrongly)", amount=Value.money(a.amount, a.unit, a.decimals),
                                                   first=_concept(first), first_source=a.source, second=_concept(second), second_source=b.source),
                                           (a.source, b.source)))
    return out


def _cited(obs: Any) -> str:
    """``source`` or ``source, filing``: where an observation is from, as the findings name it."""
    return obs.source + (", " + obs.filing if obs.filing else "")


def _disagreements(profile: Profile, selections: list[ev.Selection]) -> list[Finding]:
    unit = profile.presentation_unit
    out = []
    for selection in (s for s in selections if s.conflict):  # ev.conflicts
        where = profile.describe_loc(selection.location)
        # A restatement: two filings themselves give different values (not just another source).
        filed = [o for o in selection.observations if o.filing]
        restated = any(a.filing != b.filing and not ev.agree(a, b) for i, a in enumerate(filed) for b in filed[i + 1:])
        kind = "restatement" if restated else "disagreement"
        shown = Value.join([Message("quality.observed", "{value} ({source})", value=Value.observation(o, unit),
                                    source=_cited(o)) for o in selection.observations], "; ")
        text = Message("quality.restatement" if kind == "restatement" else "quality.disagreement",
                       ("the filings give different values: {shown}" if kind == "restatement" else "sources disagree: {shown}")
                       + "; the engine uses {chosen} ({source})", shown=shown, chosen=Value.observation(selection.chosen, unit),
                       source=selection.chosen.source)
        # Disagreeing sources are recorded on purpose (both kept); they inform, they are not errors.
        out.append(Finding(kind, where, text, tuple(ev.sources_of(selection.observations)), "info"))
    return out



def _superseded(profile: Profile, selections: list[ev.Selection]) -> list[Finding]:
    unit = profile.presentation_unit
    out = []
    for selection in selections:
        for old in selection.superseded:
            by = (Message("quality.superseded.corrects", "{source} corrects it", source=old.source) if old.superseded_by == old.source else
                  Message("quality.superseded.by", "superseded by {source}", source=old.superseded_by) if old.superseded_by else
                  Message("quality.superseded.amended", "filing {filing} was amended", filing=old.filing))
            out.append(Finding("superseded", profile.describe_loc(selection.location),
                               Message("quality.superseded", "{old} ({old_source}) is superseded ({by}); the engine uses {chosen} ({chosen_source})",
                                       old=Value.observation(old, unit), old_source=_cited(old), by=by,
                                       chosen=Value.observation(selection.chosen, unit),
                                       chosen_source=_cited(selection.chosen)),
                               tuple(ev.sources_of([old, selection.chosen])), "info"))
    return out
