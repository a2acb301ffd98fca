from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GridParam,
    Metric,
    Period,
    Profile,
    Rubric,
    RubricParams,
    RubricResult,
    cited,
    fmt_obs,
    path,
    months_between,
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
        def _some_weight(self) -> "Params":
            if self.control_weight + self.rnd_intensity_weight == 0:
                raise ValueError("control_weight and rnd_intensity_weight are both 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        metrics, evidence, gaps, adjustments = [], [], [], []
        core = profile.technology.core if profile.technology else []
        if core:
            worst_score, worst = -1.0, None
            for tech in core:
                key = tech.control
                if key == "third_party" and tech.provider_relation in ("parent", "strategic_shareholder", "affiliate"):
                    key = "related_party"
                if key == "third_party" and (tech.fallback_tested or tech.alternatives):
                    key = "third_party_with_fallback"
                s = params.control_score[key]
                if s > worst_score:
                    worst_score, worst = s, (tech, key)
                provider = f" from {tech.provider}" if tech.provider else ""
                if tech.provider_relation and tech.provider_relation != "unrelated":
                    provider += f" (the company's {tech.provider_relation.replace('_', ' ')})"
                if tech.contract_end is not None:
                    months = months_between(profile.as_of, tech.contract_end.end)
                    provider += f"; contract ends {tech.contract_end}"
                    if months <= params.contract_window_months:
                        adjustments.append(Adjustment(label=f"Contract for {tech.name} ends {tech.contract_end}" + (" (ended)" if months < 0 else ""),
                                                      points=params.contract_end_points))
                alt = f"; alternatives: {', '.join(tech.alternatives)}" if tech.alternatives else "; no alternative provider on file"
                fallback = {True: "; fallback tested", False: "; no tested fallback", None: ""}[tech.fallback_tested]
                evidence.append(Evidence(statement=f"{tech.name}: control {tech.control.replace('_', ' ')}{provider}{alt}{fallback}." + (f" {tech.description}" if tech.description else ""), **cited(tech)))
            tech, key = worst  # type: ignore[misc]
            scale = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in params.control_score.items())
            metrics.append(Metric(id="core_technology_control", label=f"Control of core technology ({tech.name})", value=None, display=key.replace("_", " "),
                                  score=worst_score, weight=params.control_weight, sources=tech.sources, note=scale))
        else:
            metrics.append(Metric(id="core_technology_control", label="Control of core technology", value=None, weight=params.control_weight))
            gaps.append(DataGap(field="technology.core", reason="No core technology and its control is on file."))

        intensities = _rnd_intensity(profile)
        if intensities:
            period, pct, observations = intensities[-1]
            srcs = sources_of(observations)
            grid = params.rnd_intensity_grid
            metrics.append(Metric(id="rnd_intensity", label="R&D expense / revenue", value=pct, unit="%", period=period.id,
                                  grid=grid, score=round(grid.score(pct), 2), weight=params.rnd_intensity_weight, sources=srcs,
                                  path=path(period, "rnd_expense" if period.rnd_expense is not None else "rnd_share")))
            history = ", ".join(f"{v:.1f}% ({p.id})" for p, v, _ in intensities)
            evidence.append(Evidence(statement=f"R&D intensity over the periods on file: {history}.", **cited(*(o for *_, obs in intensities for o in obs))))
        else:
            metrics.append(Metric(id="rnd_intensity", label="R&D expense / revenue", value=None, unit="%", grid=params.rnd_intensity_grid, weight=params.rnd_intensity_weight))
            gaps.append(DataGap(field="periods[*].rnd_expense", reason="No period gives R&D expense with revenue."))

        spend = series(profile, lambda p: p.rnd_expense)
        if len(spend) > 1:
            (p0, first), (p1, last) = spend[0], spend[-1]
            a0, a1 = first.base * 12 / p0.months, last.base * 12 / p1.months
            if a0 > 0:
                fall = round(100 * (a0 - a1) / a0, 9)
                evidence.append(Evidence(statement=f"R&D expense went from {fmt_obs(profile, first)} ({p0.id}) to {fmt_obs(profile, last)} ({p1.id}); annualised, {-fall:+.0f}%.", **cited(first, last)))
                if fall > params.rnd_fall_threshold:
                    adjustments.append(Adjustment(label=f"R&D spending fell {fall:.0f}% annualised ({p0.id}→{p1.id})", points=params.rnd_fall_points))

        result = RubricResult.from_metrics(metrics, adjustments, evidence=evidence, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result)})


def _rnd_intensity(profile: Profile) -> list[tuple[Period, float, list]]:  # period, %, the observations
    out = []
    for period in profile.periods_by_end():
        rnd, rev = value(profile, period.rnd_expense), value(profile, period.revenue)
        stated = value(profile, period.rnd_share)
        if rnd is not None and rev is not None and (pct := ratio_pct(rnd, rev)) is not None:  # type: ignore[arg-type]
            out.append((period, pct, [rnd, rev]))
        elif stated is not None:
            out.append((period, stated.value, [stated]))
    return out


def _narrative(result: RubricResult) -> str:
    if result.score is None:
        return "Nothing is on file about the core technology or R&D, so this aspect is not scored."
    control = next((m for m in result.metrics if m.id == "core_technology_control" and m.score is not None), None)
    rnd = next((m for m in result.metrics if m.id == "rnd_intensity" and m.value is not None), None)
    parts = []
    if control:
        parts.append(f"core technology control: {control.display}")
    if rnd:
        parts.append(f"R&D at {rnd.value:.1f}% of revenue ({rnd.period})")
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}. Scored {result.score:.1f} ({result.band})."
