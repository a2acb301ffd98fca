"""Units that profiles are written in: money with an explicit scale, percentages, partial dates.

Conventions (documented in README "Writing a profile"):

* **Money** is an amount plus a unit string naming the currency and the scale, e.g.
  ``RMB 亿`` (10^8), ``RMB million``, ``USD bn``. Internally every amount is normalised to
  base currency units; the memo shows it back in the profile's presentation unit.
* **Percentages** are always written as strings with a percent sign: ``77.6%``. A bare
  number is refused, because 0.776 and 77.6 cannot both mean 77.6% and guessing which was
  meant is how a scale error slips into a memo. The message suggests the likely intent.
* **Dates** may be partial when the source is: ``2022``, ``2022-06`` or ``2022-06-30``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError, core_schema

CURRENCIES = ("RMB", "USD", "HKD", "EUR", "GBP", "SGD", "JPY")
_CURRENCY_ALIASES = {"CNY": "RMB", "人民币": "RMB", "US$": "USD", "HK$": "HKD"}

# scale word -> (factor, canonical label)
SCALES: dict[str, tuple[float, str]] = {
    "": (1.0, ""),
    "unit": (1.0, ""),
    "units": (1.0, ""),
    "thousand": (1e3, "thousand"),
    "k": (1e3, "thousand"),
    "万": (1e4, "万"),
    "million": (1e6, "million"),
    "mn": (1e6, "million"),
    "m": (1e6, "million"),
    "亿": (1e8, "亿"),
    "billion": (1e9, "bn"),
    "bn": (1e9, "bn"),
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A currency and a scale, e.g. ``RMB 亿`` = RMB 100,000,000."""

    currency: str
    scale: str
    factor: float

    @classmethod
    def parse(cls, text: str) -> Unit:
        if not isinstance(text, str):
            raise ValueError(f"a money unit is a string such as 'RMB 亿' or 'USD million'; got {text!r}")
        parts = text.strip().split(None, 1)
        if not parts:
            raise ValueError("a money unit is a string such as 'RMB 亿' or 'USD million'; got an empty string")
        currency = _CURRENCY_ALIASES.get(parts[0], parts[0].upper())
        scale_word = parts[1].strip().lower() if len(parts) > 1 else ""
        if currency not in CURRENCIES:
            raise ValueError(f"unknown currency {parts[0]!r} in unit {text!r}; use one of {', '.join(CURRENCIES)}")
        if scale_word not in SCALES:
            words = ", ".join(sorted({label for _, label in SCALES.values() if label}))
            raise ValueError(f"unknown scale {parts[1]!r} in unit {text!r}; use one of: {words} (or none)")
        factor, label = SCALES[scale_word]
        return cls(currency, label, factor)

    def __str__(self) -> str:
        return f"{self.currency} {self.scale}".strip()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def validate(value: Any) -> Unit:
            if isinstance(value, Unit):
                return value
            try:
                return cls.parse(value)
            except ValueError as exc:
                raise PydanticCustomError("money_unit", str(exc)) from None

        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


_PERCENT_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


def parse_percent(value: Any) -> float:
    """Parse ``'77.6%'`` to ``77.6``. Bare numbers are refused with a hint at the likely intent."""
    if isinstance(value, bool):
        raise PydanticCustomError("percent_format", "expected a percentage such as '12.5%'; got {value}", {"value": value})
    if isinstance(value, (int, float)):
        if -1 < value < 1 and value != 0:
            hint = f"did you mean '{value * 100:g}%' (a fraction) or '{value:g}%'?"
        else:
            hint = f"did you mean '{value:g}%'?"
        raise PydanticCustomError(
            "percent_format",
            "percentages are written with a percent sign so their scale is unambiguous; got the bare number {value}: {hint}",
            {"value": value, "hint": hint},
        )
    if isinstance(value, str):
        match = _PERCENT_RE.match(value)
        if match:
            return float(match.group(1))
    raise PydanticCustomError("percent_format", "expected a percentage such as '12.5%'; got {value}", {"value": repr(value)})


_PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day, as precisely as the source gives it.

    ``start`` and ``end`` are the first and last days it may denote (``2022-06`` is
    2022-06-01 to 2022-06-30); ordering uses both; ``str()`` gives the text as written.
    Compare with ``.start`` or ``.end`` (e.g. ``months_between(event.date.end, profile.as_of)``)
    depending on which reading is conservative for your rubric.
    """

    start: dt.date
    end: dt.date
    text: str

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        """``'2022'``, ``'2022-06'``, ``'2022-06-30'``, a ``date`` or a year as an int; ValueError otherwise."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value, value, value.isoformat())
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not (match := _PARTIAL_DATE_RE.match(value.strip())):
            raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD; got {value!r}")
        year, month, day = match.groups()
        y = int(year)
        try:
            if day:
                d = dt.date(y, int(month), int(day))
                return cls(d, d, d.isoformat())
            if month:
                m = int(month)
                last = calendar.monthrange(y, m)[1]
                return cls(dt.date(y, m, 1), dt.date(y, m, last), f"{y:04d}-{m:02d}")
        except ValueError as exc:
            raise ValueError(f"not a calendar date: {value!r} ({exc})") from None
        return cls(dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y:04d}")

    def __str__(self) -> str:
        return self.text

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def validate(value: Any) -> PartialDate:
            try:
                return cls.parse(value)
            except ValueError as exc:
                raise PydanticCustomError("partial_date", str(exc)) from None

        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def decimals_of(value: float) -> int:
    """Decimal places a figure was written with (``13.68`` -> 2, ``250.0`` -> 1, ``250`` -> 0)."""
    text = repr(float(value)) if not isinstance(value, int) else str(value)
    if "e" in text or "E" in text:
        return 6
    return len(text.split(".", 1)[1]) if "." in text else 0


def months_between(earlier: dt.date, later: dt.date) -> float:
    """Calendar months from ``earlier`` to ``later`` (negative when reversed).

    Whole months count as whole (2023-06-30 to 2026-06-30 is exactly 36, month-ends
    matching month-ends); the remaining days count as a fraction of an average month.
    """
    if later < earlier:
        return -months_between(later, earlier)
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    last_earlier = calendar.monthrange(earlier.year, earlier.month)[1]
    last_later = calendar.monthrange(later.year, later.month)[1]
    if earlier.day == last_earlier and later.day == last_later:
        days = 0
    else:
        days = later.day - earlier.day
    return months + days / (365.2425 / 12)
