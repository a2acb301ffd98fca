"""The memo model: everything a memo shows, computed once, rendered to Markdown and HTML.

Templates only lay out what this module decides, so the two formats never disagree.
Nothing here reads the clock: the same inputs give byte-identical memos.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riskscore.scoring import facts
from riskscore.profile.model import Period, Profile
from riskscore.profile.quality import check_profile

if TYPE_CHECKING:
    from riskscore.scoring.config import Config
    from riskscore.scoring.engine import Assessment, RubricOutcome
    from riskscore.scoring.contract import Rubric


@dataclass(frozen=True)
class SourceRef:
    number: int
    id: str
    title: str
    publisher: str
    date: str
    kind: str
    language: str
    file: str | None
    url: str | None
    note: str | None


@dataclass(frozen=True)
class Cited:
    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class MetricRow:
    label: str
    value: str
    period: str
    grid: str
    score: str
    weight: str


@dataclass(frozen=True)
class RubricSection:
    id: str
    title: str
    version: str
    status: str
    score: str
    band: str
    weight: str
    configured_weight: str
    score_value: float | None  # the numbers behind `score` and `weight`, for the charts
    weight_pct: float
    contribution: str
    coverage: str
    description: str
    method: str
    narrative: str
    error: str | None
    metrics: list[MetricRow]
    adjustments: list[str]
    evidence: list[Cited]
    red_flags: list[Cited]
    data_gaps: list[str]
    scenarios: list[tuple[str, str, str, bool, str]]  # label, score, band, headline, note


@dataclass(frozen=True)
class KeyMetric:
    title: str
    unit: str
    kind: str
    series: list[tuple[str, list[tuple[str, float]]]]


@dataclass
class Memo:
    company: str
    company_zh: str | None
    profile_id: str
    as_of: str
    domicile: str | None
    sector: str | None
    presentation_unit: str
    filings: list[tuple[str, str, str, str, str]]  # date, exchange, status, periods, note
    adjusted_score: str
    adjusted_band: str
    indicated_score: str
    indicated_band: str
    floor_note: str | None
    coverage: str
    missing_data_policy: str
    drivers: list[tuple[str, str, str]]  # title, contribution, share of total
    red_flags: list[Cited]
    rubrics: list[RubricSection]
    conflicts: list[tuple[str, Cited, list[Cited]]]
    data_gaps: list[tuple[str, str, str]]  # rubric title, field, reason
    quality: list[tuple[str, str, Cited]]  # check label, field, finding
    scenarios: list[str]  # one line per rubric with scenarios: which one the headline uses
    methodology_version: str
    config_files: list[str]
    engine_settings: list[tuple[str, str]]
    sources: list[SourceRef]
    notes: list[str]
    key_metrics: list[KeyMetric]
    period_order: list[str]
    sensitivity: list[Any] = field(default_factory=list)  # riskscore.analysis.whatif.Sensitivity rows, when asked for
    peer_set: str | None = None
    peer_count: int = 0
    peer_ranks: list[Any] = field(default_factory=list)   # riskscore.analysis.peers.Rank
    precedents: list[Any] = field(default_factory=list)   # riskscore.analysis.peers.Precedent
    peer_names: dict[str, str] = field(default_factory=dict)
    calibration: str | None = None                        # the probability, with what it rests on
    precedents_asked: int = 0
    failed: list[str] = field(default_factory=list)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def build_memo(profile: Profile, assessment: "Assessment", config: "Config", rubrics: list[type["Rubric"]], sensitivity: bool = False,
               peers: list[Any] | None = None, peer_set: str | None = None, precedents: int = 3,
               calibration: dict[str, Any] | None = None) -> Memo:
    numbers = {src.id: i for i, src in enumerate(profile.sources, start=1)}

    def cite(text: str, source_ids: list[str]) -> Cited:
        return Cited(text, tuple(sorted({numbers[s] for s in source_ids if s in numbers})))

    classes = {r.id: r for r in rubrics}
    sections = [_section(o, classes.get(o.id), cite) for o in assessment.rubrics]
    total = sum(o.contribution for o in assessment.rubrics) or 1.0
    drivers = [
        (o.title, _num(o.contribution, 1), f"{100 * o.contribution / total:.0f}%")
        for o in sorted(assessment.rubrics, key=lambda o: (-o.contribution, o.id))
        if o.status == "scored"
    ][:3]
    floor_note = None
    if assessment.floor_applied is not None:
        floor_note = f"Red flags floor the score at {assessment.floor_applied:g}; the indicated score was {assessment.indicated_score:.1f}."
    elif assessment.red_flags:
        floor_note = f"Red flags set a floor of {max(f.floor for f in assessment.red_flags):g}, below the indicated score, so the score stands."

    conflicts = []
    for c in assessment.conflicts:
        chosen = cite(_observed(c.chosen), [c.chosen.source])
        others = [cite(_observed(o) + (f" — {o.note}" if o.note else ""), [o.source]) for o in c.others]
        conflicts.append((c.field, chosen, others))

    return Memo(
        company=profile.company.name,
        company_zh=profile.company.name_zh,
        profile_id=profile.id,
        as_of=profile.as_of.isoformat(),
        domicile=profile.company.domicile,
        sector=profile.company.sector,
        presentation_unit=str(profile.presentation_unit),
        filings=[(str(f.date), f.exchange, f.status, ", ".join(f.periods_reported), f.note or "") for f in sorted(profile.filings, key=lambda f: f.date.start)],
        adjusted_score=_num(assessment.adjusted_score),
        adjusted_band=assessment.adjusted_band or "Not scored",
        indicated_score=_num(assessment.indicated_score),
        indicated_band=assessment.indicated_band or "Not scored",
        floor_note=floor_note,
        coverage=f"{100 * assessment.coverage:.0f}%",
        missing_data_policy=assessment.missing_data_policy,
        drivers=drivers,
        red_flags=[cite(f"{f.title} ({_title(assessment, f.rubric)}): {f.detail}", f.sources) for f in assessment.red_flags],
        rubrics=sections,
        conflicts=conflicts,
        data_gaps=[(_title(assessment, g.rubric), g.field, g.reason) for g in assessment.data_gaps],
        quality=[(QUALITY_LABELS[f.check], f.field, cite(f.message, list(f.sources))) for f in check_profile(profile)],
        scenarios=[_scenario_line(o) for o in assessment.rubrics if o.result and o.result.scenarios],
        methodology_version=assessment.methodology_version,
        config_files=list(config.files),
        engine_settings=[
            ("Missing data", f"{config.engine.missing_data}" + (f" (neutral score {config.engine.neutral_score:g})" if config.engine.missing_data == "neutral" else "")),
            ("Red-flag floor", f"{config.engine.red_flag_floor:g}" + "".join(f"; {k}: {v:g}" for k, v in sorted(config.engine.red_flag_floors.items()))),
            ("Source ranking", "prospectus > regulator, exchange > research > media; then the newer filing, the newer source"),
        ],
        sources=[SourceRef(numbers[s.id], s.id, s.title, s.publisher, str(s.date), s.kind, s.language, s.file, s.url, s.note) for s in profile.sources],
        notes=list(profile.notes),
        key_metrics=_key_metrics(profile),
        period_order=[p.id for p in profile.periods_by_end()],
        sensitivity=_sensitivity(profile, assessment, config, rubrics) if sensitivity else [],
        **_peer_fields(assessment, peers, peer_set, precedents),
        calibration=_calibration_line(calibration, assessment) if calibration else None,
        failed=[f"{o.title}: {o.error}" for o in assessment.failed],
    )


def _peer_fields(assessment: "Assessment", peers: list[Any] | None, peer_set: str | None, k: int) -> dict[str, Any]:
    if not peers:
        return {}
    from riskscore.analysis import peers as pr

    return {
        "peer_set": peer_set,
        "peer_count": len(peers),
        "peer_ranks": pr.ranks(assessment, peers),
        "precedents": pr.precedents(assessment, peers, k) if k else [],
        "peer_names": {p.profile.id: p.profile.company.name for p in peers},
        "precedents_asked": k,
    }


def _calibration_line(calibration: dict[str, Any], assessment: "Assessment") -> str:
    from riskscore.analysis.calibration import probability

    v = calibration["validation"]
    return (f"Estimated probability that the listing fails: {100 * probability(calibration, assessment):.0f}%, from a logistic model "
            f"fitted on {calibration['cases']} past cases ({calibration['failed']} failed, {calibration['listed']} listed); "
            f"{v['method']}: AUC {v['auc']['mean']:.2f} ± {v['auc']['sd']:.2f}, Brier score {v['brier']['mean']:.3f} ± {v['brier']['sd']:.3f}. "
            f"With this few cases the estimate is rough; read it beside the scores, not instead of them.")


def _sensitivity(profile: Profile, assessment: "Assessment", config: "Config", rubrics: list[type["Rubric"]]) -> list[Any]:
    from riskscore.analysis.whatif import sensitivity

    return sensitivity(profile, assessment, config, rubrics)


QUALITY_LABELS = {
    "segments": "Segments add up",
    "growth": "Stated growth",
    "cumulative": "Cumulative figure",
    "stated_margin": "Stated margin",
    "restatement": "Restatement",
    "disagreement": "Sources disagree",
}


def _scenario_line(outcome) -> str:  # type: ignore[no-untyped-def]
    headline = next(s for s in outcome.result.scenarios if s.headline)
    others = "; ".join(f"{s.label}: {s.score:.1f} ({s.band})" for s in outcome.result.scenarios if not s.headline)
    return f"{outcome.title} uses the “{headline.label}” scenario, {headline.score:.1f} ({headline.band}); {others}."


def _observed(obs) -> str:  # type: ignore[no-untyped-def]
    return f"{obs.value} ({obs.source_kind}{', filing ' + obs.filing if obs.filing else ''})"


def _title(assessment: "Assessment", rubric_id: str) -> str:
    return next((o.title for o in assessment.rubrics if o.id == rubric_id), rubric_id)


def _section(o: "RubricOutcome", cls: type["Rubric"] | None, cite) -> RubricSection:  # type: ignore[no-untyped-def]
    result = o.result
    metrics = []
    # A weight column only means something when the rubric weighs its metrics differently.
    weighted = bool(result) and len({m.weight for m in result.metrics}) > 1  # type: ignore[union-attr]
    for m in result.metrics if result else []:
        if m.display is not None:
            shown = m.display
        elif m.value is None:
            shown = "not on file"
        elif m.unit == "%":
            shown = f"{m.value:.1f}%"
        elif m.unit == "years":
            shown = f"{m.value:g} years"
        else:
            shown = f"{m.value:g} {m.unit}".strip()
        if m.grid:
            grid = m.grid.describe(m.unit) if m.unit in ("%", "×") else m.grid.describe() + (f" ({m.unit})" if m.unit else "")
        else:
            grid = m.note or ""
        metrics.append(MetricRow(m.label, shown, m.period or "", grid, _num(m.score), f"{m.weight:g}" if weighted else "—"))
    return RubricSection(
        id=o.id, title=o.title, version=o.version, status=o.status,
        score=_num(o.score), band=o.band or "Not scored",
        weight=f"{100 * o.weight:.1f}%", configured_weight=f"{o.configured_weight:g}",
        score_value=round(o.score, 1) if o.score is not None and o.status != "error" else None, weight_pct=round(100 * o.weight, 1),
        contribution=_num(o.contribution), coverage=f"{100 * o.coverage:.0f}%",
        description=cls.description() if cls else "", method=cls.method() if cls else "",
        narrative=result.narrative if result else "",
        error=o.error,
        metrics=metrics,
        adjustments=[f"{a.label}: {a.points:+g}" for a in (result.adjustments if result else [])],
        evidence=[cite(e.statement, e.sources) for e in (result.evidence if result else [])],
        red_flags=[cite(f"{f.title}: {f.detail}", f.sources) for f in (result.red_flags if result else [])],
        data_gaps=[f"{g.field}: {g.reason}" for g in (result.data_gaps if result else [])],
        scenarios=[(s.label, _num(s.score), s.band, s.headline, s.note or "") for s in (result.scenarios if result else [])],
    )


def _key_metrics(profile: Profile) -> list[KeyMetric]:
    """Revenue, gross margin, largest-customer share and adjusted result across periods."""
    unit = profile.presentation_unit

    def money(get) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        return [(p.id, round(o.base / unit.factor, 4)) for p, o in facts.series(profile, get) if o.unit.currency == unit.currency]  # type: ignore[union-attr]

    def pct(get) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        return [(p.id, o.value) for p, o in facts.series(profile, get)]  # type: ignore[union-attr]

    core_name = _largest_segment(profile)

    def core_margin(period: Period):  # type: ignore[no-untyped-def]
        return next((s.gross_margin for s in period.segments if s.name == core_name and not s.parent), None)

    margin_series = [("Consolidated", pct(lambda p: p.gross_margin))]
    if core_name:
        margin_series.append((core_name, pct(core_margin)))
    return [
        KeyMetric(f"Revenue ({unit})", "", "bar", [("Revenue", money(lambda p: p.revenue))]),
        KeyMetric("Gross margin", "%", "line", margin_series),
        KeyMetric("Largest customer share of revenue", "%", "line", [("Largest customer", pct(lambda p: p.customers.largest_share if p.customers else None))]),
        KeyMetric(f"Adjusted net result ({unit})", "", "bar", [("Adjusted net result", money(lambda p: p.adjusted_net_profit))]),
    ]


def _largest_segment(profile: Profile) -> str | None:
    for period in reversed(profile.periods_by_end()):
        shares = sorted(facts.revenue_share(profile, period), key=lambda s: (-s[1], s[0]))
        if shares:
            return shares[0][0]
    return None


