"""Helpers rubrics use to read a profile: latest figures, series over periods, formatting.

All reads go through :func:`riskscore.profile.evidence.value`, so a rubric sees the observation the
engine's source ranking chose, never an arbitrary one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from riskscore.profile import evidence, paths
from riskscore.profile.model import MoneyFigure, MoneyObservation, PercentFigure, PercentObservation, Period, Profile
from riskscore.report import format as fmt
from riskscore.report.i18n import Value

Obs = TypeVar("Obs", MoneyObservation, PercentObservation)


def series(profile: Profile, get: Callable[[Period], MoneyFigure | PercentFigure | None], annual_only: bool = False) -> list[tuple[Period, MoneyObservation | PercentObservation]]:
    """``(period, chosen observation)`` for every period holding the figure, oldest first.

    ``get`` picks the figure from a period, e.g. ``lambda p: p.revenue``; with
    ``annual_only`` only fiscal years (``FY2024``) count. Each observation is the one
    :func:`value` chooses.
    """
    out = []
    for period in profile.periods_by_end():
        if annual_only and not period.is_annual:
            continue
        obs = evidence.value(profile, get(period))
        if obs is not None:
            out.append((period, obs))
    return out


def latest(profile: Profile, get: Callable[[Period], MoneyFigure | PercentFigure | None]) -> tuple[Period, MoneyObservation | PercentObservation] | tuple[None, None]:
    """The figure in the most recent period that holds it (a year before an interim ending the same day)."""
    found = series(profile, get)
    return found[-1] if found else (None, None)


def fmt_pct(value: float, decimals: int = 1) -> str:
    """A percentage as the memo writes it: ``fmt_pct(77.63)`` -> ``'77.6%'`` (:func:`riskscore.report.format.percent`)."""
    return fmt.percent(value, decimals)


def fmt_money(profile: Profile, base: float, decimals: int = 2, currency: str | None = None) -> str:
    """An amount in base units, in the profile's presentation unit: ``RMB 13.70 亿`` (in a Chinese memo ``13.70亿元``).

    An amount in another ``currency`` than the presentation unit's is shown in that
    currency, unscaled, rather than mislabelled. The result is a string that a Chinese
    memo writes the Chinese way (a :class:`riskscore.report.i18n.Value`).
    """
    unit = profile.presentation_unit
    if currency is not None and currency != unit.currency:
        return Value.money(base, currency, 0)
    return Value.money_base(base, unit, decimals)


def fmt_obs(profile: Profile, obs: MoneyObservation | PercentObservation) -> str:
    """An observation as written (its own precision and bound), in the presentation unit when it is money
    (a string that a Chinese memo writes the Chinese way: ``约0.2亿元``)."""
    return Value.observation(obs, profile.presentation_unit)


def ratio_pct(numerator: MoneyObservation, denominator: MoneyObservation) -> float | None:
    """``numerator / denominator`` in percent, None when the currencies differ or the denominator is zero.

    Amounts are compared in base units, so ``RMB 亿`` over ``RMB million`` is right.
    """
    if numerator.unit.currency != denominator.unit.currency or denominator.base == 0:
        return None
    ratio = 100.0 * numerator.base / denominator.base
    return ratio if math.isfinite(ratio) else None


def revenue_share(profile: Profile, period: Period) -> Iterator[tuple[str, float, list[str]]]:
    """``(segment name, share of revenue in %, source ids)`` for each top-level segment of ``period``.

    The share is the stated one, else the segment's revenue over the period's revenue; a
    derived share outside 0-100% is skipped (the data-quality checks report it).
    """
    total = evidence.value(profile, period.revenue)
    for seg in period.segments:
        if seg.parent:
            continue
        share = evidence.value(profile, seg.share)
        if share is not None:
            yield seg.name, share.value, [share.source]
            continue
        rev = evidence.value(profile, seg.revenue)
        if rev is not None and total is not None:
            pct = ratio_pct(rev, total)
            if pct is not None and 0 <= pct <= 100:  # a derived share outside 0-100% is a data-quality finding, not a share
                yield seg.name, pct, [rev.source, total.source]


def path(period: Period, *rest: str) -> str:
    """The profile path of a figure in ``period``: ``path(p, "customers", "largest_share")`` -> ``'periods[2025H1].customers.largest_share'``.

    Give it as a :class:`Metric`'s ``path`` (what-if and sensitivity analysis move that
    figure) or a :class:`DataGap`'s ``field`` (the grammar is :mod:`riskscore.profile.paths`).
    """
    return paths.period(period.id, *rest)


def cited(*items: Any, sources: Iterable[str] = ()) -> dict[str, Any]:
    """``sources`` and ``citations`` for an :class:`Evidence` built from observations or text facts.

    ``Evidence(statement=..., **cited(obs, event))``: the items' sources first (an
    observation's ``source``; a text fact's ``sources``), then ``sources``; a citation for
    every item with a quote or marked unverified (a text fact's quote is from its first source).
    """
    from riskscore.scoring.contract import Citation

    ids: list[str] = []
    citations: list[Citation] = []
    for item in items:
        if item is None:
            continue
        own = [item.source] if hasattr(item, "source") else list(getattr(item, "sources", []))
        ids += [s for s in own if s not in ids]
        quote, unverified = getattr(item, "quote", None), bool(getattr(item, "unverified", False))
        if own and (quote or unverified):
            citation = Citation(source=own[0], quote=quote, unverified=unverified)
            if citation not in citations:
                citations.append(citation)
    ids += [s for s in sources if s not in ids]
    return {"sources": ids, "citations": citations}
