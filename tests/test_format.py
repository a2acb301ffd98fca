"""The one formatter (riskscore.report.format): rounding, signs, bounds, units, and what it refuses.

Every document (memo, trend, peers, sensitivity, charts, the terminal) writes its numbers
through these functions, so these cases pin down how any figure reads anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from riskscore.profile.model import MoneyObservation, PercentObservation
from riskscore.profile.units import Unit
from riskscore.report import format as fmt
from riskscore.scoring.contract import Metric

RMB_YI = Unit.parse("RMB 亿")


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    # rounding is Python's own, from the stored binary value: the same as a rubric's f"{x:.1f}"
    (0.646, 1, "0.6"),          # operating cash flow / revenue: never 0.65 first, then 0.7
    (0.65, 1, "0.7"),           # 0.65 is stored a hair above .65
    (0.15, 1, "0.1"),           # 0.15 is stored a hair below .15
    (0.25, 1, "0.2"),           # an exact binary tie goes to the even digit
    (0.35, 1, "0.3"),
    (2.675, 2, "2.67"),
    (79.86, 1, "79.9"),
    (79.95, 1, "80.0"),
    (19.999, 1, "20.0"),
    (0.0, 1, "0.0"),
    (0.0, 0, "0"),
    (1234567.891, 2, "1,234,567.89"),   # thousands separated
    (1e12, 0, "1,000,000,000,000"),     # very large: no exponent
    (0.00004, 4, "0.0000"),             # very small: rounds to zero, fixed places
    (0.00005, 4, "0.0001"),
    (-9.1, 1, "-9.1"),                  # negatives keep their sign ...
    (-0.04, 1, "0.0"),                  # ... unless they round to zero: never "-0.0"
    (-0.0, 1, "0.0"),
    (-1234.5, 0, "-1,234"),
    (12.5, 0, "12"),                    # half to even, as f-strings do
    (13.5, 0, "14"),
])
def test_number_rounds_once_like_python(value: float, decimals: int, expected: str) -> None:
    assert fmt.number(value, decimals) == expected
    python = f"{value:,.{decimals}f}"
    if not (python.startswith("-") and python.strip("-0.,") == ""):  # "-0.0" is the one difference
        assert fmt.number(value, decimals) == python  # a rubric's own f-string agrees


@pytest.mark.parametrize(("value", "expected"), [
    (1.25, "+1.2"), (-22.04, "-22.0"), (0.0, "+0.0"), (-0.04, "+0.0"), (0.05, "+0.1"), (None, "—"),
])
def test_delta_is_signed_and_never_negative_zero(value: float | None, expected: str) -> None:
    assert fmt.delta(value) == expected


@pytest.mark.parametrize(("value", "max_decimals", "expected"), [
    (7.0, 2, "7"), (15.89, 2, "15.89"), (0.6, 2, "0.6"), (60, 2, "60"), (0.125, 2, "0.12"), (1000, 2, "1,000"),
    (-0.001, 2, "0"), (2.5, 0, "2"),
])
def test_plain_drops_trailing_zeros(value: float, max_decimals: int, expected: str) -> None:
    assert fmt.plain(value, max_decimals) == expected


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: fmt.score(79.86), "79.9"),
    (lambda: fmt.score(None), "—"),
    (lambda: fmt.score(100), "100.0"),
    (lambda: fmt.percent(77.6), "77.6%"),
    (lambda: fmt.percent(-4.2184), "-4.2%"),
    (lambda: fmt.percent(266, 0), "266%"),
    (lambda: fmt.percent(-16.07, 2, sign=True), "-16.07%"),
    (lambda: fmt.percent(3.5, 2, sign=True), "+3.50%"),
    (lambda: fmt.percent(None), "—"),
    (lambda: fmt.share(0.94), "94%"),
    (lambda: fmt.share(0.2, 1), "20.0%"),
    (lambda: fmt.share(1.0), "100%"),
    (lambda: fmt.pp(2.8), "2.8 pp"),
    (lambda: fmt.ratio(4.5487), "4.55×"),       # one style: never 4.5× in one place and 4.55× in another
    (lambda: fmt.ratio(0.75), "0.75×"),
    (lambda: fmt.ratio(None), "—"),
    (lambda: fmt.label(13.75), "13.8"),
    (lambda: fmt.label(30.0), "30"),
    (lambda: fmt.label(-0.04), "0"),
    (lambda: fmt.label(40, 0), "40"),
])
def test_styles(call: Callable[[], str], expected: str) -> None:
    assert call() == expected


@pytest.mark.parametrize(("amount", "unit", "decimals", "expected"), [
    (13.7, "RMB 亿", 2, "RMB 13.70 亿"),
    (-9.1, "RMB 亿", 1, "RMB -9.1 亿"),        # currency, amount, scale: never "-9.1 RMB 亿"
    (3030, "RMB 万", 0, "RMB 3,030 万"),
    (250, "RMB 亿", 0, "RMB 250 亿"),
    (0, "RMB 亿", 0, "RMB 0 亿"),
    (1.5, "RMB million", 1, "RMB 1.5 million"),
    (60, "US$ million", 0, "USD 60 million"),   # US$ is USD
    (1.2, "USD bn", 2, "USD 1.20 bn"),
    (1234567, "USD", 0, "USD 1,234,567"),        # no scale
])
def test_money(amount: float, unit: str, decimals: int, expected: str) -> None:
    assert fmt.money(amount, unit, decimals) == expected


def test_money_from_base_units_in_another_scale() -> None:
    assert fmt.money_base(1.37e9, RMB_YI) == "RMB 13.70 亿"
    assert fmt.money_base(3.03e7, RMB_YI) == "RMB 0.30 亿"
    assert fmt.money_base(-5e5, "RMB 万", 0) == "RMB -50 万"


def _money(amount: Any, unit: str = "RMB 亿", bound: str = "exact") -> MoneyObservation:
    return MoneyObservation.model_validate({"amount": amount, "unit": unit, "source": "s", "bound": bound})


def _pct(value: str, bound: str = "exact") -> PercentObservation:
    return PercentObservation.model_validate({"value": value, "source": "s", "bound": bound})


@pytest.mark.parametrize(("obs", "expected"), [
    (_money(13.7), "RMB 13.7 亿"),                            # at the precision it was written
    (_money("13.70"), "RMB 13.70 亿"),
    (_money(250, bound="at_least"), "more than RMB 250 亿"),   # 多/超
    (_money(0.2, bound="about"), "about RMB 0.2 亿"),          # 约
    (_money(-5, bound="at_most"), "less than RMB -5 亿"),      # 不足
    (_money(3030, "RMB 万"), "RMB 0.30 亿 (RMB 3,030 万)"),   # another scale: the presentation unit, and as written
    (_money(1.5, "USD bn"), "USD 1.5 bn"),                    # another currency: as written, never converted
    (_pct("77.6%"), "77.6%"),
    (_pct("95.0%"), "95.0%"),
    (_pct("0.1%", bound="at_most"), "less than 0.1%"),
    (_pct("-16.07%"), "-16.07%"),
])
def test_observation_as_written_with_its_bound(obs: MoneyObservation | PercentObservation, expected: str) -> None:
    assert fmt.observation(obs, RMB_YI) == expected


@pytest.mark.parametrize(("metric", "expected"), [
    (Metric(id="m", label="m", value=0.646317, unit="%"), "0.6%"),
    (Metric(id="m", label="m", value=-4.2185, unit="%"), "-4.2%"),
    (Metric(id="m", label="m", value=4.5487, unit="×"), "4.55×"),
    (Metric(id="m", label="m", value=7, unit="years"), "7 years"),
    (Metric(id="m", label="m", value=15.89, unit="severity"), "15.89 severity"),
    (Metric(id="m", label="m", value=3, unit=""), "3"),
    (Metric(id="m", label="m", value=None, unit="%"), "not on file"),
    (Metric(id="m", label="m", value=77.6, unit="%", display="about 77.6%"), "about 77.6%"),
])
def test_metric_value(metric: Metric, expected: str) -> None:
    assert fmt.metric(metric) == expected


def test_metric_with_more_places_shows_a_move_the_usual_rounding_hides() -> None:
    before = Metric(id="r", label="r", value=4.5454, unit="×", display="≥ 4.55×")
    after = Metric(id="r", label="r", value=4.5487, unit="×", display="≥ 4.55×")
    assert fmt.metric(before) == fmt.metric(after)
    assert (fmt.metric(before, 3), fmt.metric(after, 3)) == ("4.545×", "4.549×")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("call", [
    lambda v: fmt.number(v), lambda v: fmt.score(v), lambda v: fmt.percent(v), lambda v: fmt.share(v),
    lambda v: fmt.ratio(v), lambda v: fmt.money(v, "RMB 亿"), lambda v: fmt.money_base(v, "RMB 亿"),
    lambda v: fmt.plain(v), lambda v: fmt.delta(v), lambda v: fmt.label(v),
])
def test_not_a_number_is_refused(call: Callable[[float], str], bad: float) -> None:
    with pytest.raises(ValueError, match="finite number"):
        call(bad)


def test_the_rubric_helpers_delegate_to_the_formatter() -> None:
    """``fmt_obs``, ``fmt_money`` and ``fmt_pct`` stay importable where plugins import them, and agree."""
    from riskscore import facts as legacy
    from riskscore import rubric
    from riskscore.profile.model import Profile

    profile = Profile.model_construct(presentation_unit=RMB_YI)
    obs = _money(250, bound="at_least")
    for module in (rubric, legacy):
        assert module.fmt_obs(profile, obs) == fmt.observation(obs, RMB_YI) == "more than RMB 250 亿"
        assert module.fmt_money(profile, 2.5e10) == "RMB 250.00 亿"
        assert module.fmt_money(profile, 2.5e10, 0) == "RMB 250 亿"
        assert module.fmt_money(profile, 1234.4, currency="USD") == "USD 1,234"
        assert module.fmt_pct(0.646) == "0.6%"
