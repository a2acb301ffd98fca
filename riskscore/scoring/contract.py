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
        contract_version = 1

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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from riskscore.report.i18n import Str
from riskscore.scoring.scale import Band, Grid, band_for, clamp

if TYPE_CHECKING:
    from riskscore.profile.model import Profile

CONTRACT_VERSION = 1
"""Version of this contract. Every rubric declares the version it was built for (``contract_version = 1``)."""
SUPPORTED_CONTRACT_VERSIONS: tuple[int, ...] = (1,)
"""Contract versions this riskscore can run; a rubric built for another is refused at load."""


def percent_in_json(fraction: float) -> float:
    """A share held as a fraction (0-1) in the model, written in percent (0-100) in JSON."""
    return round(100 * fraction, 4)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RubricParams(_Frozen):
    """Base class of a rubric's parameter model (the nested ``class Params(RubricParams)``).

    Every number the method uses is a field here, with a default: ``[rubrics.<id>]`` in
    riskscore.toml overrides it, and an unknown key there is an error, never a silent
    default. A field without a default is refused when the rubric loads. Instances are
    frozen. NaN or infinity is refused for every number (declare each field's range with ``Field``).
    """

    model_config = ConfigDict(allow_inf_nan=False)


class Metric(_Frozen):
    """One measured quantity, the grid it was scored on and its score.

    ``value`` is None when the profile does not hold the figure (the metric then has no
    ``score`` and counts against the rubric's coverage). ``weight`` is the metric's weight
    within the rubric (see :meth:`RubricResult.from_metrics`); ``path`` lets what-if and
    sensitivity analysis move the figure; ``sources`` are the source ids it rests on.
    """

    id: str = Field(description="Slug, unique within the rubric, e.g. 'largest_share'.")
    label: Str = Field(description="As the memo prints it, e.g. 'Largest customer share'.")
    value: float | None = Field(description="None when the profile does not hold it.")
    unit: Str = Field(default="", description="Printed after the value, e.g. '%' or 'months'.")
    period: str | None = Field(default=None, description="Id of the period the value is from, e.g. 'FY2024'.")
    date: str | None = Field(default=None, description="Date the value is from, when it belongs to a day rather than a period "
                             "(an event): ISO 8601, as precise as the source, e.g. '2022-06' or '2022-06-30'.")
    grid: Grid | None = Field(default=None, description="The grid the value was scored on (the memo shows it).")
    score: float | None = Field(default=None, description="0-100; None when the value is missing.")
    weight: float = Field(default=1.0, ge=0, description="Weight within the rubric.")
    display: Str | None = Field(default=None, description="The value as the memo prints it, when not a plain number.")
    path: str | None = Field(default=None, description="Profile path of the figure the metric is read from, e.g. "
                             "'periods[2025H1].customers.largest_share' (what-if and sensitivity analysis move it).")
    note: Str | None = None
    sources: list[str] = Field(default_factory=list, description="Source ids of the figures the value is computed from.")


class Adjustment(_Frozen):
    """Points added to (positive) or taken from (negative) the metric mean, with the reason as ``label``."""

    label: Str = Field(description="The reason, as the memo prints it.")
    points: float = Field(description="Added to the mean of the metric scores (negative lowers it); the result is clamped to 0-100.")


class Citation(_Frozen):
    """One figure or fact behind an evidence line: its source, its verbatim quote, whether it is unverified."""

    source: str
    quote: str | None = None
    unverified: bool = False


class Evidence(_Frozen):
    """A statement the memo prints in the rubric's section, with the source ids it rests on (shown as citations).

    Not to be confused with :mod:`riskscore.profile.evidence`, the module that chooses
    between disagreeing observations (:func:`riskscore.rubric.value`).
    """

    statement: Str = Field(description="One sentence with the figures, as the memo prints it.")
    sources: list[str] = Field(default_factory=list, description="Source ids of the profile it rests on.")
    citations: list[Citation] = Field(default_factory=list, description="The quotes behind the statement (see riskscore.rubric.cited).")


class RedFlag(_Frozen):
    """A finding severe enough that the engine floors the overall score.

    The floor is configuration, not the rubric's choice: ``engine.red_flag_floor``, or per
    flag ``id`` in ``engine.red_flag_floors``.
    """

    id: str = Field(description="Slug, prefixed with the rubric id by convention; engine.red_flag_floors is keyed by it.")
    title: Str
    detail: Str = Field(description="What was found, with the figures.")
    sources: list[str] = Field(default_factory=list, description="Source ids of the profile it rests on.")


class DataGap(_Frozen):
    """Something the rubric needed and the profile does not hold: its profile path and why it matters."""

    field: str = Field(description="Profile path of what is missing, e.g. 'periods[2025H1].customers.top5_share'.")
    reason: Str = Field(description="Why the rubric needs it, as the memo prints it.")


class Scenario(_Frozen):
    """An alternative outcome the rubric scored; ``headline`` marks the one its score uses."""

    id: str
    label: Str
    score: float
    band: Band
    headline: bool = Field(default=False, description="True for the one scenario the rubric's score uses.")
    note: Str | None = None


class RubricResult(_Frozen):
    """What a rubric's ``score`` returns.

    ``score`` (0-100, 100 = most risk) comes with the ``band`` it implies, or both are None
    when the profile holds no evidence for the aspect; ``data_gaps`` then say what is
    missing. Build it with :meth:`from_metrics` to get the weighted mean, band and coverage
    computed for you.
    """

    score: float | None = Field(default=None, ge=0, le=100, description="0-100, 100 = most risk; None when there is no evidence at all.")
    band: Band | None = Field(default=None, description="The band of score (band_for(score)); None without a score.")
    coverage: float = Field(default=1.0, ge=0, le=1, description="Share of the rubric's metric weight backed by evidence: "
                            "a fraction (0-1) here, percent (0-100) in the result JSON.")
    metrics: list[Metric] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    data_gaps: list[DataGap] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    narrative: Str = Field(default="", description="A few sentences the memo prints at the top of the rubric's section.")

    @field_serializer("coverage", when_used="json")
    def _coverage_percent(self, coverage: float) -> float:
        """The result JSON writes every share in percent (0-100)."""
        return percent_in_json(coverage)

    @model_validator(mode="after")
    def _band_matches_score(self) -> RubricResult:
        if self.score is None:
            if self.band is not None:
                raise ValueError("a result without a score has no band")
        elif self.band != band_for(self.score):
            raise ValueError(f"band {self.band!r} does not match score {self.score:.1f} (expected {band_for(self.score)!r})")
        return self

    @classmethod
    def from_metrics(cls, metrics: list[Metric], adjustments: Sequence[Adjustment] = (), **fields: Any) -> RubricResult:
        """Weighted mean of the metrics that have a score, plus adjustments, clamped to 0-100.

        Coverage is the weight of the scored metrics over the weight of all metrics.
        """
        total = sum(m.weight for m in metrics)
        scored = [m for m in metrics if m.score is not None]
        weight = sum(m.weight for m in scored)
        if not scored or weight == 0:
            return cls(score=None, band=None, coverage=0.0, metrics=metrics, adjustments=list(adjustments), **fields)
        mean = sum(m.score * m.weight for m in scored if m.score is not None) / weight
        score = round(clamp(mean + sum(a.points for a in adjustments)), 2)
        return cls(
            score=score,
            band=band_for(score),
            coverage=round(weight / total, 4) if total else 1.0,
            metrics=metrics,
            adjustments=list(adjustments),
            **fields,
        )


@functools.lru_cache(maxsize=256)
def _cleandoc(text: str) -> str:
    return inspect.cleandoc(text)  # memos ask for every rubric's docs; clean each docstring once


class Rubric:
    """Base class of every rubric. Subclasses set the metadata and implement :meth:`score`.

    Required class attributes (a rubric missing one is refused at load, naming it):
    ``id`` (a lower-case slug, unique among rubrics; a package's entry-point name must equal
    it), ``title`` (shown in memos), ``version`` (the rubric's own, e.g. ``"1.0"``),
    ``default_weight`` (used unless ``[weights]`` sets one) and ``contract_version`` (the
    version of this contract the rubric was written for: ``1``). ``Params`` is the
    parameter model (a :class:`RubricParams` subclass; every field has a default). The
    docstring's first paragraph describes the rubric; the rest explains its method.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    version: ClassVar[str]
    default_weight: ClassVar[float]
    contract_version: ClassVar[int]
    Params: ClassVar[type[RubricParams]] = RubricParams
    red_flag_ids: ClassVar[tuple[str, ...] | None] = None
    """Ids of the red flags ``score`` can raise; ``"prefix_*"`` stands for a family
    (``"governance_*"``). ``engine.red_flag_floors`` keys are checked against them, and a flag
    raised with an undeclared id is a contract failure. ``None`` (undeclared): any id starting
    with ``<rubric id>_`` is accepted."""

    def score(self, profile: Profile, params: RubricParams) -> RubricResult:  # pragma: no cover - abstract
        """Score ``profile`` with ``params``: pure (no clock, files or network), deterministic, never mutating the profile."""
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        """The class docstring, cleaned of its indentation."""
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


def declares_red_flag(rubric: type[Rubric], flag_id: str) -> bool:
    """Whether ``rubric`` can raise the red flag ``flag_id`` (see :attr:`Rubric.red_flag_ids`)."""
    declared = getattr(rubric, "red_flag_ids", None)
    if declared is None:
        return flag_id.startswith(f"{rubric.id}_")
    return any(flag_id == d or (d.endswith("*") and flag_id.startswith(d[:-1])) for d in declared)
