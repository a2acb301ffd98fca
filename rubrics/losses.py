from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from riskscore.rubric import (
    Adjustment,
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
    Value,
    cited,
    fmt_obs,
    path,
    ratio_pct,
    sources_of,
    value,
)

Observation = MoneyObservation | PercentObservation


class Losses(Rubric):
    """Whether the business loses money, for how long, and whether it burns cash.

    Three metrics, as a weighted mean: the adjusted (non-IFRS) net margin of the latest
    period (`adjusted_net_margin_grid`: +10% or better scores 0, -30% or worse 100); the
    number of consecutive loss-making fiscal years up to the latest one (`loss_years_grid`);
    and the operating cash flow margin of the latest period that reports it
    (`operating_cash_flow_margin_grid`: negative operating cash flow scores high, positive
    low — an ISA 570 going-concern indicator).
    A year counts as loss-making on its adjusted result where one is on file, else on its
    IFRS result: an IFRS loss driven by fair-value changes of preferred shares (JD Health
    2019) is not an operating loss, and both figures are shown as evidence.
    Trend: comparing the latest period with the previous period of the same length, a loss
    rate narrowed by `trend_min_change_pp` points or more takes `trend_points` off the
    score; one widened by as much adds them.
    A year a source calls loss-making without the amount (`loss_making`) counts as a loss year.
    With neither an adjusted nor an IFRS result, the operating margin (operating profit over
    revenue) is scored instead; an operating loss beside a net loss is shown as evidence.
    """

    id = "losses"
    title = "Losses and cash burn"
    version = "1.0"
    default_weight = 20
    contract_version = 1
    red_flag_ids = ()

    class Params(RubricParams):
        adjusted_net_margin_grid: GridParam
        loss_years_grid: GridParam
        operating_cash_flow_margin_grid: GridParam
        adjusted_net_margin_weight: float = Field(ge=0, le=1_000_000)
        loss_years_weight: float = Field(ge=0, le=1_000_000)
        operating_cash_flow_weight: float = Field(ge=0, le=1_000_000)
        trend_min_change_pp: float = Field(ge=0)
        trend_points: float = Field(ge=0, le=100)

        @model_validator(mode="after")
        def _some_weight(self) -> Self:
            if self.adjusted_net_margin_weight + self.loss_years_weight + self.operating_cash_flow_weight == 0:
                raise ValueError("adjusted_net_margin_weight, loss_years_weight and operating_cash_flow_weight are all 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        metrics, evidence, gaps, adjustments = [], [], [], []

        margins = _adjusted_margins(profile)
        if margins:
            period, margin, observations, basis = margins[-1]
            srcs = sources_of(observations)
            grid = params.adjusted_net_margin_grid
            figure = _FIGURE[basis]
            if basis == "adjusted" and (period.adjusted_net_profit is None or period.revenue is None):
                figure = "adjusted_net_margin"  # the stated margin
            operating = basis == "operating"
            label = (Message("losses.metric.operating_margin", "Operating margin") if operating
                     else Message("losses.metric.margin_basis", "Net margin ({basis})", basis=_basis(basis)))
            metrics.append(Metric(id="adjusted_net_margin", label=label,
                                  value=margin, unit="%", period=period.id,
                                  grid=grid, score=round(grid.score(margin), 2), weight=params.adjusted_net_margin_weight, sources=srcs,
                                  path=path(period, figure)))
            was = (Message("losses.operating_margin", "The operating margin was {margin:percent} in {period:period}.", margin=margin, period=period.id)
                   if operating else Message("losses.margin", "The {basis} net margin was {margin:percent} in {period:period}.",
                                             basis=_basis(basis), margin=margin, period=period.id))
            evidence.append(Evidence(statement=was, **cited(*observations)))
            earlier = [m for m in margins[:-1] if m[0].months == period.months]
            if earlier:
                prev_period, prev, prev_observations, _ = earlier[-1]
                change = round(margin - prev, 9)  # -3.1 - -5.1 is 1.999…; compare as written
                moved = (Message("losses.operating_margin_moved", "The operating margin moved from {prev:percent} ({prev_period:period}) to {margin:percent} ({period:period}).",
                                 prev=prev, prev_period=prev_period.id, margin=margin, period=period.id) if operating
                         else Message("losses.margin_moved", "The {basis} net margin moved from {prev:percent} ({prev_period:period}) to {margin:percent} ({period:period}).",
                                      basis=_basis(basis), prev=prev, prev_period=prev_period.id, margin=margin, period=period.id))
                evidence.append(Evidence(statement=moved, **cited(*prev_observations, *observations)))
                if margin < 0 or prev < 0:
                    if change >= params.trend_min_change_pp:
                        adjustments.append(Adjustment(label=Message("losses.narrowed", "Loss rate narrowed {change:pp} ({prev:period}→{period:period})",
                                                                    change=change, prev=prev_period.id, period=period.id), points=-params.trend_points))
                    elif change <= -params.trend_min_change_pp:
                        adjustments.append(Adjustment(label=Message("losses.widened", "Loss rate widened {change:pp} ({prev:period}→{period:period})",
                                                                    change=-change, prev=prev_period.id, period=period.id), points=params.trend_points))
        else:
            metrics.append(Metric(id="adjusted_net_margin", label=Message("losses.metric.margin", "Net margin"), value=None, unit="%",
                                  grid=params.adjusted_net_margin_grid, weight=params.adjusted_net_margin_weight))
            gaps.append(DataGap(field="periods[*].adjusted_net_profit", reason=Message("losses.gap.margin", "No period gives a net result with revenue.")))

        years, year_observations, stop, last_year = _consecutive_loss_years(profile)
        year_srcs = sources_of(year_observations)
        if years is not None:
            grid = params.loss_years_grid
            metrics.append(Metric(id="consecutive_loss_years", label=_LOSS_YEARS, value=years, unit=_YEARS,
                                  period=last_year,
                                  grid=grid, score=round(grid.score(years), 2), weight=params.loss_years_weight, sources=year_srcs, note=stop))
            if years:
                statement = (Message("losses.loss_years_stop", "Loss-making in each of the last {years} fiscal years on file ({stop}).", years=years, stop=stop)
                             if stop else Message("losses.loss_years", "Loss-making in each of the last {years} fiscal years on file.", years=years))
                evidence.append(Evidence(statement=statement, **cited(*year_observations)))
        else:
            metrics.append(Metric(id="consecutive_loss_years", label=_LOSS_YEARS, value=None, unit=_YEARS, grid=params.loss_years_grid, weight=params.loss_years_weight))
            gaps.append(DataGap(field="periods[FY*].adjusted_net_profit", reason=Message("losses.gap.loss_years", "No fiscal year has a net result on file.")))

        ocf = _ocf_margin(profile)
        if ocf:
            period, pct, ocf_observations, amount = ocf
            srcs = sources_of(ocf_observations)
            grid = params.operating_cash_flow_margin_grid
            metrics.append(Metric(id="operating_cash_flow_margin", label=_OCF, value=pct, unit="%", period=period.id,
                                  grid=grid, score=round(grid.score(pct), 2), weight=params.operating_cash_flow_weight, sources=srcs))
            statement = (Message("losses.ocf_inflow", "Operating cash flow was an inflow of {amount} in {period:period} ({pct:percent} of revenue).",
                                 amount=amount, period=period.id, pct=pct) if pct >= 0 else
                         Message("losses.ocf_outflow", "Operating cash flow was an outflow of {amount} in {period:period} ({pct:percent} of revenue).",
                                 amount=amount, period=period.id, pct=pct))
            evidence.append(Evidence(statement=statement, **cited(*ocf_observations)))
        else:
            metrics.append(Metric(id="operating_cash_flow_margin", label=_OCF, value=None, unit="%", grid=params.operating_cash_flow_margin_grid,
                                  weight=params.operating_cash_flow_weight))
            gaps.append(DataGap(field="periods[*].operating_cash_flow", reason=Message("losses.gap.ocf", "No period gives operating cash flow with revenue.")))

        evidence.extend(_ifrs_vs_adjusted(profile))
        evidence.extend(_operating_and_undisclosed(profile))
        result = RubricResult.from_metrics(metrics, adjustments, evidence=evidence, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result)})


def _adjusted_margins(profile: Profile) -> list[tuple[Period, float, list[Observation], str]]:  # period, %, observations, basis
    """Per period: the adjusted net margin (stated, or adjusted result / revenue), else the IFRS one."""
    out: list[tuple[Period, float, list[Observation], str]] = []
    for period in profile.periods_by_end():
        stated = value(profile, period.adjusted_net_margin)
        revenue = value(profile, period.revenue)
        adjusted = value(profile, period.adjusted_net_profit)
        ifrs = value(profile, period.net_profit)
        if adjusted is not None and revenue is not None and (pct := ratio_pct(adjusted, revenue)) is not None:
            out.append((period, pct, [adjusted, revenue], "adjusted"))
        elif stated is not None:
            out.append((period, stated.value, [stated], "adjusted"))
        elif ifrs is not None and revenue is not None and (pct := ratio_pct(ifrs, revenue)) is not None:
            out.append((period, pct, [ifrs, revenue], "IFRS"))
        elif (operating := value(profile, period.operating_profit)) is not None and revenue is not None and (pct := ratio_pct(operating, revenue)) is not None:
            out.append((period, pct, [operating, revenue], "operating"))
    # Prefer one basis for the latest comparison: the latest period's.
    if out:
        basis = out[-1][3]
        out = [m for m in out if m[3] == basis]
    return out


def _consecutive_loss_years(profile: Profile) -> tuple[int | None, list, Message | None, str | None]:
    """Loss-making fiscal years counted back from the latest one with a result on file."""
    years = profile.annual_periods()
    results = []
    for period in years:
        obs = value(profile, period.adjusted_net_profit) or value(profile, period.net_profit) or period.loss_making
        results.append((period, obs))
    known = [(p, o) for p, o in results if o is not None]
    if not known:
        return None, [], None, None
    count, srcs, stop = 0, [], None
    expected_year = None
    for period, obs in reversed(known):
        year = int(period.id[2:])
        if expected_year is not None and year != expected_year:
            stop = Message("losses.loss_years_gap", "{year:period} is not on file; counting stops there", year=f"FY{expected_year}")
            break
        if getattr(obs, "base", -1) >= 0:  # a loss_making statement has no amount: a loss
            break
        count += 1
        srcs.append(obs)
        expected_year = year - 1
    return count, srcs, stop, known[-1][0].id


def _ocf_margin(profile: Profile) -> tuple[Period, float, list, str] | None:
    for period in reversed(profile.periods_by_end()):
        ocf, revenue = value(profile, period.operating_cash_flow), value(profile, period.revenue)
        if ocf is not None and revenue is not None and (pct := ratio_pct(ocf, revenue)) is not None:
            return period, pct, [ocf, revenue], fmt_obs(profile, ocf)
    return None


def _ifrs_vs_adjusted(profile: Profile) -> list[Evidence]:
    out = []
    for period in profile.periods_by_end():
        ifrs, adjusted = value(profile, period.net_profit), value(profile, period.adjusted_net_profit)
        if ifrs is not None and adjusted is not None and ifrs.base < adjusted.base:
            out.append(Evidence(
                statement=Message("losses.ifrs_vs_adjusted",
                                  "{period:period}: IFRS net result {ifrs} against an adjusted result of {adjusted}; the difference is non-operating "
                                  "(e.g. fair-value changes of preferred shares, share-based pay) and is not scored as an operating loss.",
                                  period=period.id, ifrs=fmt_obs(profile, ifrs), adjusted=fmt_obs(profile, adjusted)),
                **cited(ifrs, adjusted),
            ))
    return out


def _operating_and_undisclosed(profile: Profile) -> list[Evidence]:
    out = []
    for period in profile.periods_by_end():
        operating, net = value(profile, period.operating_profit), value(profile, period.net_profit) or value(profile, period.adjusted_net_profit)
        if operating is not None and operating.base < 0 and net is not None and net.base < 0:
            out.append(Evidence(statement=Message("losses.operating_loss",
                                                  "{period:period}: an operating loss of {operating} beside a net loss of {net}: the business itself loses money, "
                                                  "not only financing or fair-value items.",
                                                  period=period.id, operating=fmt_obs(profile, operating), net=fmt_obs(profile, net)),
                                **cited(operating, net)))
        if period.loss_making is not None and net is None:
            out.append(Evidence(statement=Message("losses.undisclosed", "{period:period}: loss-making, the amount not disclosed.", period=period.id),
                                **cited(period.loss_making)))
    return out


_LOSS_YEARS = Message("losses.metric.loss_years", "Consecutive loss-making fiscal years")
_OCF = Message("losses.metric.ocf", "Operating cash flow / revenue")
_YEARS = Message("unit.years", "years")


_FIGURE = {"adjusted": "adjusted_net_profit", "IFRS": "net_profit", "operating": "operating_profit"}
"""The profit figure each basis of the margin is computed from (its path in the metric)."""


def _basis(basis: str) -> Message:
    return Message("losses.basis.adjusted", "adjusted") if basis == "adjusted" else Message("losses.basis.ifrs", "IFRS")


def _narrative(result: RubricResult) -> str:
    if result.score is None:
        return Message("losses.narrative.none", "No profit or cash-flow figures are on file, so this aspect is not scored.")
    values = {m.id: m for m in result.metrics if m.value is not None}
    parts = []
    if "adjusted_net_margin" in values:
        m = values["adjusted_net_margin"]
        basis = next((b for b, figure in _FIGURE.items() if (m.path or "").endswith("." + figure)), "adjusted")  # the stated margin is adjusted
        if basis == "operating":
            parts.append(Message("losses.narrative.operating_margin", "operating margin of {value:percent} in {period:period}",
                                 value=m.value, period=m.period or ""))
        else:
            parts.append(Message("losses.narrative.margin", "net margin ({basis}) of {value:percent} in {period:period}",
                                 basis=_basis(basis), value=m.value, period=m.period or ""))
    if "consecutive_loss_years" in values:
        parts.append(Message("losses.narrative.loss_years", "{years:plain} consecutive loss-making fiscal years", years=values["consecutive_loss_years"].value))
    if "operating_cash_flow_margin" in values:
        m = values["operating_cash_flow_margin"]
        parts.append(Message("losses.narrative.ocf", "operating cash flow at {value:percent} of revenue in {period:period}", value=m.value, period=m.period or ""))
    return Message("losses.narrative", "{parts}. {scored}", parts=Value.join(parts, "; ", capitalize=True),
                   scored=Message("rubric.scored", "Scored {score:score} ({band}).", score=result.score, band=Value.band(result.band)))
