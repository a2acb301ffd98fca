"""The rubric contract: what a rubric declares and what it returns.

A rubric scores one aspect of listing risk. It is a class with metadata as class
attributes, a pydantic parameter model, a docstring that documents its method (shown by
``riskscore rubrics --detail`` and in the memo's appendix), and a pure ``score`` method::

    class CashRunway(Rubric):
        \"\"\"Months of cash at the current burn. ...method...\"\"\"

        id = "cash_runway"
        title = "Cash runway"
        version = "1.0"
        default_weight = 10

        class Params(RubricParams):
            runway_grid: GridParam = Grid.of([[0, 100], [12, 60], [36, 0]])

        def score(self, profile: Profile, params: Params) -> RubricResult:
            ...

Register it under the entry-point group ``riskscore.rubrics`` (the built-ins do the same).
``score`` must not mutate the profile, must be deterministic, and returns a result whose
``score`` is ``None`` when the profile holds no evidence for the aspect (the engine then
applies its missing-data policy).
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskscore.scoring.scale import Band, Grid, band_for, clamp

if TYPE_CHECKING:
    from riskscore.profile.model import Profile

CONTRACT_VERSION = 1
"""Version of this contract. A rubric declares the version it was built for."""
SUPPORTED_CONTRACT_VERSIONS: tuple[int, ...] = (1,)
"""Contract versions this riskscore can run; a rubric built for another is refused at load."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RubricParams(_Frozen):
    """Base class for a rubric's parameter model; unknown keys are errors, not silent defaults."""


class Metric(_Frozen):
    """One measured quantity, the grid it was scored on and its score."""

    id: str
    label: str
    value: float | None = Field(description="None when the profile does not hold it.")
    unit: str = ""
    period: str | None = None
    grid: Grid | None = None
    score: float | None = None
    weight: float = Field(default=1.0, ge=0, description="Weight within the rubric.")
    display: str | None = Field(default=None, description="The value as the memo prints it, when not a plain number.")
    path: str | None = Field(default=None, description="Profile path of the figure the metric is read from, e.g. "
                             "'periods[2025H1].customers.largest_share' (what-if and sensitivity analysis move it).")
    note: str | None = None
    sources: list[str] = Field(default_factory=list)


class Adjustment(_Frozen):
    """Points added to or taken from the metric mean, with the reason."""

    label: str
    points: float


class Evidence(_Frozen):
    statement: str
    sources: list[str] = Field(default_factory=list)


class RedFlag(_Frozen):
    """A finding severe enough that the engine floors the overall score (see configuration)."""

    id: str
    title: str
    detail: str
    sources: list[str] = Field(default_factory=list)


class DataGap(_Frozen):
    field: str = Field(description="Profile path of what is missing, e.g. 'periods[2025H1].customers.top5_share'.")
    reason: str


class Scenario(_Frozen):
    """An alternative outcome the rubric scored; ``headline`` marks the one its score uses."""

    id: str
    label: str
    score: float
    band: Band
    headline: bool = False
    note: str | None = None


class RubricResult(_Frozen):
    """What a rubric returns. ``score`` is None when there was no evidence at all."""

    score: float | None = Field(default=None, ge=0, le=100)
    band: Band | None = None
    coverage: float = Field(default=1.0, ge=0, le=1, description="Share of the rubric's metric weight backed by evidence.")
    metrics: list[Metric] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    data_gaps: list[DataGap] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    narrative: str = ""

    @model_validator(mode="after")
    def _band_matches_score(self) -> "RubricResult":
        if self.score is None:
            if self.band is not None:
                raise ValueError("a result without a score has no band")
        elif self.band != band_for(self.score):
            raise ValueError(f"band {self.band!r} does not match score {self.score:.1f} (expected {band_for(self.score)!r})")
        return self

    @classmethod
    def from_metrics(cls, metrics: list[Metric], adjustments: list[Adjustment] = (), **fields: object) -> "RubricResult":
        """Weighted mean of the metrics that have a score, plus adjustments, clamped to 0-100.

        Coverage is the weight of the scored metrics over the weight of all metrics.
        """
        total = sum(m.weight for m in metrics)
        scored = [m for m in metrics if m.score is not None]
        weight = sum(m.weight for m in scored)
        if not scored or weight == 0:
            return cls(score=None, band=None, coverage=0.0, metrics=metrics, adjustments=list(adjustments), **fields)  # type: ignore[arg-type]
        mean = sum(m.score * m.weight for m in scored) / weight  # type: ignore[operator]
        score = round(clamp(mean + sum(a.points for a in adjustments)), 2)
        return cls(
            score=score,
            band=band_for(score),
            coverage=round(weight / total, 4) if total else 1.0,
            metrics=metrics,
            adjustments=list(adjustments),
            **fields,  # type: ignore[arg-type]
        )


@functools.lru_cache(maxsize=256)
def _cleandoc(text: str) -> str:
    return inspect.cleandoc(text)  # memos ask for every rubric's docs; clean each docstring once


class Rubric:
    """Base class of every rubric. Subclasses set the metadata and implement :meth:`score`."""

    id: ClassVar[str]
    title: ClassVar[str]
    version: ClassVar[str]
    default_weight: ClassVar[float]
    contract_version: ClassVar[int] = CONTRACT_VERSION
    Params: ClassVar[type[RubricParams]] = RubricParams

    def score(self, profile: "Profile", params: RubricParams) -> RubricResult:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return _cleandoc(cls.__doc__ or "")

    @classmethod
    def description(cls) -> str:
        """First paragraph of the docstring."""
        return cls.doc().split("\n\n", 1)[0].replace("\n", " ")

    @classmethod
    def method(cls) -> str:
        """The docstring after its first paragraph, one line per paragraph: how the rubric scores."""
        paragraphs = cls.doc().split("\n\n")[1:]
        return "\n\n".join(" ".join(p.split()) for p in paragraphs)
