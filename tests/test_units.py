"""Units (money, percentages, partial dates) and the common scale (grids, bands)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from riskscore.profile.units import PartialDate, Unit, parse_percent
from riskscore.scoring.scale import Grid, band_for

# --------------------------------------------------------------------------- Unit.parse


@pytest.mark.parametrize(
    "text, currency, scale, factor",
    [
        ("RMB 亿", "RMB", "亿", 1e8),
        ("RMB 万", "RMB", "万", 1e4),
        ("RMB million", "RMB", "million", 1e6),
        ("RMB Million", "RMB", "million", 1e6),
        ("USD mn", "USD", "million", 1e6),
        ("USD m", "USD", "million", 1e6),
        ("USD bn", "USD", "bn", 1e9),
        ("USD billion", "USD", "bn", 1e9),
        ("HKD thousand", "HKD", "thousand", 1e3),
        ("HKD k", "HKD", "thousand", 1e3),
        ("EUR", "EUR", "", 1.0),
        ("EUR units", "EUR", "", 1.0),
        ("rmb 亿", "RMB", "亿", 1e8),
        ("  RMB   亿  ", "RMB", "亿", 1e8),
        ("CNY 亿", "RMB", "亿", 1e8),
        ("人民币 亿", "RMB", "亿", 1e8),
        ("US$ million", "USD", "million", 1e6),
        ("HK$ bn", "HKD", "bn", 1e9),
    ],
)
def test_unit_parse(text: str, currency: str, scale: str, factor: float) -> None:
    unit = Unit.parse(text)
    assert (unit.currency, unit.scale, unit.factor) == (currency, scale, factor)


def test_unit_str_is_canonical() -> None:
    assert str(Unit.parse("CNY  Million")) == "RMB million"
    assert str(Unit.parse("USD")) == "USD"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("XYZ 亿", "unknown currency 'XYZ'"),
        ("RMB lakh", "unknown scale 'lakh'"),
        ("", "empty string"),
        ("   ", "empty string"),
        (100, "a money unit is a string"),
        (None, "a money unit is a string"),
    ],
)
def test_unit_parse_errors(text: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Unit.parse(text)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parse_percent


@pytest.mark.parametrize(
    "text, value",
    [("77.6%", 77.6), ("0%", 0.0), ("100%", 100.0), ("-4.2%", -4.2), ("+5%", 5.0), (" 12.5 % ", 12.5), ("262.1%", 262.1)],
)
def test_parse_percent(text: str, value: float) -> None:
    assert parse_percent(text) == value


@pytest.mark.parametrize(
    "value, hint",
    [
        (0.776, "'77.6%'"),          # a fraction: suggests the percentage it likely means
        (-0.05, "'-5%'"),
        (77.6, "'77.6%'"),
        (5, "'5%'"),
    ],
)
def test_parse_percent_refuses_bare_numbers_with_a_hint(value: float, hint: str) -> None:
    with pytest.raises(PydanticCustomError) as info:
        parse_percent(value)
    assert "percent sign" in str(info.value)
    assert hint in str(info.value)


@pytest.mark.parametrize("value", ["77.6", "77,6%", "abc%", "%", "", True, None, [1]])
def test_parse_percent_refuses_malformed(value: object) -> None:
    with pytest.raises(PydanticCustomError, match="percentage"):
        parse_percent(value)


# --------------------------------------------------------------------------- PartialDate


@pytest.mark.parametrize(
    "value, start, end, text",
    [
        ("2022", dt.date(2022, 1, 1), dt.date(2022, 12, 31), "2022"),
        (2022, dt.date(2022, 1, 1), dt.date(2022, 12, 31), "2022"),
        ("2022-06", dt.date(2022, 6, 1), dt.date(2022, 6, 30), "2022-06"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        ("2023-02", dt.date(2023, 2, 1), dt.date(2023, 2, 28), "2023-02"),
        ("2022-06-30", dt.date(2022, 6, 30), dt.date(2022, 6, 30), "2022-06-30"),
        (" 2022-06-30 ", dt.date(2022, 6, 30), dt.date(2022, 6, 30), "2022-06-30"),
        (dt.date(2022, 6, 30), dt.date(2022, 6, 30), dt.date(2022, 6, 30), "2022-06-30"),
        (dt.datetime(2022, 6, 30, 15, 0), dt.date(2022, 6, 30), dt.date(2022, 6, 30), "2022-06-30"),
    ],
)
def test_partial_date_parse(value: object, start: dt.date, end: dt.date, text: str) -> None:
    date = PartialDate.parse(value)
    assert (date.start, date.end, str(date)) == (start, end, text)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2022-13", "not a calendar date"),
        ("2022-00", "not a calendar date"),
        ("2023-02-30", "not a calendar date"),
        ("2023-02-29", "not a calendar date"),
        ("2022-6", "expected a date"),
        ("22-06-30", "expected a date"),
        ("2022/06/30", "expected a date"),
        ("June 2022", "expected a date"),
        (True, "expected a date"),
        (None, "expected a date"),
    ],
)
def test_partial_date_parse_errors(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        PartialDate.parse(value)


def test_partial_date_leap_day_is_valid() -> None:
    assert PartialDate.parse("2024-02-29").start == dt.date(2024, 2, 29)


def test_partial_dates_order_by_start_then_end() -> None:
    dates = [PartialDate.parse(v) for v in ("2022-06-30", "2022", "2022-06")]
    assert [str(d) for d in sorted(dates)] == ["2022", "2022-06", "2022-06-30"]


# --------------------------------------------------------------------------- Grid


@pytest.mark.parametrize(
    "points, fragment",
    [
        ([[0, 0], [10, 20], [10, 30]], "twice"),
        ([[0, 0]], "at least two points"),
        ([], "at least two points"),
        ([[0, 0], [10, 101]], "within 0-100"),
        ([[0, -1], [10, 20]], "within 0-100"),
    ],
)
def test_grid_validation(points: list, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Grid.of(points)


@pytest.mark.parametrize(
    "x, score",
    [
        (-50, 0),      # flat before the first point
        (0, 0),
        (5, 10),       # midpoint of 0→0, 10→20
        (10, 20),
        (15, 30),
        (20, 40),
        (27.5, 50),    # midpoint of 20→40, 35→60
        (35, 60),
        (100, 100),
        (250, 100),    # flat after the last point
    ],
)
def test_grid_interpolates_linearly_with_flat_ends(x: float, score: float) -> None:
    grid = Grid.of([[0, 0], [10, 20], [20, 40], [35, 60], [100, 100]])
    assert grid.score(x) == pytest.approx(score)


def test_grid_accepts_points_in_any_order_and_decreasing_scores() -> None:
    grid = Grid.of([[50, 0], [0, 100], [25, 40]])
    assert grid.points == ((0, 100), (25, 40), (50, 0))
    assert grid.score(-5) == 100
    assert grid.score(12.5) == pytest.approx(70)
    assert grid.score(60) == 0


def test_grid_describe() -> None:
    assert Grid.of([[0, 0], [10, 20], [2.5, 5]]).describe("%") == "0%→0, 2.5%→5, 10%→20"


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    "score, band",
    [
        (0, "Low"),
        (19.99, "Low"),
        (20, "Moderate"),
        (39.99, "Moderate"),
        (40, "Elevated"),
        (59.99, "Elevated"),
        (60, "High"),
        (79.99, "High"),
        (80, "Severe"),
        (100, "Severe"),
    ],
)
def test_band_for(score: float, band: str) -> None:
    assert band_for(score) == band
