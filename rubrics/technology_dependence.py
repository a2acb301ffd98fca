from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from riskscore.rubric import (
    Adjustment,
    CoreTechnology,
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
    fmt_obs,
    months_between,
    path,
    ratio_pct,
    series,
    sources_of,
    value,
)


class TechnologyDependence(Rubric):
    """Dependence on technology the company does not control, and what it spends to own it.

    Control: each core technology is scored by who controls it (`control_score`): built on
    a third party's technology with no tested fallback or second provider (for instance a
    "proprietary" model fine-tuned on someone else's foundation model, whose architecture,
    parameters and updates the company cannot control) scores high; third-party with a
    tested fallback or several providers, or shared control, moderate; proprietary low. The
    worst core technology counts.
    R&D intensity (R&D expense / revenue) of the latest period scores on
    `rnd_intensity_grid` (15% or more scores 0, echoing HKEX Chapter 18C's R&D test; 1% or
    less scores 90). The two are combined as a weighted mean (`control_weight`,
    `rnd_intensity_weight`). R&D spending that fell by more than `rnd_fall_threshold`
    percent from the earliest to the latest period on file (annualised, so a half-year is
    compared fairly with a year) adds `rnd_fall_points`.
    A third-party technology provided by the parent, a strategic shareholder or an affiliate
    (`provider_relation`) is scored as `related_party` in `control_score`: one counterparty the
    company cannot replace, though with aligned interests. A contract for a core technology
    ending within `contract_window_months` of the as-of date (or already ended) adds
    `contract_end_points`. Where R&D expense is not on file, a stated R&D share of revenue
    (`rnd_share`) is used.
    """

    id = "technology_dependence"
    title = "Technology dependence"
    version = "1.0"
    default_weight = 10
    contract_version = 1
    red_flag_ids = ()

    class Params(RubricParams):
        control_score: dict[str, Annotated[float, Field(ge=0, le=100)]]
        rnd_intensity_grid: GridParam
        control_weight: float = Field(ge=0, le=1_000_000)
        rnd_intensity_weight: float = Field(ge=0, le=1_000_000)
        rnd_fall_threshold: float = Field(ge=0, le=100)
        rnd_fall_points: float = Field(ge=0, le=100)
        contract_window_months: float = Field(ge=0)
        contract_end_points: float = Field(ge=0, le=100)

        @model_validator(mode="after")
        def _some_weight(self) -> Self:
            if self.control_weight + self.rnd_intensity_weight == 0:
                raise ValueError("control_weight and rnd_intensity_weight are both 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        metrics, evidence, gaps, adjustments = [], [], [], []
        core = profile.technology.core if profile.technology else []
        if core:
            worst_score = -1.0
            worst: tuple[CoreTechnology, str] | None = None
            for tech in core:
                key: str = tech.control  # widened: related_party and third_party_with_fallback are control_score keys too
                if key == "third_party" and tech.provider_relation in ("parent", "strategic_shareholder", "affiliate"):
                    key = "related_party"
                if key == "third_party" and (tech.fallback_tested or tech.alternatives):
                    key = "third_party_with_fallback"
                s = params.control_score[key]
                if s > worst_score:
                    worst_score, worst = s, (tech, key)
                where = f"technology.core[{tech.name}]"
                name = Text(tech.name, path=f"{where}.name")
                parts = [Message("technology_dependence.control", "{name}: control {control}", name=name, control=Value.term("control", tech.control))]
                if tech.provider:
                    parts.append(Message("technology_dependence.provider", " from {provider}", provider=Text(tech.provider, path=f"{where}.provider")))
                if tech.provider_relation and tech.provider_relation != "unrelated":
                    parts.append(Message("technology_dependence.provider_relation", " (the company's {relation})",
                                         relation=Value.term("provider_relation", tech.provider_relation)))
                if tech.contract_end is not None:
                    months = months_between(profile.as_of, tech.contract_end.end)
                    parts.append(Message("technology_dependence.contract_ends", "; contract ends {date}", date=Value.date(tech.contract_end)))
                    if months <= params.contract_window_months:
                        label = (Message("technology_dependence.contract_ended", "Contract for {name} ends {date} (ended)", name=name, date=Value.date(tech.contract_end))
                                 if months < 0 else
                                 Message("technology_dependence.contract_end", "Contract for {name} ends {date}", name=name, date=Value.date(tech.contract_end)))
                        adjustments.append(Adjustment(label=label, points=params.contract_end_points))
                parts.append(Message("technology_dependence.alternatives", "; alternatives: {alternatives}", alternatives=Value.join(
                    [Text(a, path=f"{where}.alternatives[{i}]") for i, a in enumerate(tech.alternatives)])) if tech.alternatives
                    else Message("technology_dependence.no_alternative", "; no alternative provider on file"))
                if tech.fallback_tested is not None:
                    parts.append(Message("technology_dependence.fallback_tested", "; fallback tested") if tech.fallback_tested
                                 else Message("technology_dependence.no_fallback", "; no tested fallback"))
                parts.append(Message("technology_dependence.end", "."))
                if tech.description:
                    parts.append(Message("technology_dependence.tech_description", " {description}", description=Text(tech.description, path=f"{where}.description")))
                evidence.append(Evidence(statement=Value.join(parts, ""), **cited(tech)))
            assert worst is not None  # control_score values are >= 0, so the first technology beats -1
            tech, key = worst
            scale = Value.join([Message("technology_dependence.scale_entry", "{key} {score}", key=Value.term("control", k), score=v)
                                for k, v in params.control_score.items()])
            metrics.append(Metric(id="core_technology_control", label=Message("technology_dependence.metric.control_named", "Control of core technology ({name})",
                                                                              name=Text(tech.name, path=f"technology.core[{tech.name}].name")),
                                  value=None, display=Value.term("control", key),
                                  score=worst_score, weight=params.control_weight, sources=tech.sources, note=scale))
        else:
            metrics.append(Metric(id="core_technology_control", label=Message("technology_dependence.metric.control", "Control of core technology"),
                                  value=None, weight=params.control_weight))
            gaps.append(DataGap(field="technology.core", reason=Message("technology_dependence.gap.core", "No core technology and its control is on file.")))

        intensities = _rnd_intensity(profile)
        if intensities:
            period, pct, observations = intensities[-1]
            srcs = sources_of(observations)
            grid = params.rnd_intensity_grid
            metrics.append(Metric(id="rnd_intensity", label=_RND, value=pct, unit="%", period=period.id,
                                  grid=grid, score=round(grid.score(pct), 2), weight=params.rnd_intensity_weight, sources=srcs,
                                  path=path(period, "rnd_expense" if period.rnd_expense is not None else "rnd_share")))
            history = Value.join([Message("technology_dependence.point", "{value:percent} ({period:period})", value=v, period=p.id) for p, v, _ in intensities])
            evidence.append(Evidence(statement=Message("technology_dependence.history", "R&D intensity over the periods on file: {history}.", history=history),
                                     **cited(*(o for *_, obs in intensities for o in obs))))
        else:
            metrics.append(Metric(id="rnd_intensity", label=_RND, value=None, unit="%", grid=params.rnd_intensity_grid, weight=params.rnd_intensity_weight))
            gaps.append(DataGap(field="periods[*].rnd_expense", reason=Message("technology_dependence.gap.rnd", "No period gives R&D expense with revenue.")))

        spend = series(profile, lambda p: p.rnd_expense)
        if len(spend) > 1:
            (p0, first), (p1, last) = spend[0], spend[-1]
            a0, a1 = first.base * 12 / p0.months, last.base * 12 / p1.months
            if a0 > 0:
                fall = round(100 * (a0 - a1) / a0, 9)
                evidence.append(Evidence(statement=Message("technology_dependence.spend", "R&D expense went from {first} ({p0:period}) to {last} ({p1:period}); annualised, {change:signed_percent0}.",
                                                           first=fmt_obs(profile, first), p0=p0.id, last=fmt_obs(profile, last), p1=p1.id, change=-fall),
                                         **cited(first, last)))
                if fall > params.rnd_fall_threshold:
                    adjustments.append(Adjustment(label=Message("technology_dependence.fell", "R&D spending fell {fall:percent0} annualised ({p0:period}→{p1:period})",
                                                                fall=fall, p0=p0.id, p1=p1.id), points=params.rnd_fall_points))

        result = RubricResult.from_metrics(metrics, adjustments, evidence=evidence, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result)})


def _rnd_intensity(profile: Profile) -> list[tuple[Period, float, list[MoneyObservation | PercentObservation]]]:  # period, %, the observations
    out: list[tuple[Period, float, list[MoneyObservation | PercentObservation]]] = []
    for period in profile.periods_by_end():
        rnd, rev = value(profile, period.rnd_expense), value(profile, period.revenue)
        stated = value(profile, period.rnd_share)
        if rnd is not None and rev is not None and (pct := ratio_pct(rnd, rev)) is not None:
            out.append((period, pct, [rnd, rev]))
        elif stated is not None:
            out.append((period, stated.value, [stated]))
    return out


_RND = Message("technology_dependence.metric.rnd", "R&D expense / revenue")


def _narrative(result: RubricResult) -> str:
    if result.score is None:
        return Message("technology_dependence.narrative.none", "Nothing is on file about the core technology or R&D, so this aspect is not scored.")
    control = next((m for m in result.metrics if m.id == "core_technology_control" and m.score is not None), None)
    rnd = next((m for m in result.metrics if m.id == "rnd_intensity" and m.value is not None), None)
    parts = []
    if control:
        parts.append(Message("technology_dependence.narrative.control", "core technology control: {control}", control=control.display or ""))
    if rnd:
        parts.append(Message("technology_dependence.narrative.rnd", "R&D at {value:percent} of revenue ({period:period})", value=rnd.value, period=rnd.period or ""))
    return Message("technology_dependence.narrative", "{parts}. {scored}", parts=Value.join(parts, "; ", capitalize=True),
                   scored=Message("rubric.scored", "Scored {score:score} ({band}).", score=result.score, band=Value.band(result.band)))
