from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from riskscore.rubric import (
    DataGap,
    Evidence,
    GridParam,
    Message,
    Metric,
    MoneyObservation,
    PercentObservation,
    Period,
    Profile,
    Rubric,
    RubricParams,
    RubricResult,
    Text,
    Value,
    cited,
    path,
    ratio_pct,
    revenue_share,
    sources_of,
    value,
)

Observation = MoneyObservation | PercentObservation


class Margin(Rubric):
    """Gross margin of the company and of the segments that carry its revenue.

    Scores the consolidated gross margin of the latest period that reports it (stated, or
    gross profit over revenue) and the gross margin of the core segment(s) on one grid,
    `gross_margin_grid` (50% or more scores 0; 0% or less scores 100), as a weighted mean
    (`consolidated_weight`, `core_weight`). The core segments are the largest top-level
    segments of the latest period giving segment shares with margins, taken in order of revenue share until
    they carry `core_revenue_share` percent of revenue; their margins are averaged by share.
    Scoring the core separately catches the pattern where a consolidated margin is propped
    up by a shrinking high-margin segment while the business that is growing earns almost
    nothing. Any segment with a negative gross margin carrying `negative_margin_min_share`
    percent of revenue or more is reported as a finding.
    """

    id = "margin"
    title = "Margin"
    version = "1.0"
    default_weight = 15
    contract_version = 1
    red_flag_ids = ()

    class Params(RubricParams):
        gross_margin_grid: GridParam
        consolidated_weight: float = Field(ge=0, le=1_000_000)
        core_weight: float = Field(ge=0, le=1_000_000)
        core_revenue_share: float = Field(ge=0, le=100)
        negative_margin_min_share: float = Field(ge=0, le=100)

        @model_validator(mode="after")
        def _some_weight(self) -> Self:
            if self.consolidated_weight + self.core_weight == 0:
                raise ValueError("consolidated_weight and core_weight are both 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        grid = params.gross_margin_grid
        metrics, evidence, gaps = [], [], []

        consolidated = _consolidated_series(profile)
        if consolidated:
            period, margin, consolidated_obs = consolidated[-1]
            sources = sources_of(consolidated_obs)
            metrics.append(Metric(id="gross_margin", label=_CONSOLIDATED, value=margin, unit="%", period=period.id,
                                  grid=grid, score=round(grid.score(margin), 2), weight=params.consolidated_weight, sources=sources,
                                  path=path(period, "gross_margin") if period.gross_margin is not None else None))
            evidence.append(Evidence(statement=Message("margin.consolidated", "Consolidated gross margin was {margin:percent} in {period:period}.",
                                                       margin=margin, period=period.id), **cited(*consolidated_obs)))
        else:
            metrics.append(Metric(id="gross_margin", label=_CONSOLIDATED, value=None, unit="%", grid=grid, weight=params.consolidated_weight))
            gaps.append(DataGap(field="periods[*].gross_margin", reason=Message(
                "margin.gap.consolidated", "No period states a gross margin or gross profit with revenue.")))

        seg_period: Period | None = None
        core: list[tuple[str, float, float, list[Observation]]] = []
        for period in reversed(profile.periods_by_end()):
            core = _core_segments(profile, period, params.core_revenue_share)
            if core:
                seg_period = period
                break
        if seg_period is not None:  # set exactly when `core` is non-empty (the loop breaks then)
            share_total = sum(share for _, share, _, _ in core)
            core_margin = sum(share * m for _, share, m, _ in core) / share_total
            zh = _names_zh(profile)
            names = Value.join([Text(name, zh.get(name)) for name, *_ in core])
            core_obs = [o for *_, observations in core for o in observations]
            sources = sources_of(core_obs)
            metrics.append(Metric(id="core_segment_gross_margin", label=Message("margin.metric.core_named", "Core segment gross margin ({names})", names=names),
                                  value=core_margin, unit="%",
                                  period=seg_period.id, grid=grid, score=round(grid.score(core_margin), 2), weight=params.core_weight, sources=sources,
                                  path=path(seg_period, f"segments[{core[0][0]}]", "gross_margin") if len(core) == 1 else None))
            evidence.append(Evidence(statement=Message("margin.core", "{names} carried {share:percent} of revenue in {period:period} at a gross margin of {margin:percent}.",
                                                       names=names, share=share_total, period=seg_period.id, margin=core_margin), **cited(*core_obs)))
            evidence.extend(_segment_history(profile, [name for name, *_ in core], zh))
            if consolidated and consolidated[-1][0].id == seg_period.id and consolidated[-1][1] - core_margin >= 5:
                evidence.append(Evidence(
                    statement=Message("margin.propped_up",
                                      "The consolidated margin ({consolidated:percent}) sits {gap:num1} points above the core business's ({core:percent}): "
                                      "the rest of the company props it up.", consolidated=consolidated[-1][1], gap=consolidated[-1][1] - core_margin, core=core_margin),
                    **cited(*core_obs, *consolidated[-1][2]),
                ))
        else:
            metrics.append(Metric(id="core_segment_gross_margin", label=Message("margin.metric.core", "Core segment gross margin"), value=None, unit="%",
                                  grid=grid, weight=params.core_weight))
            gaps.append(DataGap(field="periods[*].segments", reason=Message(
                "margin.gap.segments", "No period gives segment shares with gross margins, so the core business cannot be scored apart.")))

        evidence.extend(_negative_segments(profile, params.negative_margin_min_share))
        result = RubricResult.from_metrics(metrics, evidence=evidence, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result)})


def _consolidated_series(profile: Profile) -> list[tuple[Period, float, list[Observation]]]:  # period, %, observations
    out: list[tuple[Period, float, list[Observation]]] = []
    for period in profile.periods_by_end():
        stated = value(profile, period.gross_margin)
        if stated is not None:
            out.append((period, stated.value, [stated]))
            continue
        gp, rev = value(profile, period.gross_profit), value(profile, period.revenue)
        if gp is not None and rev is not None:
            pct = ratio_pct(gp, rev)
            if pct is not None:
                out.append((period, pct, [gp, rev]))
    return out


def _core_segments(profile: Profile, period: Period, threshold: float) -> list[tuple[str, float, float, list[Observation]]]:
    """Largest top-level segments with a margin, by share, until they carry ``threshold``% of revenue
    (name, share, margin, the observations behind them)."""
    shares = {name: share for name, share, _ in revenue_share(profile, period)}
    ranked = []
    for seg in period.segments:
        margin = value(profile, seg.gross_margin)
        if seg.parent or seg.name not in shares or margin is None:
            continue
        stated = value(profile, seg.share)
        # Without a stated share, `shares` holds the segment only if both revenues are on file: nothing is dropped here.
        behind: list[Observation] = [stated] if stated is not None else [
            o for o in (value(profile, seg.revenue), value(profile, period.revenue)) if o is not None]
        ranked.append((seg.name, shares[seg.name], margin.value, [*behind, margin]))
    ranked.sort(key=lambda item: (-item[1], item[0]))
    core, carried = [], 0.0
    for item in ranked:
        core.append(item)
        carried += item[1]
        if carried >= threshold:
            break
    return core


def _names_zh(profile: Profile) -> dict[str, str]:
    """Segment names' Chinese forms, where the profile gives them."""
    return {seg.name: seg.name_zh for period in profile.periods for seg in period.segments if seg.name_zh}


def _segment_history(profile: Profile, names: list[str], zh: dict[str, str]) -> list[Evidence]:
    out = []
    for name in names:
        points = []
        observations = []
        for period in profile.periods_by_end():
            for seg in period.segments:
                margin = value(profile, seg.gross_margin)
                if seg.name == name and margin is not None:
                    points.append(Message("margin.point", "{margin:percent} ({period:period})", margin=margin.value, period=period.id))
                    observations.append(margin)
        if len(points) > 1:
            out.append(Evidence(statement=Message("margin.history", "{name} gross margin over the periods on file: {points}.",
                                                  name=Text(name, zh.get(name)), points=Value.join(points)), **cited(*observations)))
    return out


def _negative_segments(profile: Profile, min_share: float) -> list[Evidence]:
    out = []
    for period in profile.periods_by_end():
        shares = {name: share for name, share, _ in revenue_share(profile, period)}
        for seg in period.segments:
            margin = value(profile, seg.gross_margin)
            share_obs = value(profile, seg.share)
            share = share_obs.value if share_obs is not None else shares.get(seg.name)
            if margin is not None and margin.value < 0 and share is not None and share >= min_share:
                out.append(Evidence(
                    statement=Message("margin.negative", "Finding: {name} ran a negative gross margin of {margin:percent} on {share:percent} of revenue in {period:period}.",
                                      name=Text(seg.name, seg.name_zh), margin=margin.value, share=share, period=period.id),
                    **cited(margin, share_obs),
                ))
    return out


_CONSOLIDATED = Message("margin.metric.consolidated", "Consolidated gross margin")


def _narrative(result: RubricResult) -> str:
    if result.score is None:
        return Message("margin.narrative.none", "No margin figures are on file, so this aspect is not scored.")
    parts = [Message("margin.narrative.part", "{label}: {value:percent} ({period:period})", label=m.label, value=m.value, period=m.period or "")
             for m in result.metrics if m.value is not None]
    return Message("margin.narrative", "{parts}. Thin margins leave little room to absorb price or cost pressure. {scored}",
                   parts=Value.join(parts, "; "),
                   scored=Message("rubric.scored", "Scored {score:score} ({band}).", score=result.score, band=Value.band(result.band)))
