"""Everything a rubric author imports, in one place.

    from riskscore.rubric import Rubric, RubricParams, RubricResult, Metric, Evidence, GridParam, Grid, value

A rubric is a class with metadata as class attributes, a parameter model and a pure
``score(profile, params)`` method; see ``docs/writing-a-rubric.md`` and, for each helper
named here, ``docs/api.md`` (generated from these docstrings and checked by the tests).

- the contract (:mod:`riskscore.scoring.contract`): :class:`Rubric`, :class:`RubricParams`,
  :class:`RubricResult`, :class:`Metric`, :class:`Evidence`, :class:`RedFlag`,
  :class:`DataGap`, :class:`Adjustment`, :class:`Scenario`, ``CONTRACT_VERSION``;
- grids and bands (:mod:`riskscore.scoring.scale`): :class:`Grid`, ``GridParam``,
  ``Band``, :func:`band_for`, :func:`clamp`;
- reading figures (:mod:`riskscore.scoring.facts`, :mod:`riskscore.profile.evidence`):
  :func:`value` (the observation the source ranking chose), :func:`sources_of`, :func:`cited`
  (an evidence line's sources and quotes),
  :func:`series`, :func:`latest`, :func:`ratio_pct`, :func:`revenue_share`, :func:`fmt_obs`,
  :func:`path`;
- messages (:mod:`riskscore.report.i18n`): :class:`Message` (an id, English text with
  ``{named}`` placeholders, parameters: what a Chinese memo translates), :class:`Value`
  (a date, period, amount or band written in the memo's language), :class:`Text` (a
  profile text, with its Chinese form);
- the profile's types (:mod:`riskscore.profile.model`) and dates
  (:mod:`riskscore.profile.units`): :class:`Profile`, :class:`Period`, :class:`Filing`,
  :class:`GovernanceEvent`, the figure and observation types, :class:`PartialDate`,
  :func:`months_between`;
- the listing process (:mod:`riskscore.profile.listing`): :func:`stage`, :func:`latest_stage`.

Internal modules import from where a name is defined; this module only gathers them.
"""

from riskscore.profile.evidence import sources_of, value
from riskscore.profile.listing import Stage, latest_stage, stage
from riskscore.profile.model import (
    CapitalEvent,
    ConcentrationStatement,
    CoreTechnology,
    Filing,
    GovernanceEvent,
    Instrument,
    MoneyFigure,
    MoneyObservation,
    PercentFigure,
    PercentObservation,
    Period,
    Profile,
)
from riskscore.profile.units import PartialDate, months_between
from riskscore.report.i18n import Message, Text, Value
from riskscore.scoring.contract import (
    CONTRACT_VERSION,
    SUPPORTED_CONTRACT_VERSIONS,
    Adjustment,
    Citation,
    DataGap,
    Evidence,
    Metric,
    RedFlag,
    Rubric,
    RubricParams,
    RubricResult,
    Scenario,
)
from riskscore.scoring.facts import cited, fmt_money, fmt_obs, fmt_pct, latest, path, ratio_pct, revenue_share, series
from riskscore.scoring.scale import Band, Grid, GridParam, band_for, clamp

__all__ = [
    "CONTRACT_VERSION", "SUPPORTED_CONTRACT_VERSIONS", "Adjustment", "Band", "Citation", "DataGap", "Evidence", "Filing",
    "CapitalEvent", "ConcentrationStatement", "CoreTechnology", "GovernanceEvent", "Grid", "GridParam", "Instrument", "Message", "Metric", "MoneyFigure", "MoneyObservation",
    "PartialDate", "PercentFigure", "PercentObservation", "Period", "Profile", "RedFlag", "Rubric",
    "RubricParams", "RubricResult", "Scenario", "Text", "Value", "band_for", "cited", "clamp", "fmt_money", "fmt_obs", "fmt_pct", "latest", "latest_stage", "months_between", "stage", "Stage",
    "path", "ratio_pct", "revenue_share", "series", "sources_of", "value",
]
