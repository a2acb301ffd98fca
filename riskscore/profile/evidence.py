"""Choosing between observations of one figure, and reporting where sources disagree.

Rule (methodology, "Which source wins"): a figure quoted from a filing carries that
filing's authority. When a figure holds observations that disagree, they are ranked by

1. the primary document the observation comes from: the filing it quotes (``filing:``),
   which ranks as a prospectus, else its source's own kind — prospectus >
   regulator/exchange > research > media;
2. how directly: the document itself before a source quoting it;
3. a verified observation before one marked ``unverified``;
4. the newer filing, then the newer source, then the more precise figure, an exact figure
   before a bounded one, then the source id — so the choice never depends on file order.

An observation that is *superseded* never wins while what supersedes it is on file: one
marked ``superseded_by`` (the source or filing whose observation of the same figure
replaces it), or one quoting a filing that a later filing of the same figure ``amends``
(a prospectus corrected days later).

Observations *agree* when the intervals their written precision admits overlap: 13.7
(13.65-13.75) and 13.68 agree; 9.1 and 8.17 do not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, overload

if TYPE_CHECKING:
    from riskscore.profile.model import MoneyFigure, MoneyObservation, PercentFigure, PercentObservation, Profile

# A string alias: the model imports this module, so the classes exist only for the type checker here.
Observation: TypeAlias = "MoneyObservation | PercentObservation"

SOURCE_KIND_RANK = {"prospectus": 0, "regulator": 1, "exchange": 1, "research": 2, "media": 3}
_EPOCH = dt.date(1, 1, 1)


def _same_value(a: Observation, b: Observation) -> bool:
    unit_a, unit_b = getattr(a, "unit", None), getattr(b, "unit", None)  # money has a currency, a percentage none
    if unit_a is not None and unit_b is not None and unit_a.currency != unit_b.currency:
        return False
    low_a, high_a = _interval(a)
    low_b, high_b = _interval(b)
    tolerance = 1e-9 * max(1.0, abs(a.base), abs(b.base))
    return low_a <= high_b + tolerance and low_b <= high_a + tolerance


def agree(a: Observation, b: Observation) -> bool:
    """Whether two observations of a figure agree within their written precision."""
    return _same_value(a, b)


def interval(obs: Observation) -> tuple[float, float]:
    """The values an observation admits: its written precision, widened for about/at least/at most."""
    return _interval(obs)


def _interval(obs: Observation) -> tuple[float, float]:
    step = obs.half_step
    if obs.bound == "at_least":
        return obs.base - step, float("inf")
    if obs.bound == "at_most":
        return float("-inf"), obs.base + step
    if obs.bound == "about":
        step = max(step, abs(obs.base) * 0.05)
    return obs.base - step, obs.base + step


@dataclass(frozen=True)
class Selection:
    """The observation chosen for a figure, and the ones that disagree with it."""

    location: tuple
    chosen: Observation
    disagreeing: tuple[Observation, ...]
    observations: tuple[Observation, ...]
    superseded: tuple[Observation, ...] = ()

    @property
    def conflict(self) -> bool:
        return bool(self.disagreeing)


def primary_rank(profile: Profile, obs: Observation) -> tuple[int, int]:
    """``(rank of the primary document, directness)``: 0 is best for both."""
    kind = profile.source(obs.source).kind
    if obs.filing:
        return SOURCE_KIND_RANK["prospectus"], 0 if kind == "prospectus" else 1
    return SOURCE_KIND_RANK[kind], 0


def rank_key(profile: Profile, obs: Observation) -> tuple:
    source = profile.source(obs.source)
    filing_date = profile.filing(obs.filing).known_date.end if obs.filing else _EPOCH
    return (
        *primary_rank(profile, obs),
        obs.unverified,
        -filing_date.toordinal(),
        -source.date.end.toordinal(),
        -obs.decimals,
        obs.bound != "exact",
        obs.source,
    )


def replaces(obs: Observation, other: Observation) -> bool:
    """Whether ``other`` is what ``obs.superseded_by`` names (its source or its filing)."""
    return obs.superseded_by is not None and other is not obs and obs.superseded_by in (other.source, other.filing)


def amended_by(profile: Profile, filing_id: str) -> set[str]:
    """Every filing that amends ``filing_id``, directly or through a chain of amendments."""
    out: set[str] = set()
    frontier = [filing_id]
    while frontier:
        current = frontier.pop()
        for f in profile.filings:
            if f.amends == current and f.id not in out:
                out.add(f.id)
                frontier.append(f.id)
    return out


def superseded(profile: Profile, observations: tuple[Observation, ...]) -> tuple[Observation, ...]:
    """The observations of one figure that another observation on file supersedes."""
    out = []
    for obs in observations:
        later = amended_by(profile, obs.filing) if obs.filing else set()
        if any(replaces(obs, o) or (o.filing in later) for o in observations if o is not obs):
            out.append(obs)
    return tuple(out)


def select(profile: Profile, figure: MoneyFigure | PercentFigure, location: tuple = ()) -> Selection:
    observations: tuple[Observation, ...] = tuple(figure)
    gone = superseded(profile, observations) if len(observations) > 1 else ()
    candidates = tuple(o for o in observations if not any(o is g for g in gone)) or observations
    chosen = min(candidates, key=lambda o: rank_key(profile, o))
    disagreeing = tuple(o for o in candidates if o is not chosen and not _same_value(chosen, o))
    return Selection(location, chosen, disagreeing, observations, tuple(g for g in gone if g is not chosen))


def selections(profile: Profile) -> list[Selection]:
    """Every figure with more than one observation, in document order."""
    return [select(profile, figure, loc) for loc, figure in profile.iter_figures() if len(figure) > 1]


def conflicts(profile: Profile) -> list[Selection]:
    """Every figure whose observations disagree beyond rounding, in document order."""
    return [sel for sel in selections(profile) if sel.conflict]


@overload
def value(profile: Profile, figure: MoneyFigure) -> MoneyObservation: ...
@overload
def value(profile: Profile, figure: PercentFigure) -> PercentObservation: ...
@overload
def value(profile: Profile, figure: None) -> None: ...
@overload
def value(profile: Profile, figure: MoneyFigure | PercentFigure | None) -> Observation | None: ...
def value(profile: Profile, figure: MoneyFigure | PercentFigure | None) -> Observation | None:
    """The observation of ``figure`` the engine's source ranking chose (None when the figure is absent).

    Always read a figure through this (or :func:`series` / :func:`latest`), never
    ``figure.root[0]``: when sources disagree, the chosen one is the highest-ranked source's
    (prospectus > regulator, exchange > research > media; then the newer filing, the newer
    source, the more precise figure), the same one the memo shows. Cite its ``.source``.
    """
    if figure is None:
        return None
    if len(figure) == 1:
        return figure.root[0]
    return select(profile, figure).chosen


def sources_of(observations: Iterable[Observation]) -> list[str]:
    """The source ids of ``observations``, each once, in order: what a metric or evidence built from them cites."""
    seen: list[str] = []
    for obs in observations:
        if obs.source not in seen:
            seen.append(obs.source)
    return seen
