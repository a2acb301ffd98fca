"""The ``going_concern`` rubric: ISA 570 going-concern indicators and the cash runway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import Field

from riskscore.rubric import (
    DataGap,
    Evidence,
    Grid,
    GridParam,
    Message,
    Metric,
    MoneyFigure,
    MoneyObservation,
    Period,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    Value,
    band_for,
    clamp,
    fmt_money,
    fmt_obs,
    latest,
    sources_of,
    value,
)


class GoingConcern(Rubric):
    """Whether the profile shows the financial conditions that ISA 570 says may cast
    significant doubt on the company's ability to continue as a going concern.

    Four indicators are read from the profile (ISA 570.A3, financial events or conditions).
    *Net liabilities*: `capital_structure.net_liabilities` above zero, taken as stated
    (pre-IPO companies reporting under IFRS often carry redeemable preferred shares as
    liabilities; the evidence says how much of the profile's instruments convert at listing).
    *Negative operating cash flow*: in the latest period that reports operating cash flow.
    *Net loss*: the adjusted (non-IFRS) net result of the latest period that reports a net
    result, else its IFRS net result. *Cash runway*: where operating cash flow is negative
    and cash is known, cash divided by the monthly burn, the period's outflow divided by its
    length in months (so an interim is annualised); cash is `capital_structure.cash`, unless
    a period holds a newer cash figure. Without cash burn the runway scores 0.

    Score: each of the first three indicators adds its points when present
    (`net_liabilities_points` 40, `negative_operating_cash_flow_points` 30, `net_loss_points`
    20), capped at 100; the runway is scored on `runway_grid` (0 months scores 100, 6 months
    85, 12 months 60, 24 months 30, 36 months or more 10). The rubric score is the higher of
    the indicator points and the runway score: the indicators add up because an auditor weighs
    them together, and a short runway is enough on its own. The runway counts as present
    when shorter than `runway_horizon_months`.

    An indicator that cannot be assessed counts as absent and is listed as a data gap;
    coverage is the share of the four indicators assessed. With none assessed there is no
    score.

    Red flags: `going_concern_short_runway` when the runway is shorter than
    `runway_horizon_months` (12, the period ISA 570.13 asks management's assessment to cover;
    0 turns the flag off); `going_concern_net_liabilities_and_cash_burn` when net liabilities
    come with negative operating cash flow (`red_flag_net_liabilities_with_cash_burn`).
    """

    id = "going_concern"
    title = "Going concern"
    version = "0.1.0"
    default_weight = 10
    contract_version = 1

    class Params(RubricParams):
        # A plugin has no entry in riskscore's defaults.toml: every parameter needs a default.
        net_liabilities_points: float = Field(default=40, ge=0, le=100, description="Points when liabilities exceed assets.")
        negative_operating_cash_flow_points: float = Field(default=30, ge=0, le=100, description="Points when the latest operating cash flow is negative.")
        net_loss_points: float = Field(default=20, ge=0, le=100, description="Points when the latest net result is a loss.")
        runway_grid: GridParam = Field(
            default=Grid.of([[0, 100], [6, 85], [12, 60], [24, 30], [36, 10]]),
            description="Cash runway in months -> score.",
        )
        runway_horizon_months: float = Field(default=12, ge=0, description="A runway shorter than this is an indicator and a red flag (0: never).")
        red_flag_net_liabilities_with_cash_burn: bool = Field(default=True, description="Raise a red flag when net liabilities come with negative operating cash flow.")

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        net_liabilities = _net_liabilities(profile, params)
        ocf_period, ocf = _latest(profile, lambda period: period.operating_cash_flow)
        cash_flow = _operating_cash_flow(profile, params, ocf_period, ocf)
        loss = _net_loss(profile, params)
        runway = _runway(profile, params, ocf_period, ocf)
        indicators = [net_liabilities, cash_flow, loss, runway]

        metrics = [i.metric for i in indicators]
        evidence = [e for i in indicators for e in i.evidence]
        gaps = [i.gap for i in indicators if i.gap is not None]
        assessed = [i for i in indicators if i.present is not None]
        if not assessed:
            return RubricResult(coverage=0.0, metrics=metrics, data_gaps=gaps, narrative=Message(
                "going_concern.narrative.none", "No going-concern indicator can be assessed from the profile, so this aspect is not scored."))

        points = min(100.0, sum(i.metric.score or 0.0 for i in (net_liabilities, cash_flow, loss) if i.present))
        runway_score = runway.metric.score or 0.0
        score = round(clamp(max(points, runway_score)), 2)

        flags = list(runway.flags)
        if params.red_flag_net_liabilities_with_cash_burn and net_liabilities.present and cash_flow.present:
            flags.append(RedFlag(
                id="going_concern_net_liabilities_and_cash_burn",
                title=Message("going_concern.flag.net_liabilities_and_cash_burn", "Net liabilities and operating cash outflow"),
                detail=Message("going_concern.flag.net_liabilities_and_cash_burn.detail",
                               "Liabilities exceed assets and operations consumed cash in {period:period}: "
                               "without new financing the company may be unable to meet its obligations as they fall due.",
                               period=cash_flow.metric.period or ""),
                sources=sources_of([*net_liabilities.observations, *cash_flow.observations]),
            ))

        present = [i.name for i in assessed if i.present]
        counts = dict(present=len(present), assessed=len(assessed))
        if present:
            found = (Message("going_concern.present_one", "{present} of the {assessed} indicators assessed is present ({names})", **counts,
                             names=Value.join(present)) if len(present) == 1 else
                     Message("going_concern.present_names", "{present} of the {assessed} indicators assessed are present ({names})", **counts,
                             names=Value.join(present)))
        else:
            found = Message("going_concern.present_none", "{present} of the {assessed} indicators assessed are present", **counts)
        parts: list[str] = [found]
        if runway.metric.value is not None:
            parts.append(Message("going_concern.narrative.runway", "cash runway of {runway}", runway=runway.metric.display or ""))
        elif runway.present is False:
            parts.append(Message("going_concern.narrative.no_burn", "no cash burn in {period:period}", period=runway.metric.period or ""))
        missing = [i.name for i in indicators if i.present is None]
        narrative = Message("going_concern.narrative", "{parts}. Indicator points {points}, runway score {runway}: scored {score:score} ({band}).",
                            parts=Value.join(parts, "; "), points=f"{points:g}", runway=f"{runway_score:g}", score=score,
                            band=Value.band(band_for(score)))
        if missing:
            narrative = Message("going_concern.narrative.not_assessed", "{narrative} Not assessed: {missing}.", narrative=narrative,
                                missing=Value.join(missing))
        return RubricResult(
            score=score, band=band_for(score), coverage=round(len(assessed) / len(indicators), 4),
            metrics=metrics, evidence=evidence, red_flags=flags, data_gaps=gaps, narrative=narrative,
        )


def _latest(profile: Profile, get: Callable[[Period], MoneyFigure | None]) -> tuple[Period, MoneyObservation] | tuple[None, None]:
    """The money figure in the most recent period that holds it, with that period."""
    period, obs = latest(profile, get)
    assert obs is None or isinstance(obs, MoneyObservation)
    return (period, obs) if period is not None and obs is not None else (None, None)


@dataclass(frozen=True)
class _Indicator:
    """One indicator as assessed: ``present`` is None when the profile cannot tell."""

    name: str
    metric: Metric
    present: bool | None
    evidence: tuple[Evidence, ...] = ()
    gap: DataGap | None = None
    flags: tuple[RedFlag, ...] = ()
    observations: tuple[MoneyObservation, ...] = ()


def _net_liabilities(profile: Profile, params: GoingConcern.Params) -> _Indicator:
    cs = profile.capital_structure
    obs = value(profile, cs.net_liabilities) if cs is not None else None
    rule = Message("going_concern.rule.above", "+{points} if above 0", points=f"{params.net_liabilities_points:g}")
    name = Message("going_concern.indicator.net_liabilities", "net liabilities")
    label = Message("going_concern.metric.net_liabilities", "Net liabilities")
    if obs is None:
        return _Indicator(name, Metric(id="net_liabilities", label=label, value=None, note=rule), None,
                          gap=DataGap(field="capital_structure.net_liabilities", reason=Message(
                              "going_concern.gap.net_liabilities", "Net liabilities are not on file; the net-liability indicator is not assessed.")))
    assert cs is not None
    present = obs.base > 0
    shown = fmt_obs(profile, obs)
    if cs.period:
        statement = (Message("going_concern.net_liabilities_at", "Liabilities exceed assets by {amount} at the end of {period:period}.",
                             amount=shown, period=cs.period) if present else
                     Message("going_concern.no_net_liabilities_at", "Net liabilities of {amount} at the end of {period:period}: liabilities do not exceed assets.",
                             amount=shown, period=cs.period))
    else:
        statement = (Message("going_concern.net_liabilities", "Liabilities exceed assets by {amount}.", amount=shown) if present else
                     Message("going_concern.no_net_liabilities", "Net liabilities of {amount}: liabilities do not exceed assets.", amount=shown))
    evidence = [Evidence(statement=statement, sources=[obs.source])]
    if present:
        evidence += _converting_instruments(profile, obs)
    metric = Metric(id="net_liabilities", label=label, value=obs.amount, unit=Value("unit", str(obs.unit)), period=cs.period, display=shown,
                    score=params.net_liabilities_points if present else 0.0, note=rule, sources=[obs.source])
    return _Indicator(name, metric, present, tuple(evidence), observations=(obs,))


def _converting_instruments(profile: Profile, net_liabilities: MoneyObservation) -> list[Evidence]:
    """How much of the profile's instruments convert at listing: context for a net-liability figure."""
    cs = profile.capital_structure
    currency = profile.presentation_unit.currency
    converting = [inst.amount for inst in (cs.instruments or []) if inst.converts_at_listing] if cs is not None else []
    amounts = [obs for obs in (value(profile, figure) for figure in converting) if obs is not None]
    if not amounts or any(a.unit.currency != currency for a in amounts) or net_liabilities.unit.currency != currency:
        return []
    total = sum(a.base for a in amounts)
    bound = "at_least" if any(a.bound == "at_least" for a in amounts) else "exact"
    shown = Value.bounded_money_base(total, profile.presentation_unit, max(a.decimals for a in amounts), bound)
    return [Evidence(
        statement=Message("going_concern.converting", "Instruments that convert to equity at listing amount to {amount}, {share} of the net "
                          "liabilities; redeemable preferred shares are usually carried as liabilities under IFRS. The indicator is scored on "
                          "the net liabilities as stated.", amount=shown, share=Value.bounded(f"{100 * total / net_liabilities.base:.0f}%", bound)),
        sources=sources_of([*amounts, net_liabilities]),
    )]


def _operating_cash_flow(profile: Profile, params: GoingConcern.Params, period: Period | None, obs: MoneyObservation | None) -> _Indicator:
    rule = Message("going_concern.rule.below", "+{points} if below 0", points=f"{params.negative_operating_cash_flow_points:g}")
    name = Message("going_concern.indicator.operating_cash_flow", "negative operating cash flow")
    label = Message("going_concern.metric.operating_cash_flow", "Operating cash flow")
    if obs is None or period is None:
        return _Indicator(name, Metric(id="operating_cash_flow", label=label, value=None, note=rule), None,
                          gap=DataGap(field="periods[*].operating_cash_flow", reason=Message(
                              "going_concern.gap.operating_cash_flow", "No period reports operating cash flow; the cash-flow indicator is not assessed.")))
    present = obs.base < 0
    shown = fmt_obs(profile, obs)
    statement = (Message("going_concern.outflow", "Operating cash flow in {period:period} was an outflow: {amount}.", period=period.id, amount=shown)
                 if present else
                 Message("going_concern.inflow", "Operating cash flow in {period:period} was an inflow: {amount}.", period=period.id, amount=shown))
    metric = Metric(id="operating_cash_flow", label=label, value=obs.amount, unit=Value("unit", str(obs.unit)), period=period.id, display=shown,
                    score=params.negative_operating_cash_flow_points if present else 0.0, note=rule, sources=[obs.source])
    return _Indicator(name, metric, present, (Evidence(statement=statement, sources=[obs.source]),), observations=(obs,))


def _net_result(period: Period) -> MoneyFigure | None:
    return period.adjusted_net_profit if period.adjusted_net_profit is not None else period.net_profit


def _net_loss(profile: Profile, params: GoingConcern.Params) -> _Indicator:
    rule = Message("going_concern.rule.below", "+{points} if below 0", points=f"{params.net_loss_points:g}")
    name = Message("going_concern.indicator.net_loss", "net loss")
    period, obs = _latest(profile, _net_result)
    if obs is None or period is None:
        return _Indicator(name, Metric(id="net_result", label=Message("going_concern.metric.net_result", "Net result"), value=None, note=rule), None,
                          gap=DataGap(field="periods[*].adjusted_net_profit", reason=Message(
                              "going_concern.gap.net_result", "No period reports an adjusted or IFRS net result; the loss indicator is not assessed.")))
    adjusted = period.adjusted_net_profit is not None
    basis = Message("going_concern.basis.adjusted", "adjusted") if adjusted else Message("going_concern.basis.ifrs", "IFRS")
    present = obs.base < 0
    shown = fmt_obs(profile, obs)
    statement: str = (Message("going_concern.loss", "The {basis} net result for {period:period} was a loss: {amount}.", basis=basis, period=period.id,
                              amount=shown) if present else
                      Message("going_concern.no_loss", "The {basis} net result for {period:period} was not a loss: {amount}.", basis=basis,
                              period=period.id, amount=shown))
    used = [obs]
    ifrs = value(profile, period.net_profit) if adjusted else None
    if ifrs is not None:
        statement = Message("going_concern.with_ifrs", "{statement} The IFRS net result was {amount}.", statement=statement, amount=fmt_obs(profile, ifrs))
        used.append(ifrs)
    metric = Metric(id="net_result", label=Message("going_concern.metric.net_result_basis", "Net result ({basis})", basis=basis), value=obs.amount,
                    unit=Value("unit", str(obs.unit)), period=period.id, display=shown,
                    score=params.net_loss_points if present else 0.0, note=rule, sources=[obs.source])
    return _Indicator(name, metric, present, (Evidence(statement=statement, sources=sources_of(used)),), observations=(obs,))


def _cash(profile: Profile) -> tuple[MoneyObservation | None, Message | None]:
    """``capital_structure.cash``, unless a period holds a newer cash figure; with what it is."""
    fye = profile.fiscal_year_end_month
    period, latest = _latest(profile, lambda p: p.cash)
    cs = profile.capital_structure
    stated = value(profile, cs.cash) if cs is not None else None
    if stated is not None:
        assert cs is not None
        if period is None or cs.period is None or profile.period(cs.period).end_date(fye) >= period.end_date(fye):
            return stated, (Message("going_concern.cash_at", "cash at the end of {period:period}", period=cs.period) if cs.period
                            else Message("going_concern.cash", "cash"))
    if latest is not None and period is not None:
        return latest, Message("going_concern.cash_at", "cash at the end of {period:period}", period=period.id)
    return None, None


def _money(profile: Profile, base: float, like: MoneyObservation) -> str:
    """An amount in base units, in the presentation unit when ``like`` shares its currency, else in ``like``'s unit."""
    if like.unit.currency == profile.presentation_unit.currency:
        return fmt_money(profile, base)
    return Value.money(base / like.unit.factor, like.unit, 2)


def _runway(profile: Profile, params: GoingConcern.Params, period: Period | None, ocf: MoneyObservation | None) -> _Indicator:
    grid = params.runway_grid
    horizon = f"{params.runway_horizon_months:g}"
    name = Message("going_concern.indicator.runway", "cash runway under {months} months", months=horizon)

    def metric(months: float | None = None, score: float | None = None, display: str | None = None, sources: tuple[str, ...] = ()) -> Metric:
        return Metric(id="cash_runway", label=Message("going_concern.metric.runway", "Cash runway (cash / monthly operating outflow)"), value=months,
                      unit=Message("going_concern.unit.months", "months"), period=period.id if period is not None else None, grid=grid, score=score,
                      display=display, sources=list(sources))

    if ocf is None or period is None:
        return _Indicator(name, metric(), None, gap=DataGap(field="periods[*].operating_cash_flow", reason=Message(
            "going_concern.gap.runway_ocf", "No period reports operating cash flow, so the cash runway is not assessed either.")))
    if ocf.base >= 0:
        return _Indicator(name, metric(score=0.0, display=Message("going_concern.no_burn", "no cash burn"), sources=(ocf.source,)), False)
    cash, cash_label = _cash(profile)
    if cash is None or cash_label is None:
        return _Indicator(name, metric(), None, gap=DataGap(field="capital_structure.cash", reason=Message(
            "going_concern.gap.cash", "Operating cash flow was negative in {period:period} but no cash balance is on file; the runway is not assessed.",
            period=period.id)))
    if cash.unit.currency != ocf.unit.currency:
        return _Indicator(name, metric(), None, gap=DataGap(field="capital_structure.cash", reason=Message(
            "going_concern.gap.currencies", "Cash and operating cash flow are in different currencies and the profile gives no exchange rate; "
            "the runway is not assessed.")))

    monthly_burn = -ocf.base / period.months
    months = max(0.0, cash.base) / monthly_burn
    about = cash.bound != "exact" or ocf.bound != "exact"
    shown = (Message("going_concern.runway_about", "about {months:num1} months", months=months) if about
             else Message("going_concern.runway", "{months:num1} months", months=months))
    sources = tuple(sources_of([cash, ocf]))
    present = months < params.runway_horizon_months
    evidence = Evidence(
        statement=Message("going_concern.runway_evidence", "{cash}: {amount}; operating outflow of {outflow} over the {months} months of "
                          "{period:period}, {monthly} a month: a runway of {runway}.", cash=Value.join([cash_label], capitalize=True),
                          amount=fmt_obs(profile, cash), outflow=fmt_obs(profile, ocf), months=period.months, period=period.id,
                          monthly=_money(profile, monthly_burn, ocf), runway=shown),
        sources=list(sources),
    )
    flags: tuple[RedFlag, ...] = ()
    if present:
        flags = (RedFlag(
            id="going_concern_short_runway", title=Message("going_concern.flag.short_runway", "Cash runway under {months} months", months=horizon),
            detail=Message("going_concern.flag.short_runway.detail", "At the {period:period} rate of operating cash outflow, {cash} lasts {runway}, "
                           "less than the {months} months a going-concern assessment must cover (ISA 570.13).", period=period.id, cash=cash_label,
                           runway=shown, months=horizon),
            sources=list(sources),
        ),)
    return _Indicator(name, metric(round(months, 2), round(grid.score(months), 2), shown, sources), present, (evidence,), flags=flags, observations=(cash, ocf))
