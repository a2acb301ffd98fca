from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GridParam,
    Metric,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    cited,
    fmt_obs,
    path,
    series,
    sources_of,
)


class CustomerConcentration(Rubric):
    """Reliance on one customer, or a few, for revenue.

    Scores the largest customer's share of revenue in the latest period that reports it
    (`largest_share_grid`, anchored at the ASC 280 disclosure line of 10% and at majority
    reliance, 50%), and the top-five share (`top5_share_grid`), as a weighted mean
    (`largest_share_weight`, `top5_share_weight`). A rise of `rise_threshold_pp` percentage
    points or more in the largest share across the periods on file adds `rise_points`.
    A government and the programmes or entities it controls count as one customer (ASC 280),
    so a state counterparty is read as a single customer, not as many.
    Red flag: the largest customer at `red_flag_largest_share` or more of revenue — HKEX
    treats material reliance on one counterparty as a question of business sustainability.

    Where no largest-customer share is on file, revenue from related parties
    (`related_party_share`: the parent group, entities under common control, count as one
    customer) is scored on the same grid, with the same red flag. Failing both, concentration
    the sources describe in words (`concentration.level`) or as a relation (the largest
    customers are the parent or its affiliates, `largest_relation`) is scored on an ordinal
    scale (`concentration_level_score`, `relation_score`; the higher of the two).
    """

    id = "customer_concentration"
    title = "Customer concentration"
    version = "1.0"
    default_weight = 20
    contract_version = 1
    red_flag_ids = ("largest_customer_majority",)

    class Params(RubricParams):
        largest_share_grid: GridParam
        top5_share_grid: GridParam
        largest_share_weight: float = Field(ge=0, le=1_000_000)
        top5_share_weight: float = Field(ge=0, le=1_000_000)
        rise_threshold_pp: float = Field(ge=0, le=100)
        rise_points: float = Field(ge=0, le=100)
        red_flag_largest_share: float = Field(ge=0, le=100)
        concentration_level_score: dict[str, Annotated[float, Field(ge=0, le=100)]]
        relation_score: dict[str, Annotated[float, Field(ge=0, le=100)]]

        @model_validator(mode="after")
        def _some_weight(self) -> "Params":
            if self.largest_share_weight + self.top5_share_weight == 0:
                raise ValueError("largest_share_weight and top5_share_weight are both 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        largest = series(profile, lambda p: p.customers.largest_share if p.customers else None)
        as_group = False
        if not largest:  # the parent group's share: entities under common control are one customer (ASC 280)
            largest = series(profile, lambda p: p.customers.related_party_share if p.customers else None)
            as_group = bool(largest)
        top5 = series(profile, lambda p: p.customers.top5_share if p.customers else None)
        metrics, evidence, gaps, flags, adjustments = [], [], [], [], []

        if largest:
            period, obs = largest[-1]
            metrics.append(Metric(
                id="largest_customer_share", label="Related-party (parent group) share of revenue" if as_group else "Largest customer share of revenue",
                value=obs.value, unit="%",
                period=period.id, grid=params.largest_share_grid, score=round(params.largest_share_grid.score(obs.value), 2),
                weight=params.largest_share_weight, display=fmt_obs(profile, obs), sources=[obs.source],
                path=path(period, "customers", "related_party_share" if as_group else "largest_share"),
            ))
            customers = period.customers
            who = f" ({customers.largest_counterparty})" if customers and customers.largest_counterparty else ""
            if as_group:
                evidence.append(Evidence(statement=f"Related parties (the parent group, one customer under common control) provided {fmt_obs(profile, obs)} of revenue in {period.id}.", **cited(obs)))
            else:
                evidence.append(Evidence(statement=f"The largest customer{who} provided {fmt_obs(profile, obs)} of revenue in {period.id}.", **cited(obs)))
            if customers and customers.largest_counterparty_type in ("government", "state_program", "state_owned"):
                evidence.append(Evidence(
                    statement=f"The largest counterparty is a {customers.largest_counterparty_type.replace('_', ' ')}; under ASC 280 a government and the entities it controls count as one customer.",
                    sources=customers.sources,
                ))
            # 'at most 50%' does not establish majority reliance; 'at least' and 'about' do.
            if obs.bound != "at_most" and obs.value >= params.red_flag_largest_share:
                flags.append(RedFlag(
                    id="largest_customer_majority", title="Majority reliance on one customer",
                    detail=f"The largest customer provided {fmt_obs(profile, obs)} of revenue in {period.id} (threshold {params.red_flag_largest_share:g}%).",
                    sources=[obs.source],
                ))
            if len(largest) > 1:
                first_period, first = largest[0]
                rise = round(obs.value - first.value, 9)  # 17.4 - 12.4 is 4.999…; compare as written
                evidence.append(Evidence(
                    statement=f"The largest customer's share moved from {fmt_obs(profile, first)} ({first_period.id}) to {fmt_obs(profile, obs)} ({period.id}), {rise:+.1f} percentage points.",
                    **cited(first, obs),
                ))
                if rise >= params.rise_threshold_pp:
                    adjustments.append(Adjustment(label=f"Largest-customer share rose {rise:.1f} pp ({first_period.id}→{period.id})", points=params.rise_points))
        elif (described := _described(profile, params)) is not None:
            period, score, display, statement, item = described
            metrics.append(Metric(id="concentration_described", label="Customer concentration as the sources describe it", value=None, display=display,
                                  period=period.id, score=score, weight=params.largest_share_weight, sources=cited(item, sources=period.customers.sources)["sources"],  # type: ignore[union-attr]
                                  note="ordinal: " + ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in {**params.concentration_level_score, **params.relation_score}.items())))
            evidence.append(Evidence(statement=statement, **cited(item, sources=period.customers.sources)))  # type: ignore[union-attr]
            gaps.append(DataGap(field=path(period, "customers", "largest_share"), reason="No share figure is on file; concentration is scored from how the sources describe it."))
        else:
            metrics.append(Metric(id="largest_customer_share", label="Largest customer share of revenue", value=None, unit="%", grid=params.largest_share_grid, weight=params.largest_share_weight))
            gaps.append(DataGap(field="periods[*].customers.largest_share", reason="No period reports the largest customer's share of revenue."))
        for period in profile.periods_by_end()[::-1]:
            relation = period.customers.largest_relation if period.customers else None
            if relation in ("parent", "parent_affiliate", "shareholder", "related_party") and largest:
                evidence.append(Evidence(statement=f"The largest customers are {_RELATION_TEXT[relation]} ({period.id}).", sources=period.customers.sources))  # type: ignore[union-attr]
                break

        if top5:
            period, obs = top5[-1]
            metrics.append(Metric(
                id="top5_customer_share", label="Top-five customers' share of revenue", value=obs.value, unit="%",
                period=period.id, grid=params.top5_share_grid, score=round(params.top5_share_grid.score(obs.value), 2),
                weight=params.top5_share_weight, display=fmt_obs(profile, obs), sources=[obs.source],
                path=path(period, "customers", "top5_share"),
            ))
            evidence.append(Evidence(statement=f"The five largest customers provided {fmt_obs(profile, obs)} of revenue in {period.id}.", **cited(obs)))
        else:
            metrics.append(Metric(id="top5_customer_share", label="Top-five customers' share of revenue", value=None, unit="%", grid=params.top5_share_grid, weight=params.top5_share_weight))
            gaps.append(DataGap(field="periods[*].customers.top5_share", reason="No period reports the top-five customers' share of revenue."))

        result = RubricResult.from_metrics(metrics, adjustments, evidence=evidence, red_flags=flags, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result, largest)})


_RELATION_TEXT = {"parent": "the parent company", "parent_affiliate": "the parent or its affiliates", "shareholder": "a shareholder",
                  "related_party": "related parties", "unrelated": "unrelated to the company"}
_LEVEL_TEXT = {"low": "low", "moderate": "moderate", "high": "high", "very_high": "very high"}


def _described(profile: Profile, params: "CustomerConcentration.Params") -> tuple | None:
    """Latest period whose customers are described in words or as a relation: (period, score, display, statement, cited item)."""
    for period in reversed(profile.periods_by_end()):
        customers = period.customers
        if customers is None:
            continue
        words, relation = customers.concentration, customers.largest_relation
        candidates = []
        if words is not None:
            candidates.append((params.concentration_level_score[words.level], f"{_LEVEL_TEXT[words.level]} (in words)",
                               f"The sources describe customer concentration as {_LEVEL_TEXT[words.level]} in {period.id}.", words))
        if relation is not None:
            candidates.append((params.relation_score[relation], f"largest customers: {_RELATION_TEXT[relation]}",
                               f"The largest customers are {_RELATION_TEXT[relation]} ({period.id}).", None))
        if candidates:
            score, display, statement, item = max(candidates, key=lambda c: c[0])
            return period, score, display, statement, item
    return None


def _narrative(result: RubricResult, largest: list) -> str:
    if result.score is None:
        return "No customer-concentration figures are on file, so this aspect is not scored."
    described = next((m for m in result.metrics if m.id == "concentration_described"), None)
    if described is not None:
        return f"No share figure is on file; the sources describe concentration as {described.display}. Scored {result.score:.1f} ({result.band})."
    if largest:
        period, obs = largest[-1]
        return (
            f"One customer accounts for {obs.value:.1f}% of revenue ({period.id}); the business depends on that "
            f"relationship continuing on its current terms. Scored {result.score:.1f} ({result.band})."
        )
    return f"Only the top-five share is on file. Scored {result.score:.1f} ({result.band})."
