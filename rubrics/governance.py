from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from riskscore.rubric import (
    Adjustment,
    CapitalEvent,
    DataGap,
    Evidence,
    GovernanceEvent,
    Message,
    Metric,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    Text,
    Value,
    band_for,
    cited,
    clamp,
    fmt_obs,
    months_between,
    value,
)


class Governance(Rubric):
    """Regulatory penalties, censures and investigations involving the company or its people.

    Each event starts from a base severity by type (`base_severity`: criminal conviction or
    open criminal investigation 100, securities-regulator penalty 85, exchange public
    censure 70, sector-regulator penalty 50, warning letter 35), scaled by its subject
    (`subject_factor`: the company, its founder, controller or directors fully; a subsidiary
    less). Concluded events decay with a half-life of `half_life_years`; open or appealed
    ones do not. While a person involved in the event still holds `holder_stake_threshold`
    percent or more, or control, the event keeps at least `holder_floor` of its severity: an
    old incident weighs less, but not while the person responsible still controls the
    company (ISS, MSCI controversies practice).
    The rubric score is worst-of, not an average (one severe controversy is not diluted by
    clean categories): the worst event plus `additional_event_points` for each further event,
    at most `max_additional_points`.
    Red flag: an event of a type in `red_flag_types` within `red_flag_window_months` of the
    as-of date involving a person who still holds the threshold stake or control (HKEX
    GL68-13 on non-compliance by directors and controlling shareholders; CSRC Trial Measures
    Art. 8). With no events section in the profile the aspect is unscored; an empty list
    means the sources were searched and nothing was found.
    Regulatory inquiries and reviews that are not penalties (`regulatory_inquiry`,
    `regulatory_review`) score on the same scale from their own base severity; one that is
    closed decays like a concluded event and is further multiplied by `closed_factor`. A
    holder may be a company as well as a person (a controlling or significant shareholder).
    A dividend or special distribution paid while the company was loss-making (as the source
    says, or as the fiscal year it was paid in shows) is scored like an event of severity
    `dividend_while_loss_making_severity`, decaying with its age.
    """

    id = "governance"
    title = "Governance violations"
    version = "1.0"
    default_weight = 15
    contract_version = 1
    red_flag_ids = ("governance_*",)

    class Params(RubricParams):
        base_severity: dict[str, Annotated[float, Field(ge=0, le=100)]]
        subject_factor: dict[str, Annotated[float, Field(ge=0, le=1)]]
        half_life_years: float = Field(gt=0)
        holder_stake_threshold: float = Field(ge=0, le=100)
        holder_floor: float = Field(ge=0, le=1)
        additional_event_points: float = Field(ge=0, le=100)
        max_additional_points: float = Field(ge=0, le=100)
        red_flag_types: list[str]
        red_flag_window_months: float = Field(ge=0)
        closed_factor: float = Field(ge=0, le=1)
        dividend_while_loss_making_severity: float = Field(ge=0, le=100)

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]  # the engine passes this rubric's own Params, narrower than the base RubricParams
        events = profile.governance_events
        distributions = _distributions_while_loss_making(profile)
        if events is None and distributions:
            events = []
        if events is None:
            return RubricResult(coverage=0.0, data_gaps=[DataGap(field="governance_events", reason=Message(
                                    "governance.gap.events", "The profile does not say whether penalties or censures were searched for."))],
                                narrative=Message("governance.narrative.not_researched",
                                                  "Governance events have not been researched for this profile, so this aspect is not scored."))
        if not events and not distributions:
            return RubricResult(score=0.0, band="Low", evidence=[Evidence(statement=Message(
                                    "governance.none_found", "The sources were searched and record no penalty, censure or investigation."), sources=[])],
                                narrative=Message("governance.narrative.none", "No governance events are on file. {scored}", scored=_scored(0.0)))

        metrics, evidence, flags = [], [], []
        scored = []
        for event in sorted(events, key=lambda e: (e.date.start, e.id)):
            score, detail, holders = self._event_score(profile, event, params)
            scored.append(score)
            where = f"governance_events[{event.id}]"
            regulator = Text(event.regulator, path=f"{where}.regulator")
            kind = Value.term("event_type", event.type)
            metrics.append(Metric(id=event.id, label=Message("governance.metric", "{type}: {regulator} ({date})", type=Value.join([kind], capitalize=True),
                                                             regulator=regulator, date=Value.date(event.date)),
                                  value=round(score, 2), unit=_SEVERITY, date=str(event.date), score=round(score, 2),
                                  note=detail, sources=event.sources))
            fine = value(profile, event.fine)
            subjects = Value.join([Value.term("subject", s) for s in event.subjects])
            status = Value.term("event_status", event.status)
            description = Text(event.description, path=f"{where}.description")
            if fine is not None:
                statement = Message("governance.event_fined", "{date}: {regulator}, {type} involving {subjects} ({status}, fine {fine}). {description}",
                                    date=Value.date(event.date), regulator=regulator, type=kind, subjects=subjects, status=status,
                                    fine=fmt_obs(profile, fine), description=description)
            else:
                statement = Message("governance.event", "{date}: {regulator}, {type} involving {subjects} ({status}). {description}",
                                    date=Value.date(event.date), regulator=regulator, type=kind, subjects=subjects, status=status, description=description)
            evidence.append(Evidence(statement=statement, **cited(event, fine)))
            months = months_between(event.date.end, profile.as_of)
            if event.type in params.red_flag_types and months <= params.red_flag_window_months and holders:
                flags.append(RedFlag(
                    id=f"governance_{event.id}", title=Message("governance.flag.title", "Recent {type} involving a significant holder", type=kind),
                    detail=Message("governance.flag.detail",
                                   "{regulator}, {date} ({months:num0} months before {as_of}); still holding {threshold}% or more, or control: {holders}.",
                                   regulator=regulator, date=Value.date(event.date), months=months, as_of=Value.date(profile.as_of.isoformat()),
                                   threshold=params.holder_stake_threshold, holders=Value.join(holders)),
                    sources=event.sources,
                ))
        for capital, loss_evidence in distributions:
            age_years = max(0.0, months_between(_when(profile, capital), profile.as_of) / 12)
            score = params.dividend_while_loss_making_severity * 0.5 ** (age_years / params.half_life_years)
            scored.append(score)
            when: str = (Value.date(capital.date) if capital.date is not None else
                         Message("governance.when.filing", "disclosed with {filing}", filing=capital.filing) if capital.filing else
                         Message("governance.when.none", "date not given"))
            kind = Value.term("capital_event", capital.kind)
            metrics.append(Metric(id=f"{capital.kind}_while_loss_making_{len(metrics)}",
                                  label=Message("governance.metric.distribution", "{kind} paid while loss-making ({when})",
                                                kind=Value.join([kind], capitalize=True), when=when),
                                  value=round(score, 2), unit=_SEVERITY, period=capital.period or (str(capital.date) if capital.date else None), score=round(score, 2),
                                  note=Message("governance.distribution_note", "base {base}; {age:num1} years old",
                                               base=params.dividend_while_loss_making_severity, age=age_years), sources=[capital.source]))
            amount = value(profile, capital.amount)
            if amount is not None:
                statement = Message("governance.distribution_amount", "A {kind} of {amount} was paid ({when}) while the company was loss-making ({loss}).",
                                    kind=kind, amount=fmt_obs(profile, amount), when=when, loss=loss_evidence)
            else:
                statement = Message("governance.distribution", "A {kind} was paid ({when}) while the company was loss-making ({loss}).",
                                    kind=kind, when=when, loss=loss_evidence)
            if capital.description:
                statement = Message("governance.with_description", "{statement} {description}", statement=statement,
                                    description=Text(capital.description))
            evidence.append(Evidence(statement=statement, **cited(capital, amount)))
        for person in profile.people:
            stake = value(profile, person.stake)
            if stake is not None:
                roles: Value | Message = Value.join([Value.term("role", r) for r in person.roles])
                if person.kind == "company":
                    roles = Message("governance.company_roles", "company; {roles}", roles=roles)
                key = "holder" + ("_control" if person.controls else "") + ("_left" if person.in_management is False else "")
                evidence.append(Evidence(statement=Message(f"governance.{key}", _HOLDER_TEXT[key], name=Text(person.name, person.name_zh),
                                                           stake=stake.value, roles=roles),
                                         **cited(stake, sources=person.sources)))
        worst = max(scored)
        further = max(0, sum(1 for s in scored if s > 0) - 1)
        extra = min(params.max_additional_points, params.additional_event_points * further)
        score = round(clamp(worst + extra), 2)
        count = len(events) + len(distributions)
        if extra:
            narrative = Message("governance.narrative_extra", "{count} event(s) on file; the worst scores {worst:num1} after recency, plus {extra} for the others. {scored}",
                                count=count, worst=worst, extra=extra, scored=_scored(score))
        else:
            narrative = Message("governance.narrative", "{count} event(s) on file; the worst scores {worst:num1} after recency. {scored}",
                                count=count, worst=worst, scored=_scored(score))
        return RubricResult(score=score, band=band_for(score), metrics=metrics, evidence=evidence, red_flags=flags,
                            adjustments=[Adjustment(label=Message("governance.further", "{count} further event(s)", count=further), points=extra)] if extra else [],
                            narrative=narrative)

    @staticmethod
    def _event_score(profile: Profile, event: GovernanceEvent, params: Governance.Params) -> tuple[float, Message, list[Text]]:
        base = params.base_severity.get(event.type, 0.0)
        factor = max(params.subject_factor.get(s, 1.0) for s in event.subjects)
        raw = base * factor
        age_years = max(0.0, months_between(event.date.end, profile.as_of) / 12)
        decay = 1.0 if event.status not in ("concluded", "closed") else 0.5 ** (age_years / params.half_life_years)
        if event.status == "closed":
            decay *= params.closed_factor
        holders = []
        for pid in event.persons:
            person = profile.person(pid)
            stake = value(profile, person.stake)
            if person.controls or (stake is not None and stake.value >= params.holder_stake_threshold):
                holders.append(Text(person.name, person.name_zh))
        decayed = raw * decay
        floor = raw * params.holder_floor if holders else 0.0
        score = max(decayed, floor)
        values = dict(base=base, factor=factor, raw=raw, age=age_years, decay=decay, decayed=decayed)
        if holders:
            detail = Message("governance.detail_floor", "base {base} × subject {factor} = {raw}; {age:num1} years old, recency × {decay:num2} → {decayed:num1}; "
                             "floor {floor:num1} while holding ≥{threshold}% or control: {holders}",
                             **values, floor=floor, threshold=params.holder_stake_threshold, holders=Value.join(holders))
        else:
            detail = Message("governance.detail", "base {base} × subject {factor} = {raw}; {age:num1} years old, recency × {decay:num2} → {decayed:num1}", **values)
        return score, detail, holders


def _when(profile: Profile, event: CapitalEvent) -> dt.date:
    """When a capital event happened: its date, else the filing that disclosed it, else its period's end, else its
    source's date (the pointintime rule)."""
    if event.date is not None:
        return min(event.date.end, profile.as_of)
    if event.filing is not None:
        return min(profile.filing(event.filing).known_date.end, profile.as_of)
    if event.period is not None:
        return profile.period(event.period).end_date(profile.fiscal_year_end_month)
    return min(profile.source(event.source).date.end, profile.as_of)


def _distributions_while_loss_making(profile: Profile) -> list[tuple[CapitalEvent, Message]]:
    """Dividends and special distributions paid while loss-making, with what shows the loss."""
    out: list[tuple[CapitalEvent, Message]] = []
    for event in profile.capital_events:
        if event.kind not in ("dividend", "special_distribution") or event.while_loss_making is False:
            continue
        if event.while_loss_making:
            out.append((event, Message("governance.loss.stated", "as the source states")))
            continue
        when = _when(profile, event)
        year = next((p for p in reversed(profile.annual_periods()) if p.end_date(profile.fiscal_year_end_month) >= when), None) \
            if event.period is None else profile.period(event.period)
        if year is None:
            continue
        result = value(profile, year.net_profit) or value(profile, year.adjusted_net_profit)
        if (result is not None and result.base < 0) or (result is None and year.loss_making is not None):
            out.append((event, Message("governance.loss.result", "{period:period} result: {result}", period=year.id,
                                       result=fmt_obs(profile, result) if result is not None else Message("governance.loss.a_loss", "a loss"))))
    return out


_SEVERITY = Message("unit.severity", "severity")
# A holder's stake, by whether they control the company and whether they left management (one message id each).
_HOLDER_TEXT = {
    "holder": "{name} ({roles}) holds {stake}%.",
    "holder_control": "{name} ({roles}) holds {stake}% and control.",
    "holder_left": "{name} ({roles}) holds {stake}% and no longer holds a management role.",
    "holder_control_left": "{name} ({roles}) holds {stake}% and control and no longer holds a management role.",
}


def _scored(score: float) -> Message:
    return Message("rubric.scored", "Scored {score:score} ({band}).", score=score, band=Value.band(band_for(score)))
