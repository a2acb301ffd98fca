"""What-if: re-score a profile with changed facts, and how far a metric must move to change a band.

An assignment is ``PATH=VALUE``. PATH names a field as the memo does, list items by id or
name (or index): ``periods[2025H1].customers.largest_share``,
``periods[2025H1].segments[AI medical services].gross_margin``,
``capital_structure.instruments[0].amount``, ``technology.core[0].control``. VALUE is
written as in a profile: ``50%`` for a percentage, ``120`` or ``120 RMB 亿`` for money
(the figure's own unit by default), plain YAML for anything else. A changed figure gets a
single observation citing the source ``what-if``, which is added to the profile.
"""

from __future__ import annotations

import functools
import itertools
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from riskscore.errors import InputError, Problem
from riskscore.profile import evidence as ev
from riskscore.profile import paths
from riskscore.profile.model import (
    MoneyFigure,
    MoneyObservation,
    PercentFigure,
    PercentObservation,
    Period,
    Profile,
    Source,
    describe_loc,
    period_value_errors,
)

WHATIF_SOURCE = "what-if"
@dataclass(frozen=True)
class Assignment:
    path: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Assignment:
        path, sep, value = text.partition("=")
        if not sep or not path.strip() or not value.strip():
            raise InputError("--set", [Problem(text, "write PATH=VALUE, e.g. periods[2025H1].customers.largest_share=50%")])
        return cls(path.strip(), value.strip())


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model class inside an annotation (``list[Period] | None`` -> Period) and whether it is a list."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        inner, _ = _model_of(typing.get_args(annotation)[0])
        return inner, True
    if origin in (typing.Union, types.UnionType) or origin is typing.Annotated:
        for arg in typing.get_args(annotation):
            found, is_list = _model_of(arg)
            if found is not None:
                return found, is_list
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _select_index(items: list[Any], selector: str) -> int | None:
    """The index of the item ``selector`` names in a list of models or mappings: an index first, then
    an id or name (the one rule for a path's ``[...]``, here and in :func:`_observation_at`); None when none."""
    if selector.isdigit() and int(selector) < len(items):
        return int(selector)
    for i, item in enumerate(items):
        ident = (item.get("id"), item.get("name")) if isinstance(item, dict) else (getattr(item, "id", None), getattr(item, "name", None))
        if selector in ident:
            return i
    return None


def _select(items: list[Any], selector: str, where: str) -> Any:
    at = _select_index(items, selector)
    if at is None:
        names = ", ".join(str(i.get("id") or i.get("name")) for i in items if isinstance(i, dict))
        raise ValueError(f"no item {selector!r} in {where} (have: {names or 'none'})")
    return items[at]


def _figure_value(text: str, kind: type, existing: Any, profile: Profile) -> dict[str, Any]:
    if kind is PercentFigure:
        if not text.endswith("%"):
            raise ValueError(f"a percentage is written with a % sign, e.g. {text}%")
        return {"value": text, "source": WHATIF_SOURCE}
    number, _, unit = text.partition(" ")
    try:
        amount = float(number.replace(",", ""))
    except ValueError:
        raise ValueError(f"expected an amount such as 120 or '120 RMB 亿'; got {text!r}") from None
    if not unit:
        unit = existing[0]["unit"] if existing else str(profile.presentation_unit)
    return {"amount": amount, "unit": unit, "source": WHATIF_SOURCE}


def _set(data: dict[str, Any], path: str, value: str, profile: Profile) -> None:
    tokens = paths.parse(path)
    node: Any = data
    model: type[BaseModel] | None = Profile
    if isinstance(tokens[-1], paths.Item):
        raise ValueError(f"{path} names a whole item; name one of its fields, e.g. {path}.revenue")
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(token, paths.Item):
            if not isinstance(node, list):
                raise ValueError(f"{paths.join(tokens[:i])} is not a list")
            node = _select(node, token.key, path)
            continue
        if model is None:  # a date, a text, a list of texts …: nothing below it to name
            raise ValueError(f"{paths.join(tokens[:i])} has no fields; {token!r} cannot be set on it")
        if token not in model.model_fields:
            raise ValueError(f"{model.__name__} has no field {token!r}; fields: {', '.join(model.model_fields)}")
        annotation = model.model_fields[token].annotation
        inner, is_list = _model_of(annotation)
        if last:
            if inner in (MoneyFigure, PercentFigure):
                node[token] = [_figure_value(value, inner, node.get(token), profile)]
            else:
                import yaml

                try:
                    node[token] = yaml.safe_load(value)
                except yaml.YAMLError as exc:
                    mark = getattr(exc, "problem_mark", None)
                    where = f" at column {mark.column + 1}" if mark is not None else ""
                    raise ValueError(f"the value {value!r} is not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
            return
        if token not in node:
            node[token] = [] if is_list else {}
        node, model = node[token], inner
        next_is_selector = isinstance(tokens[i + 1], paths.Item)
        if is_list and not next_is_selector:
            raise ValueError(f"{token} is a list: name an item, e.g. {token}[0]")


def _whatif_source(profile: Profile, assignments: list[Assignment]) -> dict[str, Any]:
    """The source a changed figure cites, naming the assignments."""
    return {"id": WHATIF_SOURCE, "title": "What-if assumptions: " + "; ".join(f"{a.path}={a.value}" for a in assignments),
            "publisher": "riskscore whatif", "date": profile.as_of.isoformat(), "kind": "research", "language": "en"}


def apply(profile: Profile, assignments: list[Assignment]) -> Profile:
    """A new profile with the assignments applied; raises InputError naming the bad assignment."""
    data = profile.model_dump(mode="json", exclude_none=True, by_alias=True)
    for assignment in assignments:
        try:
            _set(data, assignment.path, assignment.value, profile)
        except ValueError as exc:
            raise InputError("--set", [Problem(assignment.path, str(exc))]) from None
    sources = data.get("sources")  # an assignment may have replaced the list: validation then says what is wrong
    if isinstance(sources, list) and not any(isinstance(s, dict) and s.get("id") == WHATIF_SOURCE for s in sources):
        sources.append(_whatif_source(profile, assignments))
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise InputError("--set", [Problem(describe_loc(data, tuple(e["loc"])), e["msg"]) for e in exc.errors()]) from None


def apply_figure(profile: Profile, path: str, text: str) -> Profile:
    """``apply(profile, [Assignment(path, text)])`` for one figure, rebuilding only what the change touches.

    The searches below (:func:`verdict_change` in every memo, :func:`sensitivity`) try a
    figure at many values; re-validating the whole profile each time was most of a memo's
    cost. Here the top-level item that holds the figure (a period, the capital structure …)
    is validated again with the new figure, so its own validators run as they would; the
    profile is rebuilt around it, and the profile's cross-checks run on the result. The
    outcome equals :func:`apply`'s (the test suite holds them equal, errors included); any
    path this shortcut does not cover (a figure not yet in the profile, a missing item), and
    any value the checks refuse (so that the error is :func:`apply`'s), goes through :func:`apply`.
    """
    assignment = Assignment(path, text)
    changed = _apply_figure_directly(profile, assignment)
    return changed if changed is not None else apply(profile, [assignment])


def _apply_figure_directly(profile: Profile, assignment: Assignment) -> Profile | None:
    """:func:`apply_figure`'s shortcut; None where :func:`apply` must do it."""
    path, text = assignment.path, assignment.value
    try:
        tokens = paths.parse(path)
    except ValueError:
        return None
    if len(tokens) < 2 or isinstance(tokens[0], paths.Item) or tokens[0] not in Profile.model_fields:
        return None
    top_field = tokens[0]
    top = getattr(profile, top_field)
    rest = tokens[1:]
    index: int | None = None
    if isinstance(rest[0], paths.Item):
        if not isinstance(top, list):
            return None
        index = _select_index(top, rest[0].key)
        if index is None:
            return None
        top, rest = top[index], rest[1:]
    if not isinstance(top, BaseModel) or not rest:
        return None
    # Find the figure on the model, as _set would on the dumped data, noting each step.
    node: Any = top
    steps: list[int | str] = []
    for token in rest[:-1]:
        if isinstance(token, paths.Item):
            at = _select_index(node, token.key) if isinstance(node, list) else None
            if at is None:
                return None
            node = node[at]
            steps.append(at)
        elif isinstance(node, BaseModel) and token in type(node).model_fields:
            node = getattr(node, token)
            steps.append(token)
        else:
            return None
    leaf = rest[-1]
    if isinstance(leaf, paths.Item) or not isinstance(node, BaseModel) or leaf not in type(node).model_fields:
        return None
    kind, _ = _model_of(type(node).model_fields[leaf].annotation)
    figure = getattr(node, leaf)
    if kind not in (MoneyFigure, PercentFigure) or figure is None:
        return None
    existing = [obs.model_dump(mode="json", by_alias=True) for obs in figure]
    try:
        observation = _figure_value(text, kind, existing, profile)
    except ValueError as exc:
        raise InputError("--set", [Problem(path, str(exc))]) from None
    data = top.model_dump(mode="json", exclude_none=True, by_alias=True)
    target: Any = data
    for step in steps:  # the same steps on the dumped item
        target = target[step]
    target[leaf] = [observation]
    sources = list(profile.sources)
    if not any(s.id == WHATIF_SOURCE for s in sources):
        sources.append(Source.model_validate(_whatif_source(profile, [assignment])))
    try:
        rebuilt = type(top).model_validate(data)
    except ValidationError:
        return None  # apply names the error as the full validation does
    if index is not None:
        items = list(getattr(profile, top_field))
        items[index] = rebuilt
        replacement: Any = items
    else:
        replacement = rebuilt
    # The profile passed its cross-checks; the change is one figure, now a single observation
    # citing the what-if source (declared above, dated as_of) with no filing and nothing it
    # supersedes, so of those checks only the ones on values can fail now.
    if isinstance(rebuilt, Period) and index is not None and next(period_value_errors(index, rebuilt), None) is not None:
        return None  # apply raises with the full validation's message
    changed = profile.model_copy(update={top_field: replacement, "sources": sources})
    changed._periods_by_end = None  # a cache of the old periods: computed again on first use
    return changed


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    before: float | None
    after: float | None
    band_before: str | None
    band_after: str | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else round(self.after - self.before, 2)


def compare(before: Any, after: Any) -> list[Change]:
    """Per rubric, then the indicated and adjusted totals."""
    rows = []
    after_by_id = {o.id: o for o in after.rubrics}
    for o in before.rubrics:
        a = after_by_id.get(o.id)
        rows.append(Change(o.id, o.title, o.score, a.score if a else None, o.band, a.band if a else None))
    rows.append(Change("indicated", "Indicated score", before.indicated_score, after.indicated_score, before.indicated_band, after.indicated_band))
    rows.append(Change("adjusted", "Adjusted score", before.adjusted_score, after.adjusted_score, before.adjusted_band, after.adjusted_band))
    return rows


# --------------------------------------------------------------------------- sensitivity

@dataclass(frozen=True)
class Crossing:
    """Where a figure, moved one way, changes the rubric's band: the value and the band beyond it."""

    value: float
    band: str


@dataclass(frozen=True)
class Sensitivity:
    rubric: str
    title: str
    metric: str
    path: str
    current: float      # the figure now: a percentage, or an amount in ``unit``
    unit: str           # "%" or the money unit, e.g. "RMB 亿"
    decimals: int       # the figure's written precision
    band: str
    down: Crossing | None   # moving the figure down changes the band here (None: not within range)
    up: Crossing | None


def sensitivity(profile: Profile, assessment: Any, config: Any, rubrics: list[Any], steps: int = 24) -> list[Sensitivity]:
    """For each rubric with a key metric tied to a figure, how far that figure must move to change the band."""
    from riskscore.scoring.registry import params_for

    out = []
    classes = {r.id: r for r in rubrics}
    for outcome in assessment.rubrics:
        if outcome.status != "scored" or outcome.result is None or outcome.id not in classes:
            continue
        candidates = [m for m in outcome.result.metrics if m.path and m.score is not None]
        if not candidates:
            continue
        metric = max(candidates, key=lambda m: m.weight)  # the metric that moves the rubric most
        rubric, params = classes[outcome.id], params_for(classes[outcome.id], config)
        chosen = _observation_at(profile, metric.path)
        if chosen is None:
            continue
        is_pct = isinstance(chosen, PercentObservation)
        current = chosen.value if isinstance(chosen, PercentObservation) else chosen.amount
        unit = "%" if isinstance(chosen, PercentObservation) else str(chosen.unit)
        band = outcome.band
        low, high = _search_range(metric.path, is_pct, current)
        search = functools.partial(_band_crossing, profile, rubric, params, metric.path, unit, current, band, steps,
                                   config.engine.rubric_timeout_seconds)
        out.append(Sensitivity(outcome.id, outcome.title, metric.label, metric.path, current, unit, chosen.decimals,
                               band or "", search(low), search(high)))
    return out


def _band_crossing(profile: Profile, rubric: Any, params: Any, path: str, unit: str, current: float, band: str | None,
                   steps: int, timeout: float | None, target: float) -> Crossing | None:
    """Moving the figure at ``path`` from ``current`` towards ``target``: where the rubric's band first changes
    (each re-run of the rubric within ``timeout`` seconds, as the engine runs it)."""
    from riskscore.scoring.engine import run_rubric
    from riskscore.scoring.scale import band_for

    def band_at(x: float) -> str | None:
        text = f"{x:.6g}%" if unit == "%" else f"{x:.6g} {unit}"
        try:
            changed = apply_figure(profile, path, text)
        except InputError:
            return None
        result, _ = run_rubric(rubric, changed, params, timeout, revalidate=False)
        return band_for(result.score) if result is not None and result.score is not None else None

    previous = current
    for k in range(1, steps + 1):
        x = current + (target - current) * k / steps
        b = band_at(x)
        if b is not None and b != band:
            lo, hi = previous, x
            for _ in range(18):
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if band_at(mid) != band else (mid, hi)
            return Crossing(hi, b)
        previous = x
    return None


def _search_range(path: str, is_pct: bool, current: float) -> tuple[float, float]:
    """How far a figure is moved when looking for a band change: a percentage over 0-100%
    (from -100% for a margin or a negative figure), an amount up to three times its size
    either way (never below zero when it is not negative: costs and claims stay >= 0)."""
    if is_pct:
        return (-100.0 if current < 0 or "margin" in path else 0.0), 100.0
    span = 3 * abs(current) or 1.0
    low, high = current - span, current + span
    return (max(0.0, low) if current >= 0 else low), high


def _observation_at(profile: Profile, path: str) -> MoneyObservation | PercentObservation | None:
    """The observation the engine uses for the figure at ``path`` (:func:`riskscore.profile.evidence.value`), None when none is there."""
    node: Any = profile
    for token in paths.parse(path):
        if isinstance(token, paths.Item):
            at = _select_index(node, token.key) if isinstance(node, list) else None
            node = node[at] if at is not None else None
        else:
            node = getattr(node, token, None)
        if node is None:
            return None
    return ev.value(profile, node) if isinstance(node, (MoneyFigure, PercentFigure)) else None


def flags_changed(before: Any, after: Any) -> tuple[list[Any], list[Any]]:
    """The red flags ``after`` raised that ``before`` did not have, and those it cleared (by rubric and flag id)."""
    key = lambda f: (f.rubric, f.id)  # noqa: E731
    had, has = {key(f) for f in before.red_flags}, {key(f) for f in after.red_flags}
    return [f for f in after.red_flags if key(f) not in had], [f for f in before.red_flags if key(f) not in has]


# --------------------------------------------------------------------------- what would change the verdict

@dataclass(frozen=True)
class FactMove:
    """One figure moved, all else equal, far enough for the headline score to cross a band edge."""

    rubric: str         # rubric title
    metric: str         # the metric the figure feeds, as the memo labels it
    period: str | None
    path: str
    current: float      # the figure now: a percentage, or an amount in ``unit``
    unit: str           # "%" or the money unit
    decimals: int       # the figure's written precision
    crossing: float     # at this value (rounded outward to the shown precision) the headline crosses
    shown_decimals: int
    score_after: float  # the adjusted score with the figure at ``crossing``
    band_after: str
    bound: str = "exact"  # the figure's bound now ("at_least": more than ``current``)


@dataclass(frozen=True)
class EdgeDistance:
    """How far the headline score sits from one edge of its band, and what would carry it across."""

    edge: float
    direction: str          # "up" (to the band above) or "down"
    band: str               # the band beyond the edge
    distance: float         # score points from the headline to the edge
    move: FactMove | None   # the smallest change in one figure found to cross it, None when none
    held_by: tuple[str, ...] = ()  # rubrics whose red flags floor the score at or above this (lower) edge
    floor: float | None = None


@dataclass(frozen=True)
class VerdictChange:
    score: float
    band: str
    edges: list[EdgeDistance]
    evaluations: int  # rubric re-runs spent, for the benchmark


def _invert(grid: Any, target: float, near: float) -> float | None:
    """The metric value nearest ``near`` that the grid scores ``target``, None when it never does."""
    found = []
    pts = grid.points
    for (x1, y1), (x2, y2) in itertools.pairwise(pts):
        if y1 != y2 and min(y1, y2) <= target <= max(y1, y2):
            found.append(x1 + (target - y1) * (x2 - x1) / (y2 - y1))
    return min(found, key=lambda x: (abs(x - near), x)) if found else None


def verdict_change(profile: Profile, assessment: Any, config: Any, rubrics: list[Any], candidates: int = 3,
                   budget: int = 16) -> VerdictChange | None:
    """How far the headline (adjusted) score sits from each edge of its band, and the smallest
    change in one figure that carries it across, all else equal.

    Cheap enough for every memo: the crossing is first estimated from the rubric grids
    (the rubric score as the weighted mean of its metrics' grid scores, the headline as the
    weighted mean of the rubric scores), for the figures behind the most heavily weighted
    metrics; the smallest estimate is then checked, and refined to the shown precision, by
    re-running only that figure's rubric on the changed profile — at most ``budget`` rubric
    runs per edge (the full search, :func:`sensitivity`, takes hundreds). A lower edge that red
    flags from more than one rubric hold the score above cannot be crossed by one figure, and
    is reported with the rubrics that hold it. Figures are assumed to move the score one way
    (monotone), as the grids do.
    """
    from riskscore.scoring.engine import run_rubric
    from riskscore.scoring.registry import params_for
    from riskscore.scoring.scale import BAND_EDGES, band_for

    score, indicated = assessment.adjusted_score, assessment.indicated_score
    if score is None or indicated is None:
        return None
    band = band_for(score)
    edges = sorted(edge for edge, _ in BAND_EDGES)  # 0, 20, 40, 60, 80
    lower = max(e for e in edges if e <= score)
    upper = next((e for e in edges if e > score), None)
    classes = {r.id: r for r in rubrics}
    floors: dict[str, float] = {}
    for flag in assessment.red_flags:
        floors[flag.rubric] = max(floors.get(flag.rubric, 0.0), flag.floor)
    spent = limit = 0

    facts = []
    for o in assessment.rubrics:
        if o.status != "scored" or o.result is None or o.id not in classes or not o.weight:
            continue
        scored = [m for m in o.result.metrics if m.score is not None]
        total = sum(m.weight for m in scored)
        for m in scored:
            if not (m.path and m.grid and m.weight and m.value):
                continue
            chosen = _observation_at(profile, m.path)
            if chosen is None:
                continue
            is_pct = isinstance(chosen, PercentObservation)
            current = chosen.value if isinstance(chosen, PercentObservation) else chosen.amount
            if not current:
                continue
            facts.append((o, m, total, chosen, is_pct, float(current), o.weight * m.weight / total))
    facts.sort(key=lambda f: -f[6])

    def adjusted_at(o: Any, path: str, is_pct: bool, chosen: Any, x: float) -> float | None:
        nonlocal spent
        spent += 1
        text = f"{x:.6g}%" if is_pct else f"{x:.6g} {chosen.unit}"
        try:
            changed = apply_figure(profile, path, text)
        except InputError:
            return None
        result, _ = run_rubric(classes[o.id], changed, params_for(classes[o.id], config), config.engine.rubric_timeout_seconds,
                               revalidate=False)  # a re-run that hangs is stopped as the engine stops it
        if result is None or result.score is None:
            return None
        # The engine's arithmetic (engine.assess) with this one rubric's score and flags replaced.
        new = round(sum(r.weight * (result.score if r.id == o.id else r.score) for r in assessment.rubrics if r.score is not None), 2)
        new_floors = [config.engine.red_flag_floors.get(f.id, config.engine.red_flag_floor) for f in result.red_flags]
        new_floors += [f.floor for f in assessment.red_flags if f.rubric != o.id]
        return round(max(new, max(new_floors, default=0.0)), 2)

    def find(edge: float, up: bool, pool: list[Any]) -> FactMove | None:
        nonlocal limit
        limit = spent + budget
        crosses = (lambda s: s is not None and s >= edge) if up else (lambda s: s is not None and s < edge)
        delta_indicated = (edge - indicated) if up else (edge - indicated - 0.01)  # the engine rounds to 2 decimals
        estimates = []
        for o, m, total, chosen, is_pct, current, _ in pool[:candidates]:
            lo, hi = _search_range(m.path, is_pct, current)
            if not up and indicated < edge:
                # Only a red-flag floor holds the score up: the figure must clear the flag, which the grids
                # cannot tell. Search towards the end of its range that lowers the metric's score.
                slope = m.grid.score(m.value + 1e-6 * (abs(m.value) or 1)) - m.grid.score(m.value - 1e-6 * (abs(m.value) or 1))
                way = -1.0 if slope * (current / m.value) > 0 else 1.0
                if slope:
                    end = lo if way < 0 else hi
                    estimates.append((abs(end - current) / abs(current), end, o, m, chosen, is_pct, current, lo, hi))
                continue
            target_rubric = o.score + delta_indicated / o.weight
            if not 0 <= target_rubric <= 100:
                continue
            x = _invert(m.grid, m.score + (target_rubric - o.score) * total / m.weight, m.value)
            if x is None:
                continue
            estimate = current * x / m.value  # the figure scales the metric (a share, a margin, a ratio to a fixed base)
            if is_pct:
                estimate = min(max(estimate, lo), hi)
            if estimate != current:
                estimates.append((abs(estimate - current) / abs(current), estimate, o, m, chosen, is_pct, current, lo, hi))
        for _, estimate, o, m, chosen, is_pct, current, lo, hi in sorted(estimates, key=lambda e: e[0]):
            shown = 1 if is_pct else 2
            step = 10.0 ** -shown
            way = 1.0 if estimate > current else -1.0

            def outward(x: float, step: float = step, way: float = way) -> float:
                return (math.ceil(x / step - 1e-9) if way > 0 else math.floor(x / step + 1e-9)) * step

            at = functools.partial(adjusted_at, o, m.path, is_pct, chosen)
            near, far = current, outward(estimate)
            result = at(far)
            if crosses(result) and (far - way * step - current) * way > 0 and not crosses(at(far - way * step)):
                near = far - way * step  # the grids' estimate was right to the shown precision: no search needed
            elif not crosses(result):  # the grids' estimate fell short (an adjustment, a clamp): look twice as far, or to the end of the range
                end, twice = (hi if way > 0 else lo), current + 2 * (estimate - current)
                near, far = far, (twice if not is_pct and (twice - end) * way > 0 else end)  # a percentage stops at its range
                result = at(far)
                if not crosses(result):
                    continue
            while abs(far - near) > step and spent < limit:  # narrow to the shown precision
                mid = (near + far) / 2
                got = at(mid)
                if crosses(got):
                    far, result = mid, got
                else:
                    near = mid
            if abs(far - near) > step + 1e-9:
                continue  # the budget ran out before the shown precision: not known to be the smallest change
            if abs(outward(far) - far) > 1e-9:
                far = outward(far)
                result = at(far) if spent < limit else result
            if not crosses(result):
                continue
            inner = far - way * step  # the last interval was narrower than a shown step but not on the grid:
            if (inner - current) * way > 0 and spent < limit:  # the shown value one step nearer may cross already
                got = at(inner)
                if crosses(got):
                    far, result = inner, got
            assert result is not None
            far = round(far, shown)
            return FactMove(o.title, m.label, m.period, m.path, current, "%" if is_pct else str(chosen.unit), chosen.decimals,
                            far, shown, result, band_for(result), chosen.bound)
        return None

    out = []
    if upper is not None:
        out.append(EdgeDistance(upper, "up", band_for(upper), upper - score, find(upper, True, facts)))
    if lower > 0:
        holding = sorted({rid for rid, f in floors.items() if f >= lower})
        titles = {o.id: o.title for o in assessment.rubrics}
        below = band_for(lower - 0.01)
        if len(holding) > 1:
            out.append(EdgeDistance(lower, "down", below, score - lower, None, tuple(titles[r] for r in holding), max(floors.values())))
        else:
            pool = [f for f in facts if not holding or f[0].id == holding[0]]
            out.append(EdgeDistance(lower, "down", below, score - lower, find(lower, False, pool),
                                    tuple(titles[r] for r in holding), floors[holding[0]] if holding else None))
    return VerdictChange(score, band, out, spent)
