from __future__ import annotations

from pydantic import Field

from typing import Literal
from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GridParam,
    Instrument,
    Metric,
    MoneyObservation,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    Scenario,
    band_for,
    cited,
    clamp,
    fmt_money,
    fmt_obs,
    latest,
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

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        cs = profile.capital_structure
        if cs is None or cs.instruments is None:
            return RubricResult(coverage=0.0, data_gaps=[DataGap(field="capital_structure.instruments", reason="The profile does not say whether redeemable instruments exist.")],
                                narrative="The capital structure has not been researched, so this aspect is not scored.")
        if not cs.instruments:
            return RubricResult(score=0.0, band="Low", evidence=[Evidence(statement="No redeemable or convertible instruments are outstanding.", sources=[])],
                                narrative="No redemption claim is outstanding. Scored 0.0 (Low).")

        evidence, gaps, flags = [], [], []
        amounts: list[tuple[Instrument, MoneyObservation]] = []
        undisclosed: list[Instrument] = []
        for i, inst in enumerate(cs.instruments):
            obs = value(profile, inst.amount)
            trigger = {"listing_failure": "if the listing fails", "deadline": f"at {inst.trigger_date}", "other": "on another trigger"}[inst.trigger]
            shown = fmt_obs(profile, obs) if obs is not None else "amount not disclosed"
            evidence.append(Evidence(
                statement=f"{inst.name}: {shown}{(', held by ' + inst.holder_class) if inst.holder_class else ''}; redemption revives {trigger}; "
                          f"{'converts' if inst.converts_at_listing else 'does not convert'} at listing." + (f" {inst.description}" if inst.description else ""),
                **cited(obs, inst),
            ))
            if obs is None:
                undisclosed.append(inst)
                gaps.append(DataGap(field=f"capital_structure.instruments[{i}].amount", reason=f"{inst.name}: the amount is not disclosed; scored from what is known, with lower confidence."))
            else:
                amounts.append((inst, obs))  # type: ignore[arg-type]
        nl = value(profile, cs.net_liabilities)
        currency = amounts[0][1].unit.currency if amounts else (nl.unit.currency if nl is not None else None)
        if any(obs.unit.currency != currency for _, obs in amounts):
            return RubricResult(coverage=0.0, evidence=evidence, data_gaps=[DataGap(field="capital_structure.instruments[*].amount", reason="Instruments are in different currencies and the profile gives no exchange rate.")],
                                narrative="The claims cannot be added up across currencies, so this aspect is not scored.")
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
            evidence.append(Evidence(statement=f"Undisclosed claims estimated from net liabilities of {fmt_obs(profile, nl)} less the disclosed claims: {fmt_money(profile, estimate)}.", **cited(nl)))
        elif undisclosed and not amounts:
            return self._from_existence(profile, params, cs.instruments, evidence, gaps, coverage)
        more_than = "more than " if at_least else ""  # as an at-least observation reads (多/超)
        claim_decimals = _written(profile, [obs for _, obs in amounts] + ([nl] if estimated else []))  # type: ignore[list-item]

        denominator, denom_label, denom_sources, proxy = self._denominator(profile)
        if denominator is None or denominator.unit.currency != currency or denominator.base <= 0:
            gaps.append(DataGap(field="capital_structure.cash", reason="Neither cash nor annual revenue in the instruments' currency is on file."))
            return RubricResult(coverage=0.0, evidence=evidence, data_gaps=gaps, narrative="There is no denominator for the claim, so this aspect is not scored.")
        if proxy:
            gaps.append(DataGap(field="capital_structure.cash", reason=f"Cash is not on file; {denom_label} is used as the denominator instead."))

        grid = params.claim_ratio_grid
        ratio_fail = claim_fail / denominator.base
        ratio_listed = claim_listed / denominator.base
        def near(inst) -> bool:  # type: ignore[no-untyped-def]
            return inst.trigger_date is not None and months_between(profile.as_of, inst.trigger_date.start) <= params.trigger_window_months

        bonus = Adjustment(label=f"Redemption date within {params.trigger_window_months:g} months", points=params.trigger_points)
        every = [inst for inst, _ in amounts] + undisclosed
        fail_adjustments = [bonus] if any(near(inst) for inst in every) else []
        listed_adjustments = [bonus] if any(near(inst) and not inst.converts_at_listing for inst in every) else []
        fail_adjustments += self._balance_sheet_and_process(profile, params, evidence)

        def scenario_score(claim: float, ratio: float, adjustments: list[Adjustment]) -> float:
            if claim <= 0:
                return 0.0
            return round(clamp(grid.score(ratio) + sum(a.points for a in adjustments)), 2)

        fail_score = scenario_score(claim_fail, ratio_fail, fail_adjustments)
        approx = "about " if estimated else more_than
        listed_score = scenario_score(claim_listed, ratio_listed, listed_adjustments)
        headline = params.headline_scenario
        adjustments = fail_adjustments if headline == "listing_fails" else listed_adjustments
        scenarios = [
            Scenario(id="listed", label="Listed: convertible instruments convert", score=listed_score, band=band_for(listed_score), headline=headline == "listed",
                     note=f"Remaining claim {fmt_money(profile, claim_listed, claim_decimals)}."),
            Scenario(id="listing_fails", label="Listing fails: redemption rights revive", score=fail_score, band=band_for(fail_score), headline=headline == "listing_fails",
                     note=f"Claim {approx}{fmt_money(profile, claim_fail, claim_decimals)}, {ratio_fail:.2f}× {denom_label}."),
        ]
        ratio_sources = claim_sources + [s for s in denom_sources if s not in claim_sources]
        metrics = [
            Metric(id="claim_ratio_listing_fails", label=f"Claim if the listing fails / {denom_label}", value=ratio_fail, unit="×", grid=grid,
                   score=fail_score, weight=1.0 if headline == "listing_fails" else 0.0, sources=ratio_sources,
                   display=f"{'≈ ' if estimated else '≥ ' if at_least else ''}{ratio_fail:.2f}×",
                   path="capital_structure.instruments[0].amount" if len(amounts) == 1 else None),
            Metric(id="claim_ratio_listed", label=f"Claim once listed / {denom_label}", value=ratio_listed, unit="×", grid=grid,
                   score=listed_score, weight=1.0 if headline == "listed" else 0.0, sources=ratio_sources, display=f"{ratio_listed:.2f}×"),
        ]
        evidence.append(Evidence(statement=f"Denominator: {denom_label}, {fmt_obs(profile, denominator)}.", **cited(denominator, sources=denom_sources)))

        ocf_period, ocf = latest(profile, lambda p: p.operating_cash_flow)
        annual_ocf = ocf.base * 12 / ocf_period.months if ocf is not None and ocf.unit.currency == currency else 0.0  # type: ignore[union-attr]
        capacity = denominator.base + annual_ocf
        if claim_fail > capacity:
            # State the parts, so the total is not read as the denominator alone.
            parts = f"{denom_label} of {fmt_obs(profile, denominator)}" + (" (standing in for cash, which is not on file)" if proxy else "")
            if ocf is None:
                parts += "; no operating cash flow is on file"
            else:
                flow = "operating cash flow" if annual_ocf >= 0 else "operating cash outflow"
                year = fmt_money(profile, abs(annual_ocf), _written(profile, [ocf]))  # type: ignore[list-item]
                parts += f" {'plus' if annual_ocf >= 0 else 'less'} " + (
                    f"{flow} for {ocf_period.id}, {year}" if ocf_period.months == 12  # type: ignore[union-attr]
                    else f"a year of {flow} at the {ocf_period.id} rate, {year} ({fmt_obs(profile, ocf)} in {ocf_period.id}, annualised)")  # type: ignore[union-attr]
            flags.append(RedFlag(
                id="redemption_claim_exceeds_resources", title="Redemption claim exceeds the means to pay it",
                detail=f"If the listing fails, a claim of {approx}{fmt_money(profile, claim_fail, claim_decimals)} falls due against "
                       f"{fmt_money(profile, capacity, _written(profile, [denominator] + ([ocf] if ocf is not None else [])))}: {parts}.",  # type: ignore[list-item]
                sources=ratio_sources + ([ocf.source] if ocf is not None and ocf.source not in ratio_sources else []),  # type: ignore[union-attr]
            ))
        score = fail_score if headline == "listing_fails" else listed_score
        narrative = (f"If the listing fails, {approx}{fmt_money(profile, claim_fail, claim_decimals)} of redemption claims fall due, "
                     f"{ratio_fail:.2f}× {denom_label}; if it succeeds, {fmt_money(profile, claim_listed, claim_decimals)} remains. "
                     f"The headline uses the {headline.replace('_', ' ')} scenario. Scored {score:.1f} ({band_for(score)}).")
        return RubricResult(score=score, band=band_for(score), coverage=coverage, metrics=metrics, adjustments=adjustments, evidence=evidence,
                            red_flags=flags, data_gaps=gaps, scenarios=scenarios, narrative=narrative)

    @staticmethod
    def _balance_sheet_and_process(profile: Profile, params: "RedemptionOverhang.Params", evidence: list[Evidence]) -> list[Adjustment]:
        """Adjustments to the listing-fails scenario from the balance sheet and the listing process."""
        cs = profile.capital_structure
        out = []
        ncl = value(profile, cs.net_current_liabilities) if cs else None
        if ncl is not None and ncl.base > 0:
            evidence.append(Evidence(statement=f"Net current liabilities of {fmt_obs(profile, ncl)}: short-term obligations exceed short-term assets.", **cited(ncl)))
            out.append(Adjustment(label="Net current liabilities", points=params.net_current_liabilities_points))
        ratio = value(profile, cs.liabilities_to_assets) if cs else None
        if ratio is not None:
            evidence.append(Evidence(statement=f"Liabilities are {fmt_obs(profile, ratio)} of assets" + (" — more than the company owns." if ratio.value > 100 else "."), **cited(ratio)))
        current = latest_stage(profile)
        if current is not None and current.filing.status == "filed":
            if current.post_hearing:
                # Doubtful good news never lowers the risk: only a verified report of the hearing earns the credit.
                reports = [m for m in current.milestones if m.kind in ("hearing_passed", "phip_published")]
                if any(not m.unverified for m in reports):
                    evidence.append(Evidence(statement=f"The latest filing ({current.filing.id}) has passed its hearing: {current.describe()}.", **cited(*current.milestones)))
                    out.append(Adjustment(label=f"Latest filing past its hearing ({current.filing.id})", points=params.hearing_passed_points))
                else:
                    evidence.append(Evidence(statement=f"The latest filing ({current.filing.id}) is reported past its hearing, but no report of it is "
                                                       "verified: shown, not credited (an unverified report never lowers the risk).",
                                             sources=sorted({m.source for m in reports})))  # not a citation the score rests on
            if current.sponsor_open:
                out.append(Adjustment(label=f"Sponsor or coordinator resigned, none appointed since ({current.filing.id})", points=params.sponsor_resigned_points))
        return out

    @staticmethod
    def _from_existence(profile: Profile, params: "RedemptionOverhang.Params", instruments: list[Instrument], evidence: list[Evidence],
                        gaps: list[DataGap], coverage: float) -> RubricResult:
        """No amount and no net liabilities: score the listing-fails scenario from the instruments' existence and trigger."""
        gaps.append(DataGap(field="capital_structure.net_liabilities", reason="Neither the instruments' amounts nor net liabilities are on file; the score rests on their existence and trigger."))
        revive = [inst for inst in instruments if inst.trigger in ("listing_failure", "deadline")]
        base = params.undisclosed_claim_score if revive else params.undisclosed_claim_score / 2
        adjustments = RedemptionOverhang._balance_sheet_and_process(profile, params, evidence)
        fail_score = round(clamp(base + sum(a.points for a in adjustments)), 2)
        listed_score = round(clamp(base), 2) if any(not inst.converts_at_listing for inst in instruments) else 0.0
        headline = params.headline_scenario
        scenarios = [
            Scenario(id="listed", label="Listed: convertible instruments convert", score=listed_score, band=band_for(listed_score), headline=headline == "listed",
                     note="Amounts not disclosed."),
            Scenario(id="listing_fails", label="Listing fails: redemption rights revive", score=fail_score, band=band_for(fail_score), headline=headline == "listing_fails",
                     note="Amounts not disclosed; scored from the instruments' existence and trigger."),
        ]
        score = fail_score if headline == "listing_fails" else listed_score
        metric = Metric(id="undisclosed_instruments", label="Redeemable instruments, amount not disclosed", value=float(len(instruments)), unit="instruments",
                        score=score, note=f"undisclosed_claim_score {params.undisclosed_claim_score:g}",
                        sources=sorted({s for inst in instruments for s in inst.sources}))
        narrative = (f"{len(instruments)} redeemable instrument(s) whose amount is not disclosed; scored from their existence and trigger, "
                     f"with lower confidence. Scored {score:.1f} ({band_for(score)}).")
        return RubricResult(score=score, band=band_for(score), coverage=coverage, metrics=[metric], evidence=evidence, data_gaps=gaps,
                            adjustments=adjustments if headline == "listing_fails" else [], scenarios=scenarios, narrative=narrative)

    @staticmethod
    def _denominator(profile: Profile) -> tuple[MoneyObservation | None, str, list[str], bool]:
        cs = profile.capital_structure
        cash = value(profile, cs.cash) if cs else None
        if cash is not None:
            return cash, "cash and short-term investments", [cash.source], False  # type: ignore[return-value]
        period, cash = latest(profile, lambda p: p.cash)
        if cash is not None:
            return cash, f"cash at {period.id}", [cash.source], False  # type: ignore[union-attr,return-value]
        years = series(profile, lambda p: p.revenue, annual_only=True)
        if years:
            period, revenue = years[-1]
            return revenue, f"{period.id} revenue", [revenue.source], True  # type: ignore[return-value]
        return None, "", [], True


def _written(profile: Profile, observations: list[MoneyObservation]) -> int:
    """Decimals to show a sum of ``observations`` in the presentation unit: those of its most
    precise term when every term is written in that unit, else two."""
    unit = profile.presentation_unit
    return max((o.decimals if o.unit == unit else 2 for o in observations), default=2)
