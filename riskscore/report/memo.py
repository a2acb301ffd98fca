"""The memo model: everything a memo shows, computed once, rendered to Markdown and HTML.

Templates only lay out what this module decides, so the two formats never disagree.
Nothing here reads the clock: the same inputs give byte-identical memos.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from riskscore.profile.listing import stage
from riskscore.profile.model import MoneyFigure, MoneyObservation, PercentFigure, PercentObservation, Period, Profile
from riskscore.profile.quality import check_profile
from riskscore.report import format as fmt
from riskscore.report.i18n import Message, Text, Value, metric_text
from riskscore.report.i18n import text as _text  # a profile text that may be missing
from riskscore.scoring import facts

if TYPE_CHECKING:
    from riskscore.analysis.peers import Peer, Precedent, Rank
    from riskscore.analysis.trend import Trend
    from riskscore.analysis.whatif import Crossing, Sensitivity
    from riskscore.scoring.config import Config
    from riskscore.scoring.contract import Rubric, Scenario
    from riskscore.scoring.engine import Assessment, ObservationReport, RubricOutcome
    from riskscore.scoring.scale import Grid


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
    lang_code: str = "en"  # the source's language as a code (``zh``): the ``lang`` of its quotes


@dataclass(frozen=True)
class QuoteNote:
    """A verbatim quote behind an evidence line: footnote number, the source's number, the quote."""

    number: int
    source: int
    text: str


@dataclass(frozen=True)
class Cited:
    text: str
    refs: tuple[int, ...]
    quotes: tuple[QuoteNote, ...] = ()
    unverified: bool = False


@dataclass(frozen=True)
class FilingRow:
    date: str
    exchange: str
    status: str      # the status, then the stage reached from the milestones (riskscore.profile.listing)
    periods: str
    note: str


@dataclass(frozen=True)
class Driver:
    title: str
    contribution: str  # score points
    share: str         # of the indicated score


@dataclass(frozen=True)
class MetricRow:
    label: str
    value: str
    period: str
    grid: str
    score: str
    weight: str


@dataclass(frozen=True)
class ScenarioRow:
    label: str
    score: str
    band: str
    headline: bool
    note: str


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
    scenarios: list[ScenarioRow]


@dataclass(frozen=True)
class KeyMetric:
    title: str
    unit: str
    kind: str
    series: list[tuple[str, list[tuple[str, float]]]]  # (series name, [(period id, value)]): numbers, for the charts
    labels: list[list[str]] = field(default_factory=list)  # per series, each point's value as the key-financials table writes it


@dataclass(frozen=True)
class Conflict:
    field: str
    chosen: Cited
    others: list[Cited]


@dataclass(frozen=True)
class GapRow:
    rubric: str
    field: str
    reason: str


@dataclass(frozen=True)
class QualityRow:
    label: str
    field: str
    finding: Cited


@dataclass(frozen=True)
class Setting:
    name: str
    value: str


@dataclass(frozen=True)
class RankRow:
    """A percentile rank among peers: the texts for the table, the numbers for the chart."""

    label: str
    is_score: bool
    value: str
    percentile: str
    peers_with_data: int
    company_value: float | None
    peer_values: tuple[float, ...]


@dataclass(frozen=True)
class PrecedentRow:
    company: str
    distance: str
    common: int
    adjusted: str  # "87.0 (Severe)", with the precedent's confidence when it is not sufficient
    outcome: str
    compared: str = ""  # titles of the rubrics both were scored on


@dataclass(frozen=True)
class SensitivityRow:
    title: str
    path: str
    current: str
    band: str
    down: str  # "below 50.0% → High", or "no band change in range"
    up: str


@dataclass(frozen=True)
class FinancialRow:
    """One line of the key-financials table: a figure across the periods on file."""

    label: str
    values: list[str]        # one per key period; "—" when the period does not report it
    refs: tuple[int, ...]    # the sources of the values shown


@dataclass(frozen=True)
class EdgeRow:
    """What would change the verdict: one edge of the headline's band."""

    edge: str      # "Severe, 80 and above"
    distance: str  # "0.1 up"
    figure: str    # the figure that moves, by the metric it feeds: "Margin: core segment gross margin (AI medical services), 2025H1"
    path: str      # its profile path ("" when none): `riskscore whatif --set PATH=VALUE` moves it
    now: str       # "3.3%"
    to: str        # "2.7% or less (down 0.6 pp)"
    after: str     # the headline then: "80.0 (Severe)"
    none: str = "" # why no single figure crosses the edge (the other fields then empty)


@dataclass
class Memo:
    company: str
    company_zh: str | None
    profile_id: str
    as_of: str
    domicile: str | None
    sector: str | None
    presentation_unit: str
    filings: list[FilingRow]
    adjusted_score: str
    adjusted_band: str
    indicated_score: str
    indicated_band: str
    floor_note: str | None
    coverage: str
    missing_data_policy: str
    drivers: list[Driver]
    red_flags: list[Cited]
    rubrics: list[RubricSection]
    conflicts: list[Conflict]
    data_gaps: list[GapRow]
    quality: list[QualityRow]
    scenarios: list[str]  # one line per rubric with scenarios: which one the headline uses
    methodology_version: str
    config_files: list[str]
    engine_settings: list[Setting]
    sources: list[SourceRef]
    notes: list[str]
    key_metrics: list[KeyMetric]
    period_order: list[str]
    sensitivity: list[SensitivityRow] = field(default_factory=list)  # when asked for
    peer_set: str | None = None
    peer_count: int = 0
    peer_ranks: list[RankRow] = field(default_factory=list)
    precedents: list[PrecedentRow] = field(default_factory=list)
    peer_names: list[str] = field(default_factory=list)
    calibration: str | None = None                        # the probability, with what it rests on
    precedents_asked: int = 0
    failed: list[str] = field(default_factory=list)
    confidence: str = "sufficient"
    confidence_reasons: list[str] = field(default_factory=list)
    score_range: str = ""                                 # "21.5–76.5 (Moderate to High)"
    range_note: str = ""                                  # what the range means for this company
    missing: list[tuple[str, str]] = field(default_factory=list)  # unscored rubric title, the facts that would fill it
    other_policy: str = ""                                # what the other missing-data policy gives
    calibration_skill: bool = True                        # False: the calibration line gives the base rate, not a probability
    peer_notes: list[str] = field(default_factory=list)   # what the peer comparison cannot say, said first
    percentile_min_peers: int = 1
    precedent_min_rubrics: int = 1
    no_precedent: str = ""                                # why no peer is a precedent
    plugin_failures: list[str] = field(default_factory=list)  # rubric plugins that failed to load: "name (origin): error"
    quotes: list[QuoteNote] = field(default_factory=list)  # every quote an evidence line links, in order of first use
    summary: str = ""                                     # the verdict and the reasons that carry it, in one paragraph
    key_periods: list[str] = field(default_factory=list)  # the key-financials table's columns
    key_financials: list[FinancialRow] = field(default_factory=list)
    financials_note: str = ""
    verdict_distance: str = ""                            # how far the headline sits from its band's edges
    verdict_edges: list[EdgeRow] = field(default_factory=list)
    paper: str = "a4"                                     # the printed page: "a4" or "letter"


def build_memo(profile: Profile, assessment: Assessment, config: Config, rubrics: Sequence[type[Rubric]], sensitivity: bool = False,
               peers: Sequence[Peer] | None = None, peer_set: str | None = None, precedents: int = 3,
               calibration: dict[str, Any] | None = None, paper: str | None = None) -> Memo:
    numbers = {src.id: i for i, src in enumerate(profile.sources, start=1)}
    notes: dict[tuple[int, str], QuoteNote] = {}

    def cite(text: str, source_ids: Iterable[str], citations: Iterable[Any] = ()) -> Cited:
        quotes = []
        for c in citations:
            if c.quote and c.source in numbers:
                key = (numbers[c.source], c.quote)
                note = notes.setdefault(key, QuoteNote(len(notes) + 1, *key))
                if note not in quotes:
                    quotes.append(note)
        return Cited(text, tuple(sorted({numbers[s] for s in source_ids if s in numbers})), tuple(quotes),
                     any(c.unverified for c in citations))

    unit = profile.presentation_unit

    classes = {r.id: r for r in rubrics}
    sections = [_section(o, classes.get(o.id), cite) for o in assessment.rubrics]
    total = sum(o.contribution for o in assessment.rubrics) or 1.0
    drivers = [
        Driver(rubric_title(o.id, o.title), fmt.score(o.contribution), fmt.percent(100 * o.contribution / total, 0))
        for o in sorted(assessment.rubrics, key=lambda o: (-o.contribution, o.id))
        if o.status == "scored"
    ][:3]
    floor_note = None
    if assessment.floor_applied is not None:
        floor_note = Message("memo.floor_applied", "Red flags floor the score at {floor:plain}; the indicated score was {indicated:score}.",
                             floor=assessment.floor_applied, indicated=assessment.indicated_score)
    elif assessment.red_flags:
        floor_note = Message("memo.floor_below", "Red flags set a floor of {floor:plain}, below the indicated score, so the score stands.",
                             floor=max(f.floor for f in assessment.red_flags))

    conflicts = []
    for c in assessment.conflicts:
        chosen = cite(_observed(c.chosen), [c.chosen.source])
        others = [cite(Message("memo.observed_note", "{observed} — {note}", observed=_observed(o), note=Text(o.note)) if o.note else _observed(o), [o.source])
                  for o in c.others]
        conflicts.append(Conflict(c.field, chosen, others))

    floors = "".join(f"; {k}: {fmt.plain(v)}" for k, v in sorted(config.engine.red_flag_floors.items()))
    return Memo(
        company=profile.company.name,
        company_zh=profile.company.name_zh,
        profile_id=profile.id,
        as_of=Value.date(profile.as_of.isoformat()),
        domicile=_text(profile.company.domicile),
        sector=_text(profile.company.sector),
        presentation_unit=Value("unit", str(unit)),
        filings=[FilingRow(Value.date(f.known_date), f.exchange, stage(profile, f).describe(), Value.join([Value.period(p) for p in f.periods_reported]),
                           _text(f.note) or "")
                 for f in sorted(profile.filings, key=lambda f: f.known_date.start)],
        adjusted_score=fmt.score(assessment.adjusted_score),
        adjusted_band=Value.band(assessment.adjusted_band),
        indicated_score=fmt.score(assessment.indicated_score),
        indicated_band=Value.band(assessment.indicated_band),
        floor_note=floor_note,
        coverage=fmt.share(assessment.coverage),
        missing_data_policy=Value.term("policy", assessment.missing_data_policy),
        drivers=drivers,
        red_flags=[cite(Message("memo.red_flag", "{title} ({rubric}): {detail}", title=f.title, rubric=_title(assessment, f.rubric), detail=f.detail), f.sources)
                   for f in assessment.red_flags],
        rubrics=sections,
        conflicts=conflicts,
        data_gaps=[GapRow(_title(assessment, g.rubric), g.field, g.reason) for g in assessment.data_gaps],
        quality=[QualityRow(QUALITY_LABELS[f.check], f.field, cite(f.message, f.sources)) for f in check_profile(profile)],
        scenarios=[_scenario_line(rubric_title(o.id, o.title), o.result.scenarios) for o in assessment.rubrics if o.result and o.result.scenarios],
        methodology_version=assessment.methodology_version,
        config_files=list(config.files),
        engine_settings=[
            Setting(Message("memo.setting.missing_data", "Missing data"),
                    Message("memo.setting.neutral", "{policy} (neutral score {score:plain})", policy=Value.term("policy", config.engine.missing_data),
                            score=config.engine.neutral_score)
                    if config.engine.missing_data == "neutral" else Value.term("policy", config.engine.missing_data)),
            Setting(Message("memo.setting.floor", "Red-flag floor"), fmt.plain(config.engine.red_flag_floor) + floors),
            Setting(Message("memo.setting.confidence", "Confidence"),
                    Message("memo.setting.confidence_unverified", "insufficient below {insufficient:share} of the weight backed by evidence; "
                            "provisional below {provisional:share}, or when the score range spans more than {bands} band(s), or when a scored "
                            "rubric's evidence includes facts marked unverified; sufficient otherwise",
                            insufficient=config.engine.insufficient_coverage, provisional=config.engine.provisional_coverage,
                            bands=config.engine.provisional_max_bands)),
            Setting(Message("memo.setting.ranking", "Source ranking"),
                    Message("memo.setting.ranking_primary", "by the primary document: a figure quoted from a filing ranks as that filing (a prospectus), "
                            "else as its source's kind (prospectus > regulator, exchange > research > media); then the document itself before a source "
                            "quoting it; verified before unverified; then the newer filing, the newer source, the more precise figure. "
                            "Superseded figures (an amendment or a correction) never win")),
        ],
        sources=[SourceRef(numbers[s.id], s.id, _text(s.title) or "", _text(s.publisher) or "", Value.date(s.date), Value.term("source_kind", s.kind),
                           Value.term("language", s.language), s.file, s.url, _text(s.note), s.language) for s in profile.sources],
        notes=[Text(n) for n in profile.notes],
        key_metrics=_key_metrics(profile),
        period_order=[p.id for p in profile.periods_by_end()],
        sensitivity=_sensitivity(profile, assessment, config, rubrics) if sensitivity else [],
        **_peer_fields(assessment, peers, peer_set, precedents, config),
        calibration=_calibration_line(calibration, assessment) if calibration else None,
        failed=[f"{o.title}: {o.error}" for o in assessment.failed],
        **_honesty_fields(assessment, config),
        calibration_skill=_calibration_skill(calibration) if calibration else False,
        plugin_failures=[f"{f.name} ({f.origin}): {f.error}" for f in assessment.plugin_failures],
        quotes=list(notes.values()),
        summary=_summary(profile, assessment),
        **_key_financials(profile, cite),
        **_verdict_change(profile, assessment, config, rubrics),
        paper=paper or config.memo.paper,
    )


@functools.lru_cache(maxsize=1024)
def rubric_title(rubric_id: str, title: str) -> Message:
    """A rubric's title as a message (``<id>.title``), so that a catalogue can translate it.

    Made once per process for each title (a memo names each rubric some twenty times, and
    every memo of a run names the same rubrics); a message is immutable, so one can be shared."""
    return Message(f"{rubric_id}.title", _literal(title))


def _titled(title: str, ids: Mapping[str, str]) -> str:
    """A rubric the analysis names by its title, as its title message when ``ids`` (title -> id) knows it."""
    return rubric_title(ids[title], title) if title in ids else title


def _reason(o: RubricOutcome) -> str:
    """A rubric's score with the metric that weighs most in it: ``Margin, 77.4 (High): core segment gross margin 3.3% (2025H1)``."""
    head = dict(title=rubric_title(o.id, o.title), score=o.score, band=Value.band(o.band))
    metrics = [m for m in (o.result.metrics if o.result else []) if m.score is not None and m.weight]
    if not metrics:
        return Message("memo.summary.reason", "{title}, {score:score} ({band})", **head)
    m = max(metrics, key=lambda m: m.weight * (m.score or 0.0))
    if m.period:
        return Message("memo.summary.reason_metric_period", "{title}, {score:score} ({band}): {label} {value} ({period:period})", **head,
                       label=Value.lower_first(m.label), value=metric_text(m), period=m.period)
    return Message("memo.summary.reason_metric", "{title}, {score:score} ({band}): {label} {value}", **head,
                   label=Value.lower_first(m.label), value=metric_text(m))


_CARRY = {
    1: ("memo.summary.carry_one", "One rubric carries {share:share} of the score: {reasons}."),
    2: ("memo.summary.carry_two", "Two rubrics carry {share:share} of the score: {reasons}."),
    3: ("memo.summary.carry_three", "Three rubrics carry {share:share} of the score: {reasons}."),
}


def _summary(profile: Profile, assessment: Assessment) -> str:
    """The verdict, the three rubrics that carry it with the figure behind each, and the red flags, in one paragraph."""
    name = Text(profile.company.name, profile.company.name_zh)
    if assessment.adjusted_score is None:
        return Message("memo.summary.not_rated", "{name} is not rated: no rubric could score the profile.", name=name)
    if assessment.confidence == "insufficient":
        opening = Message("memo.summary.insufficient", "{name} is not rated: only {coverage:share} of the weight backed by evidence, too little to rate. "
                          "The provisional score is {score:score} ({band}).", name=name, coverage=assessment.coverage,
                          score=assessment.adjusted_score, band=Value.band(assessment.adjusted_band))
    else:
        opening = Message("memo.summary.rated", "{name} is rated {band} risk, {score:score} of 100, with {confidence} confidence "
                          "({coverage:share} of the weight backed by evidence).", name=name, band=Value.band(assessment.adjusted_band),
                          score=assessment.adjusted_score, confidence=Value.term("confidence", assessment.confidence), coverage=assessment.coverage)
    scored = sorted((o for o in assessment.rubrics if o.status == "scored"), key=lambda o: (-o.contribution, o.id))[:3]
    total = sum(o.contribution for o in assessment.rubrics) or 1.0
    parts: list[str] = [opening]
    if scored:
        carry = sum(o.contribution for o in scored) / total
        parts.append(Message(*_CARRY[len(scored)], share=carry, reasons=Value.join([_reason(o) for o in scored], "; ")))
    flags = assessment.red_flags
    if flags:
        floor = max(f.floor for f in flags)
        titles = Value.join(list({str(f.title): Value.lower_first(f.title, always=True) for f in flags}.values()), "; ")
        lifted = assessment.floor_applied is not None
        if len(flags) == 1:
            parts.append(Message("memo.summary.flag_lifts", "One red flag is raised ({titles}); it lifts the score from the indicated {indicated:score} "
                                 "to a floor of {floor:plain}.", titles=titles, indicated=assessment.indicated_score, floor=floor) if lifted else
                         Message("memo.summary.flag_sets", "One red flag is raised ({titles}); it sets a floor of {floor:plain}, below the score.",
                                 titles=titles, floor=floor))
        else:
            count = {2: Message("memo.count.two", "Two"), 3: Message("memo.count.three", "Three")}.get(len(flags), str(len(flags)))
            parts.append(Message("memo.summary.flags_lift", "{count} red flags are raised ({titles}); they lift the score from the indicated "
                                 "{indicated:score} to a floor of {floor:plain}.", count=count, titles=titles, indicated=assessment.indicated_score,
                                 floor=floor) if lifted else
                         Message("memo.summary.flags_set", "{count} red flags are raised ({titles}); they set a floor of {floor:plain}, below the score.",
                                 count=count, titles=titles, floor=floor))
    else:
        parts.append(Message("memo.summary.no_flag", "No red flag is raised."))
    return Value.join(parts, " ")


_FINANCIALS: tuple[tuple[Message, str, bool], ...] = (  # (label, period field, money)
    (Message("memo.financials.revenue", "Revenue"), "revenue", True),
    (Message("memo.financials.revenue_growth", "Revenue growth, year on year"), "revenue_growth", False),
    (Message("memo.financials.gross_margin", "Gross margin"), "gross_margin", False),
    (Message("memo.financials.adjusted_net_profit", "Adjusted (non-IFRS) net result"), "adjusted_net_profit", True),
    (Message("memo.financials.net_profit", "IFRS net result"), "net_profit", True),
    (Message("memo.financials.operating_cash_flow", "Operating cash flow"), "operating_cash_flow", True),
    (Message("memo.financials.cash", "Cash at period end"), "cash", True),
)
DERIVED_MARK = "†"


def _year_before(period_id: str) -> str:
    """The period a year earlier: ``FY2024`` -> ``FY2023``, ``2025H1`` -> ``2024H1``."""
    import re

    return re.sub(r"\d{4}", lambda m: str(int(m.group()) - 1), period_id, count=1)


class _Financials(TypedDict):
    key_periods: list[str]
    key_financials: list[FinancialRow]
    financials_note: str


def _key_financials(profile: Profile, cite: Callable[..., Cited]) -> _Financials:
    """The key figures per period, as the engine's source ranking chose them (:func:`evidence.value`).

    Growth and gross margin the sources do not state are computed (revenue over the same
    period a year earlier; gross profit over revenue) and marked.
    """
    from riskscore.profile import evidence as ev

    unit = profile.presentation_unit
    periods = profile.periods_by_end()
    by_id = {p.id: p for p in periods}
    derived = False
    rows: list[tuple[str, dict[str, str], list[str]]] = []
    for label, name, is_money in _FINANCIALS:
        values: dict[str, str] = {}
        sources: list[str] = []
        for p in periods:
            obs = ev.value(profile, getattr(p, name))
            if obs is not None:
                values[p.id] = Value.cell(obs, unit)
                sources.append(obs.source)
                continue
            pair = None
            if name == "revenue_growth" and _year_before(p.id) in by_id:
                pair = (ev.value(profile, p.revenue), ev.value(profile, by_id[_year_before(p.id)].revenue), -100.0)
            elif name == "gross_margin":
                pair = (ev.value(profile, p.gross_profit), ev.value(profile, p.revenue), 0.0)
            if pair and pair[0] is not None and pair[1] is not None:
                ratio = facts.ratio_pct(pair[0], pair[1])
                if ratio is not None:
                    values[p.id] = fmt.percent(ratio + pair[2]) + DERIVED_MARK
                    sources += [pair[0].source, pair[1].source]
                    derived = True
        if values:
            rows.append((Message("memo.financials.with_unit", "{label} ({unit})", label=label, unit=Value("unit", str(unit))) if is_money else label,
                         values, sources))
    shown = [p.id for p in periods if any(p.id in v for _, v, _ in rows)]
    table = [FinancialRow(label, [v.get(pid, fmt.MISSING) for pid in shown], cite("", srcs).refs) for label, v, srcs in rows]
    note = Message("memo.financials.note", "{mark} computed here (growth from revenue a year earlier; gross margin from gross profit over revenue); "
                   "the other figures as the highest-ranked source states them.", mark=DERIVED_MARK) if derived else ""
    return {"key_periods": [Value.period(pid) for pid in shown], "key_financials": table, "financials_note": note}


class _VerdictFields(TypedDict):
    verdict_distance: str
    verdict_edges: list[EdgeRow]


def _verdict_change(profile: Profile, assessment: Assessment, config: Config, rubrics: Sequence[type[Rubric]]) -> _VerdictFields:
    """How far the headline sits from its band's edges, and the smallest change in one figure that crosses each."""
    from riskscore.analysis.whatif import verdict_change

    empty: _VerdictFields = {"verdict_distance": "", "verdict_edges": []}
    if assessment.confidence == "insufficient":
        return empty
    found = verdict_change(profile, assessment, config, list(rubrics))
    if found is None or not found.edges:
        return empty

    ids = {o.title: o.id for o in assessment.rubrics}  # the analysis names rubrics by title

    rows, distances = [], []
    for e in found.edges:
        up = e.direction == "up"
        band = Value.band(e.band)
        edge = (Message("memo.verdict.edge_up", "{band}, {edge:plain} and above", band=band, edge=e.edge) if up
                else Message("memo.verdict.edge_down", "{band}, below {edge:plain}", band=band, edge=e.edge))
        distances.append(Message("memo.verdict.below", "{distance:score} points below {band} ({edge:plain})", distance=e.distance, band=band, edge=e.edge)
                         if up else
                         Message("memo.verdict.above", "{distance:score} points above {band} (below {edge:plain})", distance=e.distance, band=band, edge=e.edge))
        distance = (Message("memo.verdict.up", "{distance:score} up", distance=e.distance) if up
                    else Message("memo.verdict.down", "{distance:score} down", distance=e.distance))
        if e.move is not None:
            m = e.move
            moved = m.crossing - m.current
            by = Value.pp(abs(moved)) if m.unit == "%" else fmt.percent(100 * abs(moved) / abs(m.current))
            label = Value.lower_first(m.metric)
            figure = (Message("memo.verdict.figure_period", "{rubric}: {label}, {period:period}", rubric=_titled(m.rubric, ids), label=label, period=m.period)
                      if m.period else Message("memo.verdict.figure", "{rubric}: {label}", rubric=_titled(m.rubric, ids), label=label))
            to = (Message("memo.verdict.to_more", "{amount} or more (up {by})", amount=_amount(m.crossing, m.unit, m.shown_decimals), by=by) if moved > 0
                  else Message("memo.verdict.to_less", "{amount} or less (down {by})", amount=_amount(m.crossing, m.unit, m.shown_decimals), by=by))
            rows.append(EdgeRow(edge, distance, figure, m.path, Value.bounded(_amount(m.current, m.unit, m.decimals), m.bound), to,
                                Message("memo.verdict.after", "{score:score} ({band})", score=m.score_after, band=Value.band(m.band_after))))
        elif e.held_by:
            held = [_titled(t, ids) for t in e.held_by]
            holders = Message("memo.and", "{first} and {last}", first=Value.join(held[:-1]), last=held[-1]) if len(held) > 1 else held[0]
            rows.append(EdgeRow(edge, distance, "", "", "", "", "", Message(
                "memo.verdict.held", "No single figure: red flags from {holders} hold the score at {floor:plain} or more, and no one figure clears them all.",
                holders=holders, floor=e.floor or 0)))
        else:
            rows.append(EdgeRow(edge, distance, "", "", "", "", "", Message(
                "memo.verdict.none", "No single figure found: none of the figures behind the most heavily weighted metrics, moved alone within its range, "
                "carries the score across.")))
    text = Message("memo.verdict.distance", "The headline, {score:score} ({band}), sits {distances}.", score=found.score, band=Value.band(found.band),
                   distances=Value.join(distances, " and "))
    return {"verdict_distance": text, "verdict_edges": rows}


def _amount(value: float, unit: str, decimals: int) -> str:
    """A figure the analysis moves, in its unit: a percentage, else money (``Value.money``)."""
    return fmt.percent(value, decimals) if unit == "%" else Value.money(value, unit, decimals)


def _percentile_text(r: Rank) -> str:
    """The percentile, or the peers' own values where too few peers have the figure for one."""
    if r.percentile is not None:
        return fmt.number(r.percentile, 0)
    if not (r.too_few and r.peers_with_data):
        return fmt.MISSING

    def shown(v: float) -> str:  # as Rank.peer_values_text writes them, in the document's language
        if r.kind == "score":
            return fmt.score(v)
        return fmt.percent(v) if r.unit == "%" else Message("memo.ratio", "{value:ratio}", value=v) if r.unit == "×" else fmt.plain(v)

    return Message("memo.peers.values", "peers: {values}", values=Value.join([shown(v) for v in sorted(r.peer_values)]))


def _rank_label(r: Rank, ids: Mapping[str, str]) -> str:
    """A rank's label as a message: a rubric's title (``<id>.title``) or a key metric (``peers.metric.<label>``)."""
    from riskscore.analysis.peers import KEY_METRICS

    if r.kind == "score":
        return _titled(r.label, ids)
    metric = next((m for _, m, label in KEY_METRICS if label == r.label), None)
    return Message(f"peers.metric.{metric}", _literal(r.label)) if metric else r.label


def rank_rows(ranks: Sequence[Rank], ids: Mapping[str, str] | None = None) -> list[RankRow]:
    """Percentile ranks (:func:`riskscore.analysis.peers.ranks`) as table rows; ``ids`` maps rubric titles to ids (for their translations)."""
    return [RankRow(_rank_label(r, ids or {}), r.kind == "score", r.value, _percentile_text(r), r.peers_with_data, r.company_value, r.peer_values)
            for r in ranks]


class _PeerFields(TypedDict, total=False):
    peer_set: str | None
    peer_count: int
    peer_ranks: list[RankRow]
    precedents: list[PrecedentRow]
    peer_names: list[str]
    precedents_asked: int
    peer_notes: list[str]
    no_precedent: str


class _HonestyFields(TypedDict):
    confidence: str
    confidence_reasons: list[str]
    score_range: str
    range_note: str
    missing: list[tuple[str, str]]
    other_policy: str
    percentile_min_peers: int
    precedent_min_rubrics: int


def _honesty_fields(assessment: Assessment, config: Config) -> _HonestyFields:
    """Score range, confidence, the rubrics not scored with the facts that would fill them, and the other policy."""
    r = assessment.score_range
    shown: str = (fmt.MISSING if r.low is None or r.high is None else
                  Message("memo.range", "{low:score}–{high:score} ({bands})", low=r.low, high=r.high,
                          bands=Value.join([Value.band(b) for b in dict.fromkeys([r.bands[0], r.bands[-1]])], " to ")))
    titles = {o.id: rubric_title(o.id, o.title) for o in assessment.rubrics}
    if r.unscored:
        note = Message("memo.range_note", "the adjusted score could be anywhere in {range} if the {count} rubric(s) not scored "
                       "({titles}) scored anywhere from 0 to 100 at their configured weights", range=shown, count=len(r.unscored),
                       titles=Value.join([titles[i] for i in r.unscored]))
    else:
        note = Message("memo.range_note_all", "{range}: every rubric scored, so the range is the score itself (figures missing inside a rubric show "
                       "in its coverage, not here)", range=shown)
    gaps: dict[str, list[str]] = {}
    for g in assessment.data_gaps:
        gaps.setdefault(g.rubric, []).append(Message("memo.gap_line", "{field} — {reason}", field=g.field, reason=_unstopped(g.reason))
                                             if g.field else _unstopped(g.reason))
    alt = assessment.other_policy
    policy = Value.term("policy", alt.missing_data_policy)
    if alt.adjusted_score == assessment.adjusted_score:
        other = Message("memo.other_policy_same", "The {policy} missing-data policy gives the same score, {score:score}.", policy=policy, score=alt.adjusted_score)
    else:
        how = (Message("memo.policy_how.neutral", "keeping each unscored rubric's weight at the neutral score") if alt.missing_data_policy == "neutral"
               else Message("memo.policy_how.reallocate", "spreading unscored rubrics' weight over the scored ones"))
        other = Message("memo.other_policy", "The {policy} missing-data policy ({how}) would give {score:score} ({band}) instead of {current:score}.",
                        policy=policy, how=how, score=alt.adjusted_score, band=Value.band(alt.adjusted_band, "not scored"),
                        current=assessment.adjusted_score)
    return {
        "confidence": assessment.confidence,
        "confidence_reasons": list(assessment.confidence_reasons),
        "score_range": shown,
        "range_note": note,
        "missing": [(titles[i], Message("memo.missing_facts", "{facts}.", facts=Value.join(
            gaps.get(i, [Message("memo.no_gap_recorded", "the rubric recorded no data gap")]), "; "))) for i in r.unscored],
        "other_policy": other,
        "percentile_min_peers": config.memo.percentile_min_peers,
        "precedent_min_rubrics": config.memo.precedent_min_rubrics,
    }


def _peer_fields(assessment: Assessment, peers: Sequence[Peer] | None, peer_set: str | None, k: int, config: Config) -> _PeerFields:
    if not peers:
        return {}
    from riskscore.analysis import peers as pr

    min_common, min_peers = config.memo.precedent_min_rubrics, config.memo.percentile_min_peers
    found = pr.precedents(assessment, list(peers), k, min_common) if k else []
    notes: list[str] = []
    ids = {o.title: o.id for o in assessment.rubrics}
    uncovered, share, heaviest = pr.uncovered_heaviest(assessment, list(peers))
    if uncovered:
        names = dict(rubrics=Value.join([_titled(t, ids) for t in uncovered], " or "), share=share)
        if heaviest == 1:
            notes.append(Message("memo.peers.uncovered_heaviest", "No peer has a score for {rubrics}, the heaviest rubric of this company "
                                 "({share:share} of the configured weight): the comparison below says nothing about it.", **names))
        elif len(uncovered) == heaviest:
            notes.append(Message("memo.peers.uncovered_all", "No peer has a score for {rubrics}, all heaviest rubrics of this company "
                                 "({share:share} of the configured weight each): the comparison below says nothing about them.", **names))
        else:
            notes.append(Message("memo.peers.uncovered_some_one" if len(uncovered) == 1 else "memo.peers.uncovered_some",
                                 "No peer has a score for {rubrics}, {count} of the {heaviest} heaviest rubrics of this company "
                                 "({share:share} of the configured weight each): the comparison below says nothing about "
                                 + ("it." if len(uncovered) == 1 else "them."), **names, count=len(uncovered), heaviest=heaviest))
    titles = {o.id: rubric_title(o.id, o.title) for o in assessment.rubrics}
    by_id = {p.profile.id: p.profile for p in peers}

    def adjusted(p: Precedent) -> str:
        if not p.adjusted_band:
            return fmt.score(p.adjusted_score)
        if p.confidence and p.confidence != "sufficient":
            return Message("memo.peers.adjusted_confidence", "{score:score} ({band}, {confidence})", score=p.adjusted_score,
                           band=Value.band(p.adjusted_band), confidence=Value.term("confidence", p.confidence))
        return Message("memo.peers.adjusted", "{score:score} ({band})", score=p.adjusted_score, band=Value.band(p.adjusted_band))

    def company(profile: Profile) -> Text:
        return Text(profile.company.name, profile.company.name_zh)

    return {
        "peer_set": peer_set,
        "peer_count": len(peers),
        "peer_ranks": rank_rows(pr.ranks(assessment, list(peers), min_peers), ids),
        "precedents": [PrecedentRow(company(by_id[p.id]) if p.id in by_id else p.company, fmt.number(p.distance, 2), p.common, adjusted(p),
                                    _outcome(by_id[p.id]) if p.id in by_id else p.outcome, Value.join([titles.get(c, c) for c in p.compared]))
                       for p in found],
        "peer_names": list({p.profile.id: company(p.profile) for p in peers}.values()),
        "precedents_asked": k,
        "peer_notes": notes,
        "no_precedent": "" if found or not k else _no_precedent(assessment, list(peers), min_common),
    }


def _calibration_line(calibration: dict[str, Any], assessment: Any) -> str:
    from riskscore.analysis.calibration import calibration_line  # only memos with a calibration file pay for it

    return calibration_line(calibration, assessment)


def _outcome(profile: Profile) -> str:
    """What became of a peer's listing (:attr:`riskscore.analysis.peers.Peer.outcome_text`), as a message."""
    outcome = profile.outcome
    if outcome is None:
        return Message("memo.outcome.none", "not recorded")
    status = Value.term("outcome_status", outcome.status)
    parts: list[str] = [Message("memo.outcome.status_date", "{status} {date}", status=status, date=Value.date(outcome.date)) if outcome.date else status]
    if outcome.offer_price:  # each part brings its own separator: a space in English, a comma in Chinese
        parts.append(Message("memo.outcome.price", " at {price}", price=Text(outcome.offer_price)))
    if outcome.first_day_change is not None:
        parts.append(Message("memo.outcome.first_day", " {change} on day 1", change=fmt.percent(outcome.first_day_change, 2, sign=True)))
    return Value.join(parts, "")


def _no_precedent(assessment: Assessment, peers: Sequence[Peer], min_common: int) -> str:
    """Why no peer is a precedent (:func:`riskscore.analysis.peers.no_precedent_reason`), as a message."""
    mine = {o.id for o in assessment.rubrics if o.status == "scored"}
    if not peers:
        return Message("memo.peers.no_precedent_no_peers", "There is no comparable precedent on file: there are no peers.")
    shared = [(len(mine & {o.id for o in p.assessment.rubrics if o.status == "scored"}), p.profile.company.name,
               Text(p.profile.company.name, p.profile.company.name_zh)) for p in peers]
    most = max(n for n, _, _ in shared)
    who = [text for _, _, text in sorted((s for s in shared if s[0] == most), key=lambda s: s[1])]
    return Message("memo.peers.no_precedent", "There is no comparable precedent on file: a precedent needs at least {min} scored rubrics in common "
                   "with this company (memo.precedent_min_rubrics), and the most any peer shares is {most} ({who}); this company has {mine} scored.",
                   min=min_common, most=most, who=Value.join(who), mine=len(mine))


def _calibration_skill(calibration: dict[str, Any]) -> bool:
    return bool(calibration["validation"]["demonstrated_skill"])


def _sensitivity(profile: Profile, assessment: Assessment, config: Config, rubrics: Sequence[type[Rubric]]) -> list[SensitivityRow]:
    from riskscore.analysis.whatif import sensitivity

    def crossing(s: Sensitivity, c: Crossing | None, up: bool) -> str:
        # Thresholds to one decimal for a percentage, two for money: finer than any figure is written.
        if c is None:
            return Message("memo.sensitivity.no_change", "no band change in range")
        shown = dict(amount=_amount(c.value, s.unit, 1 if s.unit == "%" else 2), band=Value.band(c.band))
        return (Message("memo.sensitivity.above", "above {amount} → {band}", **shown) if up
                else Message("memo.sensitivity.below", "below {amount} → {band}", **shown))

    return [SensitivityRow(rubric_title(s.rubric, s.title), s.path, _amount(s.current, s.unit, s.decimals), Value.band(s.band), crossing(s, s.down, False),
                           crossing(s, s.up, True))
            for s in sensitivity(profile, assessment, config, list(rubrics))]


QUALITY_LABELS = {
    "segments": Message("quality.label.segments", "Segments add up"),
    "growth": Message("quality.label.growth", "Stated growth"),
    "cumulative": Message("quality.label.cumulative", "Cumulative figure"),
    "stated_margin": Message("quality.label.stated_margin", "Stated margin"),
    "stated_share": Message("quality.label.stated_share", "Stated share"),
    "concept": Message("quality.label.concept", "Same amount, two concepts"),
    "superseded": Message("quality.label.superseded", "Superseded"),
    "restatement": Message("quality.label.restatement", "Restatement"),
    "disagreement": Message("quality.label.disagreement", "Sources disagree"),
    "stale_review": Message("quality.label.stale_review", "Stale review"),
}


def _unstopped(text: str) -> str:
    """``text`` without its closing full stop (a Message keeps its structure: only its English loses the stop)."""
    if isinstance(text, Message) and text.default.endswith("."):
        return Message(text.id, text.default[:-1], **dict(text.params))  # a Chinese translation keeps its own punctuation
    return text.rstrip(".")


def _scenario_line(title: str, scenarios: Sequence[Scenario]) -> str:
    headline = next(s for s in scenarios if s.headline)
    others = Value.join([Message("memo.scenario_other", "{label}: {score:score} ({band})", label=s.label, score=s.score, band=Value.band(s.band))
                         for s in scenarios if not s.headline], "; ")
    return Message("memo.scenario_line", "{title} uses the “{label}” scenario, {score:score} ({band}); {others}.", title=title, label=headline.label,
                   score=headline.score, band=Value.band(headline.band), others=others)


def _observed(obs: ObservationReport) -> str:
    if obs.filing:
        return Message("memo.observed_filing", "{value} ({kind}, filing {filing})", value=obs.display, kind=Value.term("source_kind", obs.source_kind),
                       filing=obs.filing)
    return Message("memo.observed", "{value} ({kind})", value=obs.display, kind=Value.term("source_kind", obs.source_kind))


def _title(assessment: Assessment, rubric_id: str) -> str:
    return next((rubric_title(o.id, o.title) for o in assessment.rubrics if o.id == rubric_id), rubric_id)


def _section(o: RubricOutcome, cls: type[Rubric] | None, cite: Callable[..., Cited]) -> RubricSection:
    result = o.result
    metrics = []
    # A weight column only means something when the rubric weighs its metrics differently.
    weighted = result is not None and len({m.weight for m in result.metrics}) > 1
    for m in result.metrics if result else []:
        grid = _grid_text(m.grid, m.unit) if m.grid else m.note or ""
        when = Value.period(m.period) if m.period else Value.date(m.date) if m.date else ""
        metrics.append(MetricRow(m.label, metric_text(m), when, grid, fmt.score(m.score), fmt.plain(m.weight) if weighted else fmt.MISSING))
    scored = o.score is not None and o.status != "error"
    return RubricSection(
        id=o.id, title=rubric_title(o.id, o.title), version=o.version, status=o.status,
        score=fmt.score(o.score), band=Value.band(o.band),
        weight=fmt.share(o.weight, 1), configured_weight=fmt.plain(o.configured_weight),
        score_value=o.score if scored else None, weight_pct=100 * o.weight,
        contribution=fmt.score(o.contribution), coverage=fmt.share(o.coverage),
        description=rubric_texts(cls, o.id)[0] if cls else "",
        method=rubric_texts(cls, o.id)[1] if cls else "",
        narrative=result.narrative if result else "",
        error=o.error,
        metrics=metrics,
        adjustments=[Message("memo.adjustment", "{label}: {points}", label=a.label, points=fmt.plain(a.points, sign=True))
                     for a in (result.adjustments if result else [])],
        evidence=[cite(e.statement, e.sources, e.citations) for e in (result.evidence if result else [])],
        red_flags=[cite(Message("memo.rubric_flag", "{title}: {detail}", title=f.title, detail=f.detail), f.sources) for f in (result.red_flags if result else [])],
        data_gaps=[Message("memo.rubric_gap", "{field}: {reason}", field=g.field, reason=g.reason) for g in (result.data_gaps if result else [])],
        scenarios=[ScenarioRow(s.label, fmt.score(s.score), Value.band(s.band), s.headline, s.note or "") for s in (result.scenarios if result else [])],
    )


@functools.lru_cache(maxsize=4096)
def _grid_text(grid: Grid, unit: str) -> str:
    """A metric's grid as its table shows it, made once per grid and unit: rubrics score every profile on the same grids
    (a grid is frozen, so hashable, and equal only to a grid of the same type and points)."""
    if unit in ("%", "×"):
        return grid.describe(unit)
    return Message("memo.grid_unit", "{grid} ({unit})", grid=grid.describe(), unit=unit) if unit else grid.describe()


_RUBRIC_TEXTS: dict[tuple[object, str], tuple[Message, Message]] = {}


def rubric_texts(cls: type[Rubric], rubric_id: str) -> tuple[Message, Message]:
    """A rubric's description and method as messages (``<id>.description``, ``<id>.method``), made once per
    rubric class (they come from its docstring)."""
    found = _RUBRIC_TEXTS.get((cls, rubric_id))
    if found is None:
        found = _RUBRIC_TEXTS[(cls, rubric_id)] = (Message(f"{rubric_id}.description", _literal(cls.description())),
                                                  Message(f"{rubric_id}.method", _literal(cls.method())))
    return found


def _literal(text: str) -> str:
    """``text`` as a message's English, braces kept literally."""
    return text.replace("{", "{{").replace("}", "}}")


def _key_metrics(profile: Profile) -> list[KeyMetric]:
    """Revenue, gross margin, largest-customer share and adjusted result across periods."""
    unit = profile.presentation_unit

    def money(get: Callable[[Period], MoneyFigure | None]) -> list[tuple[str, float, str]]:
        return [(p.id, o.base / unit.factor, Value.cell(o, unit)) for p, o in facts.series(profile, get)
                if isinstance(o, MoneyObservation) and o.unit.currency == unit.currency]

    def pct(get: Callable[[Period], PercentFigure | None]) -> list[tuple[str, float, str]]:
        return [(p.id, o.value, Value.cell(o, unit)) for p, o in facts.series(profile, get) if isinstance(o, PercentObservation)]

    def metric(title: str, unit_text: str, kind: str, series: list[tuple[str, list[tuple[str, float, str]]]]) -> KeyMetric:
        # The chart's value labels are the table's texts: one value, one text.
        return KeyMetric(title, unit_text, kind, [(name, [(pid, v) for pid, v, _ in pts]) for name, pts in series],
                         [[text for _, _, text in pts] for _, pts in series])

    core_name = _largest_segment(profile)

    def core_margin(period: Period) -> PercentFigure | None:
        return next((s.gross_margin for s in period.segments if s.name == core_name and not s.parent), None)

    margin_series: list[tuple[str, list[tuple[str, float, str]]]] = [(Message("memo.chart.consolidated", "Consolidated"), pct(lambda p: p.gross_margin))]
    if core_name:
        core_zh = next((s.name_zh for p in profile.periods for s in p.segments if s.name == core_name and s.name_zh), None)
        margin_series.append((Text(core_name, core_zh), pct(core_margin)))
    shown_unit = Value("unit", str(unit))
    return [
        metric(Message("memo.chart.revenue_unit", "Revenue ({unit})", unit=shown_unit), "", "bar",
               [(Message("memo.chart.revenue", "Revenue"), money(lambda p: p.revenue))]),
        metric(Message("memo.chart.gross_margin", "Gross margin"), "%", "line", margin_series),
        metric(Message("memo.chart.largest_customer_share", "Largest customer share of revenue"), "%", "line",
               [(Message("memo.chart.largest_customer", "Largest customer"), pct(lambda p: p.customers.largest_share if p.customers else None))]),
        metric(Message("memo.chart.adjusted_unit", "Adjusted net result ({unit})", unit=shown_unit), "", "bar",
               [(Message("memo.chart.adjusted", "Adjusted net result"), money(lambda p: p.adjusted_net_profit))]),
    ]


def _largest_segment(profile: Profile) -> str | None:
    for period in reversed(profile.periods_by_end()):
        shares = sorted(facts.revenue_share(profile, period), key=lambda s: (-s[1], s[0]))
        if shares:
            return shares[0][0]
    return None




# --------------------------------------------------------------------------- the trend memo


@dataclass(frozen=True)
class TrendPointRow:
    label: str
    date: str
    periods: str
    events: int
    indicated: str
    adjusted: str
    band: str


@dataclass(frozen=True)
class TrendScoreRow:
    title: str
    scores: list[str]  # one per point


@dataclass(frozen=True)
class MoveRow:
    title: str
    before: str
    after: str
    change: str
    reasons: list[str]


@dataclass(frozen=True)
class StepSection:
    start: str
    end: str
    adjusted_before: str
    adjusted_after: str
    band_before: str
    band_after: str
    new_periods: list[str]
    flags_appeared: list[str]
    flags_cleared: list[str]
    moves: list[MoveRow]


@dataclass(frozen=True)
class TrendQualityRow:
    check: str
    field: str
    message: str
    sources: list[str]


@dataclass
class TrendMemo:
    """The trend document: scores at each filing and why they moved, every number preformatted."""

    company: str
    company_zh: str | None
    profile_id: str
    points: list[TrendPointRow]
    dates: list[str]
    scores: list[TrendScoreRow]
    steps: list[StepSection]
    quality: list[TrendQualityRow]
    calibration: str | None = None  # the probability of failure at each point, with what it rests on
    peer_set: str | None = None
    peer_names: list[str] = field(default_factory=list)
    peer_ranks: list[RankRow] = field(default_factory=list)  # at the latest point


def build_trend_memo(trend: Trend) -> TrendMemo:
    """The trend document model from :func:`riskscore.analysis.trend.follow`'s result."""
    points = [
        TrendPointRow(p.label, p.date.isoformat(), p.periods_text, p.events, fmt.score(p.assessment.indicated_score),
                      fmt.score(p.assessment.adjusted_score), Value.band(p.assessment.adjusted_band) if p.assessment.adjusted_band else fmt.MISSING)
        for p in trend.points
    ]
    steps = [
        StepSection(
            s.start.label, s.end.label,
            fmt.score(s.start.assessment.adjusted_score), fmt.score(s.end.assessment.adjusted_score),
            Value.band(s.start.assessment.adjusted_band, "not scored"), Value.band(s.end.assessment.adjusted_band, "not scored"),
            [Value.period(p) for p in s.new_periods], list(s.flags_appeared), list(s.flags_cleared),
            [MoveRow(rubric_title(m.rubric, m.title), fmt.score(m.before), fmt.score(m.after), _change(m.before, m.after), list(m.reasons)) for m in s.moves],
        )
        for s in trend.steps
    ]
    return TrendMemo(
        company=trend.company,
        company_zh=trend.company_zh,
        profile_id=trend.profile_id,
        points=points,
        dates=[Value.date(p.date.isoformat()) for p in trend.points],
        scores=[TrendScoreRow(rubric_title(rid, title), [fmt.score(p.score_of(rid)) for p in trend.points]) for rid, title in trend.rubrics],
        steps=steps,
        quality=[TrendQualityRow(Message("trend.quality.check", "{check} ({severity})", check=Value.term("quality.check", f.check),
                                         severity=Value.term("quality.severity", f.severity)), f.field, f.message, list(f.sources)) for f in trend.quality],
        calibration=trend.calibration,
        peer_set=trend.peer_set,
        peer_names=list(trend.peer_names),
        peer_ranks=rank_rows(trend.peer_ranks, {title: rid for rid, title in trend.rubrics}),
    )


def _change(before: float | None, after: float | None) -> str:
    """A move in score, from the two scores themselves (never from a rounded difference)."""
    return fmt.delta(None if before is None or after is None else after - before)
