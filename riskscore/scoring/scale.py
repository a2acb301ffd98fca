"""The common scale every rubric scores on, and the piecewise-linear grids that map a metric to it.

Scores run 0-100, 100 = most risk. Bands (methodology, "Common scale"):
Low < 20 <= Moderate < 40 <= Elevated < 60 <= High < 80 <= Severe.
The band edges are part of the contract between rubrics and the engine, so they are fixed
here rather than configurable: a score of 65 means High in every memo.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

Band = Literal["Low", "Moderate", "Elevated", "High", "Severe"]
"""The band of a score: Low < 20 <= Moderate < 40 <= Elevated < 60 <= High < 80 <= Severe."""
BAND_EDGES: tuple[tuple[float, Band], ...] = ((80, "Severe"), (60, "High"), (40, "Elevated"), (20, "Moderate"), (0, "Low"))


def band_for(score: float) -> Band:
    """The band a 0-100 score falls in: ``band_for(59.9)`` -> ``'Elevated'``, ``band_for(60)`` -> ``'High'``."""
    for edge, band in BAND_EDGES:
        if score >= edge:
            return band
    return "Low"


def clamp(score: float) -> float:
    """``score`` limited to the scale, 0-100 (e.g. after adding adjustment points)."""
    return max(0.0, min(100.0, score))


class Grid(BaseModel):
    """Points ``(metric value, score)``; linear between points, flat beyond the ends.

    Written in configuration as a list of pairs in either order of the metric,
    e.g. ``[[0, 0], [10, 20], [20, 40]]``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)  # NaN would sort anywhere and score nothing

    points: tuple[tuple[float, float], ...]

    @field_validator("points")
    @classmethod
    def _well_formed(cls, points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        if len(points) < 2:
            raise ValueError(f"a grid needs at least two points; got {len(points)}")
        ordered = tuple(sorted(points))
        for (x1, _), (x2, _) in itertools.pairwise(ordered):
            if x1 == x2:
                raise ValueError(f"a grid lists the metric value {x1:g} twice")
        for x, y in ordered:
            if not 0 <= y <= 100:
                raise ValueError(f"grid scores lie within 0-100; got {y:g} at {x:g}")
        return ordered

    @classmethod
    def of(cls, points: object) -> Grid:
        """A grid from ``[[x, score], ...]``, validated: at least two points, distinct x, scores within 0-100."""
        return cls.model_validate({"points": points})

    def score(self, x: float) -> float:
        """The score of metric value ``x``: linear between the two points around it, the end score beyond the ends; NaN is refused."""
        if x != x:  # NaN: a computed metric that is not a number cannot be scored
            raise ValueError("cannot score a metric that is not a number")
        pts = self.points
        if x <= pts[0][0]:
            return pts[0][1]
        if x >= pts[-1][0]:
            return pts[-1][1]
        for (x1, y1), (x2, y2) in itertools.pairwise(pts):
            if x1 <= x <= x2:
                return y1 + (y2 - y1) * (x - x1) / (x2 - x1)
        raise AssertionError("unreachable")  # pragma: no cover

    def describe(self, unit: str = "") -> str:
        """``0%→0, 10%→20, …``: the grid as the memo prints it."""
        return ", ".join(f"{_num(x)}{unit}→{_num(y)}" for x, y in self.points)


def _num(value: float) -> str:
    from riskscore.report.format import plain

    return plain(value, 6)  # grid points as configured, in the documents' one number style


def grid_field(value: object) -> Grid:
    """Accept ``[[x, y], ...]`` or ``{points: [...]}`` in configuration."""
    if isinstance(value, Grid):
        return value
    if isinstance(value, dict):
        return Grid.model_validate(value)
    return Grid.model_validate({"points": value})


GridParam = Annotated[Grid, BeforeValidator(grid_field)]
"""Type for a grid in a rubric's parameter model: accepts ``[[x, score], ...]``."""
