from __future__ import annotations

from pydantic import Field

from typing import Literal
from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GridParam,
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

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        cs = profile.capital_structure
        if cs is None or cs.instruments is None:
            return RubricResult(coverage=0.0, data_gaps=[DataGap(field="capital_structure.instruments", reason="The profile does not say whether redeemable instruments exist.")],
                                narrative="The capital structure has not been researched, so this aspect is not scored.")
        if not cs.instruments:
            return RubricResult(score=0.0, band="Low", evidence=[Evidence(statement="No redeemable or convertible instruments are outstanding.", sources=[])],
                                narrative="No redemption claim is outstanding. Scored 0.0 (Low).")

        evidence, gaps, flags = [], [], []
        amounts: list[tuple[object, MoneyObservation]] = []
        for inst in cs.instruments:
            obs = value(profile, inst.amount)
            amounts.append((inst, obs))  # type: ignore[arg-type]
            trigger = {"listing_failure": "if the listing fails", "deadline": f"at {inst.trigger_date}", "other": "on another trigger"}[inst.trigger]
            evidence.append(Evidence(
                statement=f"{inst.name}: {fmt_obs(profile, obs)}{(', held by ' + inst.holder_class) if inst.holder_class else ''}; redemption revives {trigger}; "
                          f"{'converts' if inst.converts_at_listing else 'does not convert'} at listing." + (f" {inst.description}" if inst.description else ""),
                **cited(obs, inst),
            ))
        currency = amounts[0][1].unit.currency
        if any(obs.unit.currency != currency for _, obs in amounts):
            return RubricResult(coverage=0.0, evidence=evidence, data_gaps=[DataGap(field="capital_structure.instruments[*].amount", reason="Instruments are in different currencies and the profile gives no exchange rate.")],
                                narrative="The claims cannot be added up across currencies, so this aspect is not scored.")
        claim_fail = sum(obs.base for _, obs in amounts)
        claim_listed = sum(obs.base for inst, obs in amounts if not inst.converts_at_listing)  # type: ignore[attr-defined]
        claim_sources = sorted({obs.source for _, obs in amounts})
        at_least = any(obs.bound == "at_least" for _, obs in amounts)
        more_than = "more than " if at_least else ""  # as an at-least observation reads (多/超)
        claim_decimals = _written(profile, [obs for _, obs in amounts])

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
        fail_adjustments = [bonus] if any(near(inst) for inst, _ in amounts) else []
        listed_adjustments = [bonus] if any(near(inst) and not inst.converts_at_listing for inst, _ in amounts) else []  # type: ignore[attr-defined]

        def scenario_score(claim: float, ratio: float, adjustments: list[Adjustment]) -> float:
            if claim <= 0:
                return 0.0
            return round(clamp(grid.score(ratio) + sum(a.points for a in adjustments)), 2)

        fail_score = scenario_score(claim_fail, ratio_fail, fail_adjustments)
        listed_score = scenario_score(claim_listed, ratio_listed, listed_adjustments)
        headline = params.headline_scenario
        adjustments = fail_adjustments if headline == "listing_fails" else listed_adjustments
        scenarios = [
            Scenario(id="listed", label="Listed: convertible instruments convert", score=listed_score, band=band_for(listed_score), headline=headline == "listed",
                     note=f"Remaining claim {fmt_money(profile, claim_listed, claim_decimals)}."),
            Scenario(id="listing_fails", label="Listing fails: redemption rights revive", score=fail_score, band=band_for(fail_score), headline=headline == "listing_fails",
                     note=f"Claim {more_than}{fmt_money(profile, claim_fail, claim_decimals)}, {ratio_fail:.2f}× {denom_label}."),
        ]
        ratio_sources = claim_sources + [s for s in denom_sources if s not in claim_sources]
        metrics = [
            Metric(id="claim_ratio_listing_fails", label=f"Claim if the listing fails / {denom_label}", value=ratio_fail, unit="×", grid=grid,
                   score=fail_score, weight=1.0 if headline == "listing_fails" else 0.0, sources=ratio_sources,
                   display=f"{'≥ ' if at_least else ''}{ratio_fail:.2f}×",
                   path="capital_structure.instruments[0].amount" if len(amounts) == 1 else None),
            Metric(id="claim_ratio_listed", label=f"Claim once listed / {denom_label}", value=ratio_listed, unit="×", grid=grid,
                   score=listed_score, weight=1.0 if headline == "listed" else 0.0, sources=ratio_sources, display=f"{ratio_listed:.2f}×"),
        ]
        evidence.append(Evidence(statement=f"Denominator: {denom_label}, {fmt_obs(profile, denominator)}.", **cited(denominator, sources=denom_sources)))

        ocf_period, ocf = latest(profile, lambda p: p.operating_cash_flow)
        annual_ocf = ocf.base * 12 / ocf_period.months if ocf is not None and ocf.unit.currency == currency else 0.0  # type: ignore[union-attr]
        capacity = denominator.base + annual_ocf
        if claim_fail > capacity:
            basis = f"{denom_label}" + (f" plus a year of operating cash flow at the {ocf_period.id} rate" if ocf is not None else " (no operating cash flow on file)")  # type: ignore[union-attr]
            flags.append(RedFlag(
                id="redemption_claim_exceeds_resources", title="Redemption claim exceeds the means to pay it",
                detail=f"If the listing fails, a claim of {more_than}{fmt_money(profile, claim_fail, claim_decimals)} falls due against "
                       f"{fmt_money(profile, capacity, _written(profile, [denominator] + ([ocf] if ocf is not None else [])))} of {basis}.",  # type: ignore[list-item]
                sources=ratio_sources + ([ocf.source] if ocf is not None and ocf.source not in ratio_sources else []),  # type: ignore[union-attr]
            ))
        score = fail_score if headline == "listing_fails" else listed_score
        narrative = (f"If the listing fails, {more_than}{fmt_money(profile, claim_fail, claim_decimals)} of redemption claims fall due, "
                     f"{ratio_fail:.2f}× {denom_label}; if it succeeds, {fmt_money(profile, claim_listed, claim_decimals)} remains. "
                     f"The headline uses the {headline.replace('_', ' ')} scenario. Scored {score:.1f} ({band_for(score)}).")
        return RubricResult(score=score, band=band_for(score), metrics=metrics, adjustments=adjustments, evidence=evidence,
                            red_flags=flags, data_gaps=gaps, scenarios=scenarios, narrative=narrative)

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
