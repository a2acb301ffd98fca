from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from riskscore.rubric import (
    Adjustment,
    DataGap,
    Evidence,
    GovernanceEvent,
    Metric,
    Profile,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    band_for,
    cited,
    fmt_obs,
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

    def score(self, profile: Profile, params: Params) -> RubricResult:  # type: ignore[override]
        events = profile.governance_events
        distributions = _distributions_while_loss_making(profile)
        if events is None and distributions:
            events = []
        if events is None:
            return RubricResult(coverage=0.0, data_gaps=[DataGap(field="governance_events", reason="The profile does not say whether penalties or censures were searched for.")],
                                narrative="Governance events have not been researched for this profile, so this aspect is not scored.")
        if not events and not distributions:
            return RubricResult(score=0.0, band="Low", evidence=[Evidence(statement="The sources were searched and record no penalty, censure or investigation.", sources=[])],
                                narrative="No governance events are on file. Scored 0.0 (Low).")

        metrics, evidence, flags = [], [], []
        scored = []
        for event in sorted(events, key=lambda e: (e.date.start, e.id)):
            score, detail, holders = self._event_score(profile, event, params)
            scored.append(score)
            metrics.append(Metric(id=event.id, label=f"{event.type.replace('_', ' ').capitalize()}: {event.regulator} ({event.date})",
                                  value=round(score, 2), unit="severity", date=str(event.date), score=round(score, 2), note=detail, sources=event.sources))
            fine = value(profile, event.fine)
            fine_text = f", fine {fmt_obs(profile, fine)}" if fine is not None else ""
            evidence.append(Evidence(statement=f"{event.date}: {event.regulator}, {event.type.replace('_', ' ')} involving {', '.join(event.subjects)} ({event.status}{fine_text}). {event.description}",
                                     **cited(event, fine)))
            months = months_between(event.date.end, profile.as_of)
            if event.type in params.red_flag_types and months <= params.red_flag_window_months and holders:
                flags.append(RedFlag(
                    id=f"governance_{event.id}", title=f"Recent {event.type.replace('_', ' ')} involving a significant holder",
                    detail=f"{event.regulator}, {event.date} ({months:.0f} months before {profile.as_of}); still holding {params.holder_stake_threshold:g}% or more, or control: {', '.join(holders)}.",
                    sources=event.sources,
                ))
        for event, loss_evidence in distributions:
            age_years = max(0.0, months_between(_when(profile, event), profile.as_of) / 12)
            score = params.dividend_while_loss_making_severity * 0.5 ** (age_years / params.half_life_years)
            scored.append(score)
            when = str(event.date) if event.date is not None else (f"disclosed with {event.filing}" if event.filing else "date not given")
            metrics.append(Metric(id=f"{event.kind}_while_loss_making_{len(metrics)}", label=f"{event.kind.replace('_', ' ').capitalize()} paid while loss-making ({when})",
                                  value=round(score, 2), unit="severity", period=event.period or (str(event.date) if event.date else None), score=round(score, 2),
                                  note=f"base {params.dividend_while_loss_making_severity:g}; {age_years:.1f} years old", sources=[event.source]))
            amount = value(profile, event.amount)
            evidence.append(Evidence(statement=f"A {event.kind.replace('_', ' ')}{' of ' + fmt_obs(profile, amount) if amount is not None else ''} was paid ({when}) while the company was loss-making ({loss_evidence})."
                                     + (f" {event.description}" if event.description else ""), **cited(event, amount)))
        for person in profile.people:
            stake = value(profile, person.stake)
            if stake is not None:
                who = f"{person.name} ({'company; ' if person.kind == 'company' else ''}{', '.join(person.roles)})"
                evidence.append(Evidence(statement=f"{who} holds {stake.value:g}%{' and control' if person.controls else ''}" + (" and no longer holds a management role." if person.in_management is False else "."),
                                         **cited(stake, sources=person.sources)))
        worst = max(scored)
        further = max(0, sum(1 for s in scored if s > 0) - 1)
        extra = min(params.max_additional_points, params.additional_event_points * further)
        score = round(clamp(worst + extra), 2)
        narrative = (f"{len(events) + len(distributions)} event(s) on file; the worst scores {worst:.1f} after recency"
                     + (f", plus {extra:g} for the others" if extra else "") + f". Scored {score:.1f} ({band_for(score)}).")
        return RubricResult(score=score, band=band_for(score), metrics=metrics, evidence=evidence, red_flags=flags,
                            adjustments=[Adjustment(label=f"{further} further event(s)", points=extra)] if extra else [],
                            narrative=narrative)

    @staticmethod
    def _event_score(profile: Profile, event: GovernanceEvent, params: "Governance.Params") -> tuple[float, str, list[str]]:
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
                holders.append(person.name)
        decayed = raw * decay
        floor = raw * params.holder_floor if holders else 0.0
        score = max(decayed, floor)
        detail = f"base {base:g} × subject {factor:g} = {raw:g}; {age_years:.1f} years old, recency × {decay:.2f} → {decayed:.1f}"
        if holders:
            detail += f"; floor {floor:.1f} while holding ≥{params.holder_stake_threshold:g}% or control: {', '.join(holders)}"
        return score, detail, holders


def _when(profile: Profile, event) -> "dt.date":  # type: ignore[no-untyped-def]
    """When a capital event happened: its date, else the filing that disclosed it, else its period's end, else its
    source's date (the pointintime rule)."""
    if event.date is not None:
        return min(event.date.end, profile.as_of)
    if event.filing is not None:
        return min(profile.filing(event.filing).known_date.end, profile.as_of)
    if event.period is not None:
        return profile.period(event.period).end_date(profile.fiscal_year_end_month)
    return min(profile.source(event.source).date.end, profile.as_of)


def _distributions_while_loss_making(profile: Profile) -> list[tuple[object, str]]:
    """Dividends and special distributions paid while loss-making, with what shows the loss."""
    out = []
    for event in profile.capital_events:
        if event.kind not in ("dividend", "special_distribution") or event.while_loss_making is False:
            continue
        if event.while_loss_making:
            out.append((event, "as the source states"))
            continue
        when = _when(profile, event)
        year = next((p for p in reversed(profile.annual_periods()) if p.end_date(profile.fiscal_year_end_month) >= when), None) \
            if event.period is None else profile.period(event.period)
        if year is None:
            continue
        result = value(profile, year.net_profit) or value(profile, year.adjusted_net_profit)
        if (result is not None and result.base < 0) or (result is None and year.loss_making is not None):
            out.append((event, f"{year.id} result: {fmt_obs(profile, result) if result is not None else 'a loss'}"))
    return out
