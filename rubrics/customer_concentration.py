from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Self

from pydantic import Field, model_validator

from riskscore.rubric import (
    Adjustment,
    ConcentrationStatement,
    DataGap,
    Evidence,
    GridParam,
    Message,
    Metric,
    PercentFigure,
    PercentObservation,
    Period,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    Text,
    Value,
    cited,
    fmt_obs,
    path,
    series,
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
        def _some_weight(self) -> Self:
            if self.largest_share_weight + self.top5_share_weight == 0:
                raise ValueError("largest_share_weight and top5_share_weight are both 0; at least one must be positive")
            return self

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        largest = _percent_series(profile, lambda p: p.customers.largest_share if p.customers else None)
        as_group = False
        if not largest:  # the parent group's share: entities under common control are one customer (ASC 280)
            largest = _percent_series(profile, lambda p: p.customers.related_party_share if p.customers else None)
            as_group = bool(largest)
        top5 = _percent_series(profile, lambda p: p.customers.top5_share if p.customers else None)
        metrics, evidence, gaps, flags, adjustments = [], [], [], [], []

        if largest:
            period, obs = largest[-1]
            metrics.append(Metric(
                id="largest_customer_share", label=_RELATED if as_group else _LARGEST,
                value=obs.value, unit="%",
                period=period.id, grid=params.largest_share_grid, score=round(params.largest_share_grid.score(obs.value), 2),
                weight=params.largest_share_weight, display=fmt_obs(profile, obs), sources=[obs.source],
                path=path(period, "customers", "related_party_share" if as_group else "largest_share"),
            ))
            customers = period.customers
            if as_group:
                statement = Message("customer_concentration.related_party",
                                    "Related parties (the parent group, one customer under common control) provided {share} of revenue in {period:period}.",
                                    share=fmt_obs(profile, obs), period=period.id)
            elif customers and customers.largest_counterparty:
                who = Text(customers.largest_counterparty, path=path(period, "customers", "largest_counterparty"))
                statement = Message("customer_concentration.largest_named", "The largest customer ({who}) provided {share} of revenue in {period:period}.",
                                    who=who, share=fmt_obs(profile, obs), period=period.id)
            else:
                statement = Message("customer_concentration.largest", "The largest customer provided {share} of revenue in {period:period}.",
                                    share=fmt_obs(profile, obs), period=period.id)
            evidence.append(Evidence(statement=statement, **cited(obs)))
            if customers and customers.largest_counterparty_type in ("government", "state_program", "state_owned"):
                evidence.append(Evidence(
                    statement=Message("customer_concentration.state_counterparty",
                                      "The largest counterparty is a {kind}; under ASC 280 a government and the entities it controls count as one customer.",
                                      kind=Value.term("counterparty_type", customers.largest_counterparty_type)),
                    sources=customers.sources,
                ))
            # 'at most 50%' does not establish majority reliance; 'at least' and 'about' do.
            if obs.bound != "at_most" and obs.value >= params.red_flag_largest_share:
                flags.append(RedFlag(
                    id="largest_customer_majority",
                    title=Message("customer_concentration.flag.title", "Majority reliance on one customer"),
                    detail=Message("customer_concentration.flag.detail",
                                   "The largest customer provided {share} of revenue in {period:period} (threshold {threshold}%).",
                                   share=fmt_obs(profile, obs), period=period.id, threshold=params.red_flag_largest_share),
                    sources=[obs.source],
                ))
            if len(largest) > 1:
                first_period, first = largest[0]
                rise = round(obs.value - first.value, 9)  # 17.4 - 12.4 is 4.999…; compare as written
                evidence.append(Evidence(
                    statement=Message("customer_concentration.moved",
                                      "The largest customer's share moved from {first} ({first_period:period}) to {last} ({period:period}), {rise:signed1} percentage points.",
                                      first=fmt_obs(profile, first), first_period=first_period.id, last=fmt_obs(profile, obs), period=period.id, rise=rise),
                    **cited(first, obs),
                ))
                if rise >= params.rise_threshold_pp:
                    adjustments.append(Adjustment(label=Message("customer_concentration.rose", "Largest-customer share rose {rise:pp} ({first:period}→{last:period})",
                                                                rise=rise, first=first_period.id, last=period.id), points=params.rise_points))
        elif (described := _described(profile, params)) is not None:
            period, score, display, statement, item, customer_sources = described
            ordinal = Value.join([Message("customer_concentration.ordinal_item", "{key} {score:plain}", key=Value.term("customer_concentration.key", k), score=v)
                                  for k, v in {**params.concentration_level_score, **params.relation_score}.items()])
            metrics.append(Metric(id="concentration_described", label=_DESCRIBED, value=None, display=display,
                                  period=period.id, score=score, weight=params.largest_share_weight, sources=cited(item, sources=customer_sources)["sources"],
                                  note=Message("customer_concentration.ordinal", "ordinal: {scale}", scale=ordinal)))
            evidence.append(Evidence(statement=statement, **cited(item, sources=customer_sources)))
            gaps.append(DataGap(field=path(period, "customers", "largest_share"), reason=Message(
                "customer_concentration.gap.described", "No share figure is on file; concentration is scored from how the sources describe it.")))
        else:
            metrics.append(Metric(id="largest_customer_share", label=_LARGEST, value=None, unit="%", grid=params.largest_share_grid, weight=params.largest_share_weight))
            gaps.append(DataGap(field="periods[*].customers.largest_share", reason=Message(
                "customer_concentration.gap.largest", "No period reports the largest customer's share of revenue.")))
        for period in profile.periods_by_end()[::-1]:
            customers = period.customers
            relation = customers.largest_relation if customers else None
            if customers and relation in ("parent", "parent_affiliate", "shareholder", "related_party") and largest:
                evidence.append(Evidence(statement=Message("customer_concentration.relation", "The largest customers are {relation} ({period:period}).",
                                                           relation=_relation(relation), period=period.id), sources=customers.sources))
                break

        if top5:
            period, obs = top5[-1]
            metrics.append(Metric(
                id="top5_customer_share", label=_TOP5, value=obs.value, unit="%",
                period=period.id, grid=params.top5_share_grid, score=round(params.top5_share_grid.score(obs.value), 2),
                weight=params.top5_share_weight, display=fmt_obs(profile, obs), sources=[obs.source],
                path=path(period, "customers", "top5_share"),
            ))
            evidence.append(Evidence(statement=Message("customer_concentration.top5", "The five largest customers provided {share} of revenue in {period:period}.",
                                                       share=fmt_obs(profile, obs), period=period.id), **cited(obs)))
        else:
            metrics.append(Metric(id="top5_customer_share", label=_TOP5, value=None, unit="%", grid=params.top5_share_grid, weight=params.top5_share_weight))
            gaps.append(DataGap(field="periods[*].customers.top5_share", reason=Message(
                "customer_concentration.gap.top5", "No period reports the top-five customers' share of revenue.")))

        result = RubricResult.from_metrics(metrics, adjustments, evidence=evidence, red_flags=flags, data_gaps=gaps)
        return result.model_copy(update={"narrative": _narrative(result, largest)})


_LARGEST = Message("customer_concentration.metric.largest", "Largest customer share of revenue")
_RELATED = Message("customer_concentration.metric.related_party", "Related-party (parent group) share of revenue")
_DESCRIBED = Message("customer_concentration.metric.described", "Customer concentration as the sources describe it")
_TOP5 = Message("customer_concentration.metric.top5", "Top-five customers' share of revenue")

_RELATION_TEXT = {"parent": "the parent company", "parent_affiliate": "the parent or its affiliates", "shareholder": "a shareholder",
                  "related_party": "related parties", "unrelated": "unrelated to the company"}
_LEVEL_TEXT = {"low": "low", "moderate": "moderate", "high": "high", "very_high": "very high"}


def _relation(relation: str) -> Message:
    """How the largest customers relate to the company, as a message (``customer_concentration.relation.<key>``)."""
    return Message(f"customer_concentration.relation.{relation}", _RELATION_TEXT[relation])


def _level(level: str) -> Message:
    """Concentration in words, as a message (``customer_concentration.level.<key>``)."""
    return Message(f"customer_concentration.level.{level}", _LEVEL_TEXT[level])


def _percent_series(profile: Profile, get: Callable[[Period], PercentFigure | None]) -> list[tuple[Period, PercentObservation]]:
    """:func:`series` of a percentage figure, typed as such (a percentage figure holds only percentage observations)."""
    return [(period, obs) for period, obs in series(profile, get) if isinstance(obs, PercentObservation)]


def _described(profile: Profile, params: CustomerConcentration.Params
               ) -> tuple[Period, float, Message, Message, ConcentrationStatement | None, list[str]] | None:
    """Latest period whose customers are described in words or as a relation:
    (period, score, display, statement, cited item, the customers' sources)."""
    for period in reversed(profile.periods_by_end()):
        customers = period.customers
        if customers is None:
            continue
        words, relation = customers.concentration, customers.largest_relation
        candidates: list[tuple[float, Message, Message, ConcentrationStatement | None]] = []
        if words is not None:
            candidates.append((params.concentration_level_score[words.level],
                               Message("customer_concentration.display.words", "{level} (in words)", level=_level(words.level)),
                               Message("customer_concentration.described", "The sources describe customer concentration as {level} in {period:period}.",
                                       level=_level(words.level), period=period.id), words))
        if relation is not None:
            candidates.append((params.relation_score[relation],
                               Message("customer_concentration.display.relation", "largest customers: {relation}", relation=_relation(relation)),
                               Message("customer_concentration.relation", "The largest customers are {relation} ({period:period}).",
                                       relation=_relation(relation), period=period.id), None))
        if candidates:
            score, display, statement, item = max(candidates, key=lambda c: c[0])
            return period, score, display, statement, item, customers.sources
    return None


def _narrative(result: RubricResult, largest: list[tuple[Period, PercentObservation]]) -> str:
    if result.score is None:
        return Message("customer_concentration.narrative.none", "No customer-concentration figures are on file, so this aspect is not scored.")
    scored = Message("rubric.scored", "Scored {score:score} ({band}).", score=result.score, band=Value.band(result.band))
    described = next((m for m in result.metrics if m.id == "concentration_described"), None)
    if described is not None:
        return Message("customer_concentration.narrative.described", "No share figure is on file; the sources describe concentration as {display}. {scored}",
                       display=described.display or "", scored=scored)
    if largest:
        period, obs = largest[-1]
        return Message("customer_concentration.narrative",
                       "One customer accounts for {share:percent} of revenue ({period:period}); the business depends on that "
                       "relationship continuing on its current terms. {scored}", share=obs.value, period=period.id, scored=scored)
    return Message("customer_concentration.narrative.top5_only", "Only the top-five share is on file. {scored}", scored=scored)
