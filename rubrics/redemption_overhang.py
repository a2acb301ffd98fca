from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GridParam,
    Instrument,
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
    Scenario,
    Text,
    Value,
    band_for,
    cited,
    clamp,
    fmt_money,
    fmt_obs,
    latest_stage,
    months_between,
    series,
    value,
)


class RedemptionOverhang(Rubric):
    """Redeemable instruments whose claim falls due if the listing does not happen.

    Pre-IPO investors often hold preferred shares with a redemption right that ends at
    listing, and HKEX GL43-12 lets such exit rights survive only *if the listing does not
    happen*: the claim is an overhang that a failed listing turns into debt. Two scenarios
    are scored and both are shown. *Listed*: instruments that convert at listing fall away
    and only the others remain. *Listing fails*: every redeemable instrument's claim falls
    due. The claim is divided by cash and short-term investments (capital structure, else
    the latest period with cash) and the ratio scored on `claim_ratio_grid` (0.25× or less
    scores 10, 10× or more 100; no claim at all scores 0). Where cash is not on file, the
    latest fiscal year's revenue is the denominator and the memo says so. A trigger date
    within `trigger_window_months` of the as-of date adds `trigger_points`.
    `headline_scenario` (default: listing fails, the risk the listing is meant to retire)
    is the scenario the rubric score uses.
    Red flag: the listing-fails claim exceeds cash plus a year of operating cash flow (with
    cash unknown, a year of revenue stands in for it, as stated in the flag).

    An instrument whose amount is not disclosed is scored from what is known, with the
    rubric's coverage lowered to `undisclosed_coverage`: its claim is estimated as the net
    liabilities on file less the disclosed claims; with no net liabilities either, the
    listing-fails scenario scores `undisclosed_claim_score` from the instrument's existence and
    trigger alone. Net current liabilities (short-term obligations exceed short-term assets)
    add `net_current_liabilities_points` to the listing-fails scenario.
    The listing process moves the listing-fails scenario: a latest filing past its hearing
    (hearing passed or PHIP published) adds `hearing_passed_points` (negative by default: the
    listing is closer), a sponsor or coordinator that resigned with no replacement on file adds
    `sponsor_resigned_points`.
    """

    id = "redemption_overhang"
    title = "Redemption overhang"
    version = "1.0"
    default_weight = 20
    contract_version = 1
    red_flag_ids = ("redemption_claim_exceeds_resources",)

    class Params(RubricParams):
        claim_ratio_grid: GridParam
        trigger_window_months: float = Field(ge=0)
        trigger_points: float = Field(ge=0, le=100)
        headline_scenario: Literal["listing_fails", "listed"]
        undisclosed_claim_score: float = Field(ge=0, le=100)
        undisclosed_coverage: float = Field(ge=0, le=1)
        net_current_liabilities_points: float = Field(ge=0, le=100)
        hearing_passed_points: float = Field(ge=-100, le=0)
        sponsor_resigned_points: float = Field(ge=0, le=100)

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        cs = profile.capital_structure
        if cs is None or cs.instruments is None:
            return RubricResult(coverage=0.0, data_gaps=[DataGap(field="capital_structure.instruments", reason=Message(
                                    "redemption_overhang.gap.instruments", "The profile does not say whether redeemable instruments exist."))],
                                narrative=Message("redemption_overhang.narrative.not_researched",
                                                  "The capital structure has not been researched, so this aspect is not scored."))
        if not cs.instruments:
            return RubricResult(score=0.0, band="Low", evidence=[Evidence(statement=Message(
                                    "redemption_overhang.none_outstanding", "No redeemable or convertible instruments are outstanding."), sources=[])],
                                narrative=Message("redemption_overhang.narrative.none", "No redemption claim is outstanding. {scored}", scored=_scored(0.0)))

        evidence, gaps, flags = [], [], []
        amounts: list[tuple[Instrument, MoneyObservation]] = []
        undisclosed: list[Instrument] = []
        for i, inst in enumerate(cs.instruments):
            obs = value(profile, inst.amount)
            where = f"capital_structure.instruments[{i}]"
            trigger = {"listing_failure": Message("redemption_overhang.trigger.listing_failure", "if the listing fails"),
                       "deadline": Message("redemption_overhang.trigger.deadline", "at {date}", date=Value.date(inst.trigger_date)),
                       "other": Message("redemption_overhang.trigger.other", "on another trigger")}[inst.trigger]
            name = Text(inst.name, path=f"{where}.name")
            shown = fmt_obs(profile, obs) if obs is not None else Message("redemption_overhang.amount_undisclosed", "amount not disclosed")
            parts = [Message("redemption_overhang.instrument", "{name}: {amount}", name=name, amount=shown)]
            if inst.holder_class:
                parts.append(Message("redemption_overhang.held_by", ", held by {holders}", holders=Text(inst.holder_class, path=f"{where}.holder_class")))
            parts.append(Message("redemption_overhang.revives", "; redemption revives {trigger}; ", trigger=trigger))
            parts.append(Message("redemption_overhang.converts", "converts at listing.") if inst.converts_at_listing
                         else Message("redemption_overhang.does_not_convert", "does not convert at listing."))
            if inst.description:
                parts.append(Message("redemption_overhang.instrument_description", " {description}", description=Text(inst.description, path=f"{where}.description")))
            evidence.append(Evidence(
                statement=Value.join(parts, ""),
                **cited(obs, inst),
            ))
            if obs is None:
                undisclosed.append(inst)
                gaps.append(DataGap(field=f"capital_structure.instruments[{i}].amount", reason=Message(
                    "redemption_overhang.gap.amount", "{name}: the amount is not disclosed; scored from what is known, with lower confidence.", name=name)))
            else:
                amounts.append((inst, obs))
        nl = value(profile, cs.net_liabilities)
        currency = amounts[0][1].unit.currency if amounts else (nl.unit.currency if nl is not None else None)
        if any(obs.unit.currency != currency for _, obs in amounts):
            return RubricResult(coverage=0.0, evidence=evidence, data_gaps=[DataGap(field="capital_structure.instruments[*].amount", reason=Message(
                                    "redemption_overhang.gap.currencies", "Instruments are in different currencies and the profile gives no exchange rate."))],
                                narrative=Message("redemption_overhang.narrative.currencies", "The claims cannot be added up across currencies, so this aspect is not scored."))
        claim_fail = sum(obs.base for _, obs in amounts)
        claim_listed = sum(obs.base for inst, obs in amounts if not inst.converts_at_listing)
        claim_sources = sorted({obs.source for _, obs in amounts})
        at_least = any(obs.bound == "at_least" for _, obs in amounts)
        coverage = params.undisclosed_coverage if undisclosed else 1.0
        estimated = False
        if undisclosed and nl is not None and nl.unit.currency == currency and nl.base > claim_fail:
            estimate = nl.base - claim_fail  # net liabilities less the disclosed claims
            claim_fail += estimate
            if any(not inst.converts_at_listing for inst in undisclosed):
                claim_listed += estimate
            estimated = True
            claim_sources = sorted({*claim_sources, nl.source})
            evidence.append(Evidence(statement=Message("redemption_overhang.estimated",
                                                       "Undisclosed claims estimated from net liabilities of {liabilities} less the disclosed claims: {estimate}.",
                                                       liabilities=fmt_obs(profile, nl), estimate=fmt_money(profile, estimate)), **cited(nl)))
        elif undisclosed and not amounts:
            return self._from_existence(profile, params, cs.instruments, evidence, gaps, coverage)
        claim_terms = [obs for _, obs in amounts]
        if estimated and nl is not None:  # an estimate is made only from net liabilities on file
            claim_terms.append(nl)
        claim_decimals = _written(profile, claim_terms)
        # "about" for an estimate, "more than" as an at-least observation reads (多/超)
        claim_text = Value.bounded_money_base(claim_fail, profile.presentation_unit, claim_decimals,
                                              "about" if estimated else "at_least" if at_least else "exact")

        denominator, denom_label, denom_sources, proxy = self._denominator(profile)
        if denominator is None or denominator.unit.currency != currency or denominator.base <= 0:
            gaps.append(DataGap(field="capital_structure.cash", reason=Message(
                "redemption_overhang.gap.denominator", "Neither cash nor annual revenue in the instruments' currency is on file.")))
            return RubricResult(coverage=0.0, evidence=evidence, data_gaps=gaps, narrative=Message(
                "redemption_overhang.narrative.no_denominator", "There is no denominator for the claim, so this aspect is not scored."))
        if proxy:
            gaps.append(DataGap(field="capital_structure.cash", reason=Message(
                "redemption_overhang.gap.cash", "Cash is not on file; {denominator} is used as the denominator instead.", denominator=denom_label)))

        grid = params.claim_ratio_grid
        ratio_fail = claim_fail / denominator.base
        ratio_listed = claim_listed / denominator.base
        def near(inst: Instrument) -> bool:
            return inst.trigger_date is not None and months_between(profile.as_of, inst.trigger_date.start) <= params.trigger_window_months

        bonus = Adjustment(label=Message("redemption_overhang.near", "Redemption date within {months} months", months=params.trigger_window_months),
                           points=params.trigger_points)
        every = [inst for inst, _ in amounts] + undisclosed
        fail_adjustments = [bonus] if any(near(inst) for inst in every) else []
        listed_adjustments = [bonus] if any(near(inst) and not inst.converts_at_listing for inst in every) else []
        fail_adjustments += self._balance_sheet_and_process(profile, params, evidence)

        def scenario_score(claim: float, ratio: float, adjustments: list[Adjustment]) -> float:
            if claim <= 0:
                return 0.0
            return round(clamp(grid.score(ratio) + sum(a.points for a in adjustments)), 2)

        fail_score = scenario_score(claim_fail, ratio_fail, fail_adjustments)
        listed_score = scenario_score(claim_listed, ratio_listed, listed_adjustments)
        headline = params.headline_scenario
        adjustments = fail_adjustments if headline == "listing_fails" else listed_adjustments
        scenarios = [
            Scenario(id="listed", label=_LISTED, score=listed_score, band=band_for(listed_score), headline=headline == "listed",
                     note=Message("redemption_overhang.scenario.listed_note", "Remaining claim {claim}.", claim=fmt_money(profile, claim_listed, claim_decimals))),
            Scenario(id="listing_fails", label=_FAILS, score=fail_score, band=band_for(fail_score), headline=headline == "listing_fails",
                     note=Message("redemption_overhang.scenario.fails_note", "Claim {claim}, {ratio:ratio} {denominator}.", claim=claim_text, ratio=ratio_fail,
                                  denominator=denom_label)),
        ]
        ratio_sources = claim_sources + [s for s in denom_sources if s not in claim_sources]
        metrics = [
            Metric(id="claim_ratio_listing_fails", label=Message("redemption_overhang.metric.fails", "Claim if the listing fails / {denominator}", denominator=denom_label),
                   value=ratio_fail, unit="×", grid=grid,
                   score=fail_score, weight=1.0 if headline == "listing_fails" else 0.0, sources=ratio_sources,
                   display=(Message("redemption_overhang.about_ratio", "≈ {ratio:ratio}", ratio=ratio_fail) if estimated
                            else Message("redemption_overhang.at_least_ratio", "≥ {ratio:ratio}", ratio=ratio_fail) if at_least
                            else Message("redemption_overhang.ratio", "{ratio:ratio}", ratio=ratio_fail)),
                   path="capital_structure.instruments[0].amount" if len(amounts) == 1 else None),
            Metric(id="claim_ratio_listed", label=Message("redemption_overhang.metric.listed", "Claim once listed / {denominator}", denominator=denom_label),
                   value=ratio_listed, unit="×", grid=grid, score=listed_score, weight=1.0 if headline == "listed" else 0.0, sources=ratio_sources,
                   display=Message("redemption_overhang.ratio", "{ratio:ratio}", ratio=ratio_listed)),
        ]
        evidence.append(Evidence(statement=Message("redemption_overhang.denominator", "Denominator: {denominator}, {amount}.", denominator=denom_label,
                                                   amount=fmt_obs(profile, denominator)), **cited(denominator, sources=denom_sources)))

        ocf_period, ocf = _latest_money(profile, lambda p: p.operating_cash_flow)  # both None, or neither
        annual_ocf = ocf.base * 12 / ocf_period.months if ocf is not None and ocf_period is not None and ocf.unit.currency == currency else 0.0
        capacity = denominator.base + annual_ocf
        if claim_fail > capacity:
            # State the parts, so the total is not read as the denominator alone.
            means = (Message("redemption_overhang.parts.proxy", "{denominator} of {amount} (standing in for cash, which is not on file)",
                             denominator=denom_label, amount=fmt_obs(profile, denominator)) if proxy else
                     Message("redemption_overhang.parts.denominator", "{denominator} of {amount}", denominator=denom_label, amount=fmt_obs(profile, denominator)))
            if ocf is None or ocf_period is None:
                means = Message("redemption_overhang.parts.no_ocf", "{parts}; no operating cash flow is on file", parts=means)
            else:
                flow = (Message("redemption_overhang.flow.inflow", "operating cash flow") if annual_ocf >= 0
                        else Message("redemption_overhang.flow.outflow", "operating cash outflow"))
                year = fmt_money(profile, abs(annual_ocf), _written(profile, [ocf]))
                plus = annual_ocf >= 0
                if ocf_period.months == 12:
                    means = (Message("redemption_overhang.parts.plus_year", "{parts} plus {flow} for {period:period}, {amount}", parts=means, flow=flow,
                                     period=ocf_period.id, amount=year) if plus else
                             Message("redemption_overhang.parts.less_year", "{parts} less {flow} for {period:period}, {amount}", parts=means, flow=flow,
                                     period=ocf_period.id, amount=year))
                else:
                    rate = dict(parts=means, flow=flow, period=ocf_period.id, amount=year, observed=fmt_obs(profile, ocf))
                    means = (Message("redemption_overhang.parts.plus_rate",
                                     "{parts} plus a year of {flow} at the {period:period} rate, {amount} ({observed} in {period:period}, annualised)", **rate) if plus else
                             Message("redemption_overhang.parts.less_rate",
                                     "{parts} less a year of {flow} at the {period:period} rate, {amount} ({observed} in {period:period}, annualised)", **rate))
            flags.append(RedFlag(
                id="redemption_claim_exceeds_resources", title=Message("redemption_overhang.flag.title", "Redemption claim exceeds the means to pay it"),
                detail=Message("redemption_overhang.flag.detail", "If the listing fails, a claim of {claim} falls due against {capacity}: {parts}.",
                               claim=claim_text, parts=means,
                               capacity=fmt_money(profile, capacity, _written(profile, [denominator] + ([ocf] if ocf is not None else [])))),
                sources=ratio_sources + ([ocf.source] if ocf is not None and ocf.source not in ratio_sources else []),
            ))
        score = fail_score if headline == "listing_fails" else listed_score
        narrative = Message("redemption_overhang.narrative",
                            "If the listing fails, {claim} of redemption claims fall due, {ratio:ratio} {denominator}; if it succeeds, {remaining} remains. "
                            "The headline uses the {headline} scenario. {scored}", claim=claim_text, ratio=ratio_fail, denominator=denom_label,
                            remaining=fmt_money(profile, claim_listed, claim_decimals), headline=Value.term("scenario", headline), scored=_scored(score))
        return RubricResult(score=score, band=band_for(score), coverage=coverage, metrics=metrics, adjustments=adjustments, evidence=evidence,
                            red_flags=flags, data_gaps=gaps, scenarios=scenarios, narrative=narrative)

    @staticmethod
    def _balance_sheet_and_process(profile: Profile, params: RedemptionOverhang.Params, evidence: list[Evidence]) -> list[Adjustment]:
        """Adjustments to the listing-fails scenario from the balance sheet and the listing process."""
        cs = profile.capital_structure
        out = []
        ncl = value(profile, cs.net_current_liabilities) if cs else None
        if ncl is not None and ncl.base > 0:
            evidence.append(Evidence(statement=Message("redemption_overhang.net_current_liabilities",
                                                       "Net current liabilities of {amount}: short-term obligations exceed short-term assets.",
                                                       amount=fmt_obs(profile, ncl)), **cited(ncl)))
            out.append(Adjustment(label=Message("redemption_overhang.adjustment.net_current_liabilities", "Net current liabilities"),
                                  points=params.net_current_liabilities_points))
        ratio = value(profile, cs.liabilities_to_assets) if cs else None
        if ratio is not None:
            statement = (Message("redemption_overhang.liabilities_over_assets", "Liabilities are {ratio} of assets — more than the company owns.",
                                 ratio=fmt_obs(profile, ratio)) if ratio.value > 100 else
                         Message("redemption_overhang.liabilities_to_assets", "Liabilities are {ratio} of assets.", ratio=fmt_obs(profile, ratio)))
            evidence.append(Evidence(statement=statement, **cited(ratio)))
        current = latest_stage(profile)
        if current is not None and current.filing.status == "filed":
            if current.post_hearing:
                # Doubtful good news never lowers the risk: only a verified report of the hearing earns the credit.
                reports = [m for m in current.milestones if m.kind in ("hearing_passed", "phip_published")]
                if any(not m.unverified for m in reports):
                    evidence.append(Evidence(statement=Message("redemption_overhang.hearing_passed", "The latest filing ({filing}) has passed its hearing: {stage}.",
                                                               filing=current.filing.id, stage=current.describe()), **cited(*current.milestones)))
                    out.append(Adjustment(label=Message("redemption_overhang.adjustment.hearing_passed", "Latest filing past its hearing ({filing})",
                                                        filing=current.filing.id), points=params.hearing_passed_points))
                else:
                    evidence.append(Evidence(statement=Message("redemption_overhang.hearing_unverified",
                                                               "The latest filing ({filing}) is reported past its hearing, but no report of it is "
                                                               "verified: shown, not credited (an unverified report never lowers the risk).",
                                                               filing=current.filing.id),
                                             sources=sorted({m.source for m in reports})))  # not a citation the score rests on
            if current.sponsor_open:
                out.append(Adjustment(label=Message("redemption_overhang.adjustment.sponsor_resigned", "Sponsor or coordinator resigned, none appointed since ({filing})",
                                                    filing=current.filing.id), points=params.sponsor_resigned_points))
        return out

    @staticmethod
    def _from_existence(profile: Profile, params: RedemptionOverhang.Params, instruments: list[Instrument], evidence: list[Evidence],
                        gaps: list[DataGap], coverage: float) -> RubricResult:
        """No amount and no net liabilities: score the listing-fails scenario from the instruments' existence and trigger."""
        gaps.append(DataGap(field="capital_structure.net_liabilities", reason=Message(
            "redemption_overhang.gap.existence", "Neither the instruments' amounts nor net liabilities are on file; the score rests on their existence and trigger.")))
        revive = [inst for inst in instruments if inst.trigger in ("listing_failure", "deadline")]
        base = params.undisclosed_claim_score if revive else params.undisclosed_claim_score / 2
        adjustments = RedemptionOverhang._balance_sheet_and_process(profile, params, evidence)
        fail_score = round(clamp(base + sum(a.points for a in adjustments)), 2)
        listed_score = round(clamp(base), 2) if any(not inst.converts_at_listing for inst in instruments) else 0.0
        headline = params.headline_scenario
        scenarios = [
            Scenario(id="listed", label=_LISTED, score=listed_score, band=band_for(listed_score), headline=headline == "listed",
                     note=Message("redemption_overhang.scenario.listed_undisclosed", "Amounts not disclosed.")),
            Scenario(id="listing_fails", label=_FAILS, score=fail_score, band=band_for(fail_score), headline=headline == "listing_fails",
                     note=Message("redemption_overhang.scenario.fails_undisclosed", "Amounts not disclosed; scored from the instruments' existence and trigger.")),
        ]
        score = fail_score if headline == "listing_fails" else listed_score
        metric = Metric(id="undisclosed_instruments", label=Message("redemption_overhang.metric.undisclosed", "Redeemable instruments, amount not disclosed"),
                        value=float(len(instruments)), unit=Message("unit.instruments", "instruments"),
                        score=score, note=Message("redemption_overhang.undisclosed_note", "undisclosed_claim_score {score}", score=params.undisclosed_claim_score),
                        sources=sorted({s for inst in instruments for s in inst.sources}))
        narrative = Message("redemption_overhang.narrative.undisclosed",
                            "{count} redeemable instrument(s) whose amount is not disclosed; scored from their existence and trigger, "
                            "with lower confidence. {scored}", count=len(instruments), scored=_scored(score))
        return RubricResult(score=score, band=band_for(score), coverage=coverage, metrics=[metric], evidence=evidence, data_gaps=gaps,
                            adjustments=adjustments if headline == "listing_fails" else [], scenarios=scenarios, narrative=narrative)

    @staticmethod
    def _denominator(profile: Profile) -> tuple[MoneyObservation | None, str, list[str], bool]:
        cs = profile.capital_structure
        cash = value(profile, cs.cash) if cs else None
        if cash is not None:
            return cash, Message("redemption_overhang.denominator.cash", "cash and short-term investments"), [cash.source], False
        period, cash = _latest_money(profile, lambda p: p.cash)
        if cash is not None and period is not None:
            return cash, Message("redemption_overhang.denominator.cash_at", "cash at {period:period}", period=period.id), [cash.source], False
        years = _money_series(profile, lambda p: p.revenue, annual_only=True)
        if years:
            period, revenue = years[-1]
            return revenue, Message("redemption_overhang.denominator.revenue", "{period:period} revenue", period=period.id), [revenue.source], True
        return None, "", [], True


_LISTED = Message("redemption_overhang.scenario.listed", "Listed: convertible instruments convert")
_FAILS = Message("redemption_overhang.scenario.fails", "Listing fails: redemption rights revive")


def _scored(score: float) -> Message:
    return Message("rubric.scored", "Scored {score:score} ({band}).", score=score, band=Value.band(band_for(score)))


def _money_series(profile: Profile, get: Callable[[Period], MoneyFigure | None], annual_only: bool = False) -> list[tuple[Period, MoneyObservation]]:
    """:func:`series` of a money figure, typed as such (a money figure holds only money observations)."""
    return [(period, obs) for period, obs in series(profile, get, annual_only) if isinstance(obs, MoneyObservation)]


def _latest_money(profile: Profile, get: Callable[[Period], MoneyFigure | None]) -> tuple[Period, MoneyObservation] | tuple[None, None]:
    """:func:`latest` of a money figure, typed as such."""
    found = _money_series(profile, get)
    return found[-1] if found else (None, None)


def _written(profile: Profile, observations: list[MoneyObservation]) -> int:
    """Decimals to show a sum of ``observations`` in the presentation unit: those of its most
    precise term when every term is written in that unit, else two."""
    unit = profile.presentation_unit
    return max((o.decimals if o.unit == unit else 2 for o in observations), default=2)
