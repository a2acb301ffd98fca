"""The one formatter: how every number a document shows is written.

A value is rounded once, here, at presentation; the models and rubrics keep full precision.
Memo, trend, peers, what-if, the charts and the terminal all call these functions, so the
same figure reads the same everywhere.

Style:

* **scores and points** (0-100 risk scores, contributions, score changes): one decimal,
  ``53.2``, a change signed ``+1.3``;
* **percentages** (a value already in percent): one decimal by default, ``77.6%``;
  **shares** (a fraction 0-1, e.g. coverage, weights): ``94%``;
  **percentage points**: ``2.8 pp``;
* **ratios**: two decimals and a times sign, ``4.55×``;
* **money**: currency, amount, scale, ``RMB 13.70 亿``, ``RMB -9.1 亿``, ``USD 1.20 bn``;
  thousands separated by commas;
* **bounds**: ``about`` (约), ``more than`` (多/超), ``less than`` (不足) before the figure;
* a missing value is an em dash, ``—``.

Chinese (``lang="zh"``) follows Chinese financial writing: money as ``13.70亿元``,
``3,030万元``, ``1.20十亿美元``; bounds ``约`` / ``超过`` / ``不足``; ``2.8个百分点``;
``4.55倍``; dates ``2025年6月30日``; periods ``2025年上半年``, ``2024财年``. Digits, decimals and
rounding are the same in both languages, so the two memos never disagree on a figure.

Rounding is Python's own, correctly rounded from the stored binary value (as ``f"{x:.1f}"``
does), so a rubric's own f-string and the memo never disagree; a result that rounds to zero
is written without a minus sign (``0.0``, or ``+0.0`` for a signed change). NaN and infinities are refused: a figure that is not a
number must not reach a document.

Only the standard library and :mod:`riskscore.profile.units` are imported: the scoring path
(``riskscore score``) uses this module too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from riskscore.profile.units import Unit

if TYPE_CHECKING:
    from riskscore.profile.model import MoneyObservation, PercentObservation
    from riskscore.scoring.contract import Metric

MISSING = "—"
"""How a value that is not there is shown."""

Bound = Literal["exact", "about", "at_least", "at_most"]
BOUND_WORDS: dict[str, str] = {"exact": "", "about": "about ", "at_least": "more than ", "at_most": "less than "}
BOUND_WORDS_ZH: dict[str, str] = {"exact": "", "about": "约", "at_least": "超过", "at_most": "不足"}
LANGS: tuple[str, ...] = ("en", "zh")
"""The languages documents are written in: English (the default) and Simplified Chinese."""

CURRENCY_ZH: dict[str, str] = {"RMB": "元", "USD": "美元", "HKD": "港元", "EUR": "欧元", "GBP": "英镑", "SGD": "新加坡元", "JPY": "日元"}
SCALE_ZH: dict[str, str] = {"": "", "thousand": "千", "万": "万", "million": "百万", "亿": "亿", "bn": "十亿"}


def _finite(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}: a figure in a document must be a finite number")
    return value


def number(value: float, decimals: int = 1, *, sign: bool = False, grouping: bool = True) -> str:
    """``value`` with ``decimals`` fixed places: ``1,234.5``; ``sign=True`` writes ``+`` before a positive value."""
    value = _finite(value)
    text = f"{value:{'+' if sign else ''}{',' if grouping else ''}.{max(0, decimals)}f}"
    if text[0] == "-" and not text.strip("-0.,"):  # rounds to zero: no minus sign
        text = ("+" if sign else "") + text[1:]
    return text


def plain(value: float, max_decimals: int = 2, *, sign: bool = False) -> str:
    """At most ``max_decimals`` places, trailing zeros dropped: ``7``, ``15.89``, ``0.6``; for settings and counts."""
    text = number(value, max_decimals, sign=sign)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def score(value: float | None) -> str:
    """A 0-100 score, a contribution or points: ``79.9``; ``—`` when there is none."""
    return MISSING if value is None else number(value, 1)


def delta(value: float | None) -> str:
    """A change in score, signed: ``+1.3``, ``-22.0``; ``—`` when either side is missing."""
    return MISSING if value is None else number(value, 1, sign=True)


def percent(value: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """A value already in percent: ``77.6%``; ``—`` when there is none."""
    return MISSING if value is None else number(value, decimals, sign=sign) + "%"


def share(fraction: float | None, decimals: int = 0) -> str:
    """A fraction of a whole (0-1), in percent: ``0.94`` -> ``94%``."""
    return MISSING if fraction is None else percent(100 * _finite(fraction), decimals)


def pp(value: float, decimals: int = 1, *, lang: str = "en") -> str:
    """Percentage points: ``2.8 pp`` (``2.8个百分点``)."""
    return number(value, decimals) + ("个百分点" if lang == "zh" else " pp")


def ratio(value: float | None, decimals: int = 2, *, lang: str = "en") -> str:
    """A multiple: ``4.55×`` (``4.55倍``)."""
    return MISSING if value is None else number(value, decimals) + ("倍" if lang == "zh" else "×")


def bounded(text: str, bound: str = "exact", *, lang: str = "en") -> str:
    """``text`` after its bound's word: ``about RMB 0.2 亿``, ``more than RMB 250 亿`` (``约0.2亿元``, ``超过250亿元``)."""
    return (BOUND_WORDS_ZH if lang == "zh" else BOUND_WORDS)[bound] + text


def money(amount: float, unit: Unit | str, decimals: int = 2, *, lang: str = "en") -> str:
    """An amount written in ``unit``: ``money(13.7, 'RMB 亿')`` -> ``RMB 13.70 亿`` (``13.70亿元``)."""
    unit = unit if isinstance(unit, Unit) else Unit.parse(unit)
    if lang == "zh":
        return f"{number(amount, decimals)}{SCALE_ZH.get(unit.scale, unit.scale)}{CURRENCY_ZH.get(unit.currency, unit.currency)}"
    scale = f" {unit.scale}" if unit.scale else ""
    return f"{unit.currency} {number(amount, decimals)}{scale}"


def money_base(base: float, unit: Unit | str, decimals: int = 2, *, lang: str = "en") -> str:
    """An amount in base currency units (yuan, dollars), shown in ``unit``: ``(1.37e9, 'RMB 亿')`` -> ``RMB 13.70 亿``."""
    unit = unit if isinstance(unit, Unit) else Unit.parse(unit)
    return money(_finite(base) / unit.factor, unit, decimals, lang=lang)


_PERIOD_PARTS_ZH = {"H1": "上半年", "H2": "下半年", "Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度",
                    "-9M": "前九个月"}


def period(period_id: str, *, lang: str = "en") -> str:
    """A period id as documents show it: ``2025H1`` (``2025年上半年``), ``FY2024`` (``2024财年``).

    Anything that is not a period id (a range such as ``FY2022→2025H1`` is written part by part)
    is returned as it is."""
    if lang != "zh":
        return period_id
    if " to " in period_id:
        return "至".join(period(part, lang=lang) for part in period_id.split(" to "))
    if "→" in period_id or "–" in period_id:
        sep = "→" if "→" in period_id else "–"
        return sep.join(period(part, lang=lang) for part in period_id.split(sep))
    if period_id.startswith("FY") and period_id[2:].isdigit():
        return f"{period_id[2:]}财年"
    year, part = period_id[:4], period_id[4:]
    if year.isdigit() and part in _PERIOD_PARTS_ZH:
        return f"{year}年{_PERIOD_PARTS_ZH[part]}"
    return date(period_id, lang=lang)  # a date where a period would be (an event's month), else as it is


def date(text: str, *, lang: str = "en") -> str:
    """A (partial) ISO date as documents show it: ``2025-06-30`` (``2025年6月30日``), ``2024-01`` (``2024年1月``)."""
    if lang != "zh":
        return text
    parts = text.split("-")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3 or len(parts[0]) != 4:
        return text
    return "".join(f"{int(p)}{suffix}" if i else f"{p}{suffix}" for i, (p, suffix) in enumerate(zip(parts, ("年", "月", "日"), strict=False)))


def observation(obs: MoneyObservation | PercentObservation, presentation: Unit, *, lang: str = "en") -> str:
    """An observation at its written precision, with its bound; money in the ``presentation`` unit.

    Money written in another scale of the same currency is shown in the presentation unit
    (at least two decimals) and, in brackets, as written; money in another currency as written.
    """
    from riskscore.profile.model import PercentObservation

    if isinstance(obs, PercentObservation):
        return bounded(percent(obs.value, obs.decimals), obs.bound, lang=lang)
    if obs.unit == presentation:
        return bounded(money(obs.amount, presentation, obs.decimals, lang=lang), obs.bound, lang=lang)
    if obs.unit.currency == presentation.currency:
        shown = money_base(obs.base, presentation, max(2, obs.decimals), lang=lang)
        return bounded(f"{shown} ({money(obs.amount, obs.unit, obs.decimals, lang=lang)})", obs.bound, lang=lang)
    return bounded(money(obs.amount, obs.unit, obs.decimals, lang=lang), obs.bound, lang=lang)


def cell(obs: MoneyObservation | PercentObservation, presentation: Unit, *, lang: str = "en") -> str:
    """An observation under a header that names the unit (``Revenue (RMB 亿)``): the figure as
    :func:`observation` writes it, without the currency and scale: ``54.96``, ``about 0.2``
    (``约0.2``), ``77.6%``. Money in another currency keeps its unit (``USD 1.20 bn``)."""
    from riskscore.profile.model import PercentObservation

    if isinstance(obs, PercentObservation):
        return bounded(percent(obs.value, obs.decimals), obs.bound, lang=lang)
    if obs.unit == presentation:
        return bounded(number(obs.amount, obs.decimals), obs.bound, lang=lang)
    if obs.unit.currency == presentation.currency:
        return bounded(number(_finite(obs.base) / presentation.factor, max(2, obs.decimals)), obs.bound, lang=lang)
    return bounded(money(obs.amount, obs.unit, obs.decimals, lang=lang), obs.bound, lang=lang)


def metric(m: Metric, decimals: int | None = None) -> str:
    """A rubric metric's value as documents show it: the rubric's ``display`` when it wrote one,
    else by unit (``%`` one decimal, ``×`` two, ``years`` and other units at most two).
    ``decimals`` asks for more places (to show a move hidden by the usual rounding)."""
    if m.display is not None and decimals is None:
        return m.display
    if m.value is None:
        return "not on file"
    if m.unit == "%":
        return percent(m.value, 1 if decimals is None else decimals)
    if m.unit == "×":
        return ratio(m.value, 2 if decimals is None else decimals)
    shown = plain(m.value, 2 if decimals is None else decimals)
    return f"{shown} {m.unit}" if m.unit else shown


def label(value: float, decimals: int | None = None) -> str:
    """A chart label: ``decimals`` fixed places, or at most one (``30``, ``13.7``)."""
    return number(value, decimals) if decimals is not None else plain(value, 1)
