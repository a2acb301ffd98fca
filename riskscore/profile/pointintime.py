"""Point-in-time views: a profile as it could have been known on a date, with no later fact.

Disclosure rule, the same for every fact, so nothing later leaks into an earlier view:

* **partial dates** (the one rule, shared by ``score --as-of``, ``trend`` and ``calibrate``,
  which all build their views here): a date known only to the year or the month counts from
  the *last* day it may denote — a source dated ``2025`` from 2025-12-31, a filing dated
  ``2025-09`` from 2025-09-30 — but never later than the profile's own ``as_of``, because a
  profile asserts that everything in it was known on that date. So the view at the profile's
  ``as_of`` is the whole profile, and the last point of a trend equals ``score``;
* an observation or a statement in words quoted from a filing (``filing:``) was disclosed on
  the filing's date (a filing known only by its listing date, on that date); any other on its
  source's date;
* a governance event, a milestone and a filing are known from their dates; a capital event
  from its date, else like an observation;
* a text fact (a core technology, a person, an instrument without a disclosed amount) is
  known from its ``filing``'s date when it names one, else from its earliest source's date;
* a period, customer block or segment exists in the view while any of its figures does.

Sources are evidence of what was disclosed, so the view keeps every source a kept fact
cites, even one published after the view's date (a 2022 article quoting the 2021
prospectus). The view is a validated :class:`Profile` with ``as_of`` set to the date and
``point_in_time`` set, which is what lets those sources postdate ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from riskscore.profile.evidence import Observation, replaces
from riskscore.profile.model import MoneyFigure, PercentFigure, Profile, Statement
from riskscore.profile.units import PartialDate


def known_from(profile: Profile, when: PartialDate) -> dt.date:
    """The day a fact dated ``when`` counts as known: the last day the date may denote, at the
    latest the profile's ``as_of`` (see the module's rule)."""
    return min(when.end, profile.as_of)


def disclosed_on(profile: Profile, observation: Any) -> dt.date:
    """The date an observation (or a statement, or a capital event) became public (see the module's rule)."""
    if observation.filing:
        return known_from(profile, profile.filing(observation.filing).known_date)
    return known_from(profile, profile.source(observation.source).date)


def profile_as_of(profile: Profile, date: dt.date) -> Profile:
    """``profile`` restricted to what had been disclosed by ``date``."""

    def text_fact_known(item: Any) -> bool:
        filing = getattr(item, "filing", None)
        if filing:
            return known_from(profile, profile.filing(filing).known_date) <= date
        dates = [known_from(profile, profile.source(s).date) for s in getattr(item, "sources", [])]
        return bool(dates) and min(dates) <= date

    def prune(raw: Any, model: Any) -> Any:
        """Walk the dumped data beside the model, keeping only observations disclosed by ``date``."""
        if isinstance(model, (MoneyFigure, PercentFigure)):
            observations: tuple[Observation, ...] = tuple(model)
            pairs = [(r, obs) for r, obs in zip(raw, observations, strict=True) if disclosed_on(profile, obs) <= date]
            for r, obs in pairs:  # a correction not yet disclosed supersedes nothing yet
                if obs.superseded_by is not None and not any(replaces(obs, other) for _, other in pairs):
                    r.pop("superseded_by", None)
            return [r for r, _ in pairs] or None
        if isinstance(model, Statement):
            return raw if disclosed_on(profile, model) <= date else None
        if isinstance(model, BaseModel) and isinstance(raw, dict):
            return {k: v for k, v in ((k, prune(v, getattr(model, k, None)) if getattr(model, k, None) is not None else v)
                                      for k, v in raw.items()) if v is not None}
        if isinstance(raw, list) and isinstance(model, list):
            return [p for p in (prune(r, m) for r, m in zip(raw, model, strict=True)) if p is not None]
        return raw

    def has_figures(section: dict[str, Any], text_keys: tuple[str, ...]) -> bool:
        return any(k not in text_keys and v not in (None, [], {}) for k, v in section.items())

    data = prune(profile.model_dump(mode="json", exclude_none=True), profile)
    data["as_of"] = date.isoformat()
    data["point_in_time"] = True
    data["filings"] = [raw for raw, f in zip(data.get("filings", []), profile.filings, strict=True) if known_from(profile, f.known_date) <= date]
    kept_filings = {raw["id"] for raw in data["filings"]}
    data["milestones"] = [raw for raw, m in zip(data.get("milestones", []), profile.milestones, strict=True)
                          if m.filing in kept_filings and known_from(profile, m.date) <= date]
    data["capital_events"] = [raw for raw, e in zip(data.get("capital_events", []), profile.capital_events, strict=True)
                              if (known_from(profile, e.date) if e.date is not None else disclosed_on(profile, e)) <= date]

    periods = []
    fye = profile.fiscal_year_end_month
    for period in data.get("periods", []):
        if profile.period(period["id"]).end_date(fye) > date:  # a period that had not ended yet is not part of the view
            continue
        period["segments"] = [s for s in period.get("segments", []) if has_figures(s, ("name", "name_zh", "parent", "note"))]
        if period.get("customers") and not has_figures(period["customers"], ("largest_counterparty", "largest_counterparty_type", "sources", "note")):
            period.pop("customers")
        if has_figures(period, ("id", "note", "segments")) or period["segments"]:
            periods.append(period)
        elif any(e.get("period") == period["id"] for e in data["capital_events"]):
            periods.append(period)
    data["periods"] = periods
    kept_periods = {p["id"] for p in periods}
    data["capital_events"] = [e for e in data["capital_events"] if e.get("period") in (None, *kept_periods)]

    data["people"] = [raw for raw, person in zip(data.get("people", []), profile.people, strict=True) if text_fact_known(person)]
    known_people = {p["id"] for p in data["people"]}
    if profile.governance_events is not None:
        events = []
        for raw, event in zip(data.get("governance_events", []), profile.governance_events, strict=True):
            if known_from(profile, event.date) <= date:
                raw["persons"] = [p for p in raw.get("persons", []) if p in known_people]
                events.append(raw)
        data["governance_events"] = events
    if "technology" in data and profile.technology is not None:  # a contract end date is a fact about the future, known with the technology
        data["technology"]["core"] = [raw for raw, tech in zip(data["technology"].get("core", []), profile.technology.core, strict=True) if text_fact_known(tech)]
        if not data["technology"]["core"]:
            data.pop("technology")
    cs = data.get("capital_structure")
    if cs is not None:
        if "instruments" in cs and profile.capital_structure is not None:  # an instrument counts from its amount's disclosure; one without an amount as a text fact
            cs["instruments"] = [raw for raw, inst in zip(cs["instruments"], profile.capital_structure.instruments or [], strict=True)
                                 if "amount" in raw or (inst.amount is None and text_fact_known(inst))]
        if cs.get("period") and cs["period"] not in kept_periods:
            cs.pop("period")
        researched_none = profile.capital_structure is not None and profile.capital_structure.instruments == []
        if not has_figures(cs, ("period", "note")) and not researched_none:
            data.pop("capital_structure")
        elif "instruments" in cs and not cs["instruments"] and profile.capital_structure and profile.capital_structure.instruments:
            cs.pop("instruments")  # instruments existed but were not yet disclosed: unknown, not "none"
    data["cumulative"] = [c for c in data.get("cumulative", []) if "value" in c]
    if profile.outcome is not None and (profile.outcome.date is None or known_from(profile, profile.outcome.date) > date):
        data.pop("outcome", None)  # an outcome is only known once it happened
    return Profile.model_validate(data)


def filing_dates(profile: Profile) -> list[tuple[str, dt.date]]:
    """``(filing id, date)`` for every filing, oldest first: the natural points to follow a company at."""
    return sorted(((f.id, known_from(profile, f.known_date)) for f in profile.filings), key=lambda item: (item[1], item[0]))
