"""Inline SVG charts for the self-contained HTML memo, in pure Python with no dependencies.

Two charts: :func:`score_weight_chart` (one bar per rubric, coloured by band, with its weight)
and :func:`period_panels` (small multiples of key metrics across reporting periods).

Both return a complete ``<svg>`` element that references nothing outside itself (no fonts,
images, scripts or links) and is deterministic: every number is written with a fixed number of
decimals and nothing carries an id (the interim hatch is drawn as lines, not a ``<pattern>``
referenced by ``url(#…)``), so the same input gives byte-identical output and any number of
charts can share one page.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from riskscore.report import format as fmt

WIDTH = 760.0
# Latin first, then Chinese fonts for macOS, Windows and Linux: labels such as "Revenue (RMB 亿)" need one.
FONT = ("system-ui, -apple-system, Segoe UI, Helvetica, Arial, PingFang SC, Hiragino Sans GB, Microsoft YaHei, "
        "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif")
FONT_ZH = ("system-ui, -apple-system, PingFang SC, Hiragino Sans GB, Microsoft YaHei, Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, "
           "WenQuanYi Micro Hei, Segoe UI, Helvetica, Arial, sans-serif")
"""Chinese charts name CJK fonts first, so the labels never fall back to a font without the characters."""

_LANGUAGE: contextvars.ContextVar[tuple[Callable[[str], str], str]] = contextvars.ContextVar(
    "riskscore_chart_language", default=(lambda text: text, FONT))


@contextlib.contextmanager
def language(gettext: Callable[[str], str], lang: str = "en") -> Iterator[None]:
    """Charts drawn inside this block write their own words with ``gettext`` and, for Chinese, a CJK font stack."""
    token = _LANGUAGE.set((gettext, FONT_ZH if lang == "zh" else FONT))
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def _(text: str) -> str:
    return _LANGUAGE.get()[0](text)
BAND_COLOURS = {"Low": "#2e7d32", "Moderate": "#9e9d24", "Elevated": "#f9a825", "High": "#ef6c00", "Severe": "#c62828"}
NOT_SCORED = "#9e9e9e"
SERIES_COLOURS = ("#1f4e79", "#e07b00", "#6a1b9a")
GRID, AXIS, INK, MUTED = "#e6e6e6", "#9e9e9e", "#212121", "#616161"
INTERIM_FILL = "#dbe5f0"
_NOT_XML_PATTERN = "[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"  # compiled on first need: costly


@dataclass(frozen=True)
class ScoreBar:
    label: str            # rubric title, e.g. "Customer concentration"
    score: float | None   # 0-100 risk score, None = not scored
    weight_pct: float     # normalised weight in percent (0-100), e.g. 20.0
    band: str | None      # "Low" | "Moderate" | "Elevated" | "High" | "Severe" | None
    band_label: str | None = None  # the band as the document names it (a translation), when not the band itself


@dataclass(frozen=True)
class Series:
    name: str                                  # legend label, e.g. "Consolidated"
    points: Sequence[tuple[str, float]]        # (period id, value) oldest first
    labels: Sequence[str] = ()                 # value labels as the document writes them, one per point (default: from the value)


@dataclass(frozen=True)
class Panel:
    title: str                 # e.g. "Revenue (RMB 亿)"
    unit: str                  # "%" or "" (shown on value labels)
    series: Sequence[Series]   # 1 to 3 series
    kind: str = "line"         # "bar" (first series as bars, any others as lines) or "line"
    periods: Sequence[str] = ()  # x-axis order (e.g. chronological); periods not listed follow, first-seen
    interims: bool = True        # mark ids not starting with "FY" as interim periods (off for dates)
    scale: tuple[float, float] | None = None  # fixed y axis (e.g. (0, 100) for scores), else fitted to the data
    dated: bool = False          # x keys are ISO dates (YYYY-MM-DD): placed in proportion to the time between them


# --- SVG building blocks -------------------------------------------------------------------

_NEEDS_WORK = re.compile("[&<>\"'\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_NAMES: dict[str, str] = {}


def _esc(text: object) -> str:
    """XML-escape text (and drop characters XML 1.0 cannot carry at all)."""
    s = str(text)
    if not _NEEDS_WORK.search(s):  # most labels and every colour: nothing to do
        return s
    s = re.sub(_NOT_XML_PATTERN, "", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


def _el(tag: str, *children: str, **attrs: object) -> str:
    """One element. ``font_size=`` becomes ``font-size``, ``class_=`` becomes ``class``; numbers
    are written with one decimal, strings escaped, ``None`` attributes left out. Children are
    already-rendered markup (escape text with :func:`_esc`)."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = _ATTR_NAMES.get(key) or _ATTR_NAMES.setdefault(key, key.rstrip("_").replace("_", "-"))
        kind = type(value)
        text = f"{value:.1f}" if kind is float or kind is int else _esc(value)  # exact types: bool is not a number here
        parts.append(f' {name}="{text}"')
    if not children:
        return f"<{tag}{''.join(parts)}/>"
    return f"<{tag}{''.join(parts)}>{''.join(children)}</{tag}>"


_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def _text(x: float, y: float, content: str, size: float = 11, anchor: str = "start", **attrs: object) -> str:
    """A text element; runs of Chinese are ``<tspan lang="zh">`` so the font and line rules for Chinese apply."""
    attrs.setdefault("fill", INK)
    body = _esc(content)
    if _CJK.search(body):
        body = _CJK.sub(lambda m: f'<tspan lang="zh">{m.group()}</tspan>', body)
    return _el("text", body, x=x, y=y, font_size=size, text_anchor=anchor, **attrs)


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, **attrs: object) -> str:
    return _el("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=attrs.pop("stroke_width", 1), **attrs)


def _svg(title: str, height: float, body: Sequence[str]) -> str:
    """The root element: accessible name, viewBox sized to the print page, inherited font."""
    children = [_el("title", _esc(title))]
    children.append(_text(12, 22, title, size=14, font_weight="600"))
    children.extend(body)
    return _el("svg", *children, xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {WIDTH:.0f} {height:.0f}",
               width="100%", role="img", aria_label=title, font_family=_LANGUAGE.get()[1])


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float) -> float:
    """Rough rendered width: wide (CJK) characters take a full em, others about half.
    Remembered per text and size: labels (periods, values, band names) recur across panels and memos."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text) * size


def _fit(text: str, width: float, size: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` at font ``size``."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


# --- score and weight chart ----------------------------------------------------------------

def _band_colour(band: str | None, score: float) -> str:
    """The band's colour; a missing or unknown band is derived from the score (edges 20/40/60/80)."""
    if band in BAND_COLOURS:
        return BAND_COLOURS[band]
    return list(BAND_COLOURS.values())[min(4, max(0, int(score // 20)))]


def score_weight_chart(bars: Sequence[ScoreBar], title: str | None = None) -> str:
    """One row per rubric, in the given order: label, 0-100 score bar coloured by band with the
    score at its end (or a grey "not scored" placeholder), and a "weight N%" column."""
    title = _("Rubric scores and weights") if title is None else title
    x0, plot_w, row_h, bar_h, top = 220.0, 400.0, 28.0, 14.0, 54.0
    bottom = top + row_h * max(1, len(bars))
    to_x = lambda score: x0 + plot_w * max(0.0, min(100.0, score)) / 100  # noqa: E731
    body = [_score_axis(x0, plot_w, top, bottom)]
    if not bars:
        body.append(_text(x0 + plot_w / 2, top + row_h / 2 + 4, _("no data on file"), anchor="middle", fill=MUTED))
    for i, bar in enumerate(bars):
        body.append(_score_row(bar, top + i * row_h + (row_h - bar_h) / 2, bar_h, x0, plot_w, to_x))
    legend_y = bottom + 22
    body.append(_legend([(c, _(n)) for n, c in BAND_COLOURS.items()] + [(NOT_SCORED, _("not scored"))], 12, legend_y))
    return _svg(title, legend_y + 14, body)


@functools.lru_cache(maxsize=32)
def _score_axis(x0: float, plot_w: float, top: float, bottom: float) -> str:
    """The score chart's 0-100 ticks, gridlines and axis down to ``bottom``: the same in every memo with as many rubrics."""
    parts = []
    for tick in range(0, 101, 20):
        x = x0 + plot_w * tick / 100
        parts.append(_text(x, top - 10, str(tick), size=10, anchor="middle", fill=MUTED))
        if 0 < tick < 100:
            parts.append(_line(x, top - 4, x, bottom, GRID, class_="gridline"))
    parts.append(_line(x0, top - 4, x0, bottom, AXIS))
    return "".join(parts)


def _score_row(bar: ScoreBar, y: float, h: float, x0: float, plot_w: float, to_x) -> str:
    """One rubric row as a ``<g class="score-row">`` with a tooltip title."""
    mid = y + h / 2 + 4
    weight = _("weight {weight}%").format(weight=fmt.label(bar.weight_pct))
    parts = [_text(12, mid, _fit(bar.label, x0 - 24, 11))]
    if _finite(bar.score):
        colour = _band_colour(bar.band, bar.score)  # type: ignore[arg-type]
        band = bar.band_label or (_(bar.band) if bar.band else _("no band"))
        tip = _("{label}: score {score} ({band}), {weight}").format(label=bar.label, score=fmt.score(bar.score), band=band, weight=weight)
        parts.append(_el("rect", x=x0, y=y, width=to_x(bar.score) - x0, height=h, fill=colour, class_="score-bar"))
        parts.append(_text(to_x(bar.score) + 5, mid, fmt.score(bar.score), font_weight="600"))  # the table's text: one value, one text
    else:
        tip = _("{label}: not scored, {weight}").format(label=bar.label, weight=weight)
        parts.append(_el("rect", x=x0, y=y, width=plot_w, height=h, fill=NOT_SCORED, fill_opacity="0.15",
                         stroke=NOT_SCORED, stroke_dasharray="3 2", class_="score-bar"))
        parts.append(_text(x0 + 6, mid, _("not scored"), fill=MUTED, font_style="italic"))
    parts.append(_text(WIDTH - 12, mid, weight, anchor="end", fill=MUTED))
    return _el("g", _el("title", _esc(tip)), *parts, class_="score-row")


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, size: float = 10, width: float | None = None) -> str:
    """Colour swatches with names, left to right from ``(x, y)`` (text baseline), starting a new
    row rather than running past ``width`` (see :func:`_legend_rows`)."""
    return _legend_markup(tuple((colour, str(name)) for colour, name in items), x, y, size, width)


@functools.lru_cache(maxsize=256)
def _legend_markup(items: tuple[tuple[str, str], ...], x: float, y: float, size: float, width: float | None) -> str:
    """:func:`_legend`, made once per legend: the band legend is the same in every memo, the series legends nearly so."""
    parts = []
    left, line = x, size + 4
    for colour, name in items:
        w = 14 + _text_width(name, size) + 12
        if width is not None and x > left and x - left + w - 12 > width:
            x, y = left, y + line
        parts.append(_el("rect", x=x, y=y - 8, width=10, height=10, fill=colour))
        parts.append(_text(x + 14, y, _fit(name, width - 14, size) if width is not None else name, size=size))
        x += w
    return _el("g", *parts, class_="legend")


def _legend_rows(names: Sequence[str], size: float, width: float) -> int:
    """How many rows :func:`_legend` takes for ``names`` within ``width``."""
    rows, used = 1, 0.0
    for name in names:
        w = 14 + _text_width(name, size) + 12
        if used and used + w - 12 > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


# --- period panels -------------------------------------------------------------------------

def _is_interim(period: str) -> bool:
    """Annual periods are ``FY…``; anything else (``2025H1``, ``2024H1``) is interim."""
    return not period.upper().startswith("FY")


def _nice_scale(values: Sequence[float]) -> tuple[float, float, list[float], int]:
    """Axis ``(low, high, ticks, decimals)`` covering the values and 0, on a 1-2-5 step, with
    headroom for value labels above (and below negative) points."""
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    lo, hi = (lo - 0.1 * span if lo < 0 else 0.0), (hi + 0.1 * span if hi > 0 or lo == 0 else 0.0)
    raw = (hi - lo) / 4
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [k * step for k in range(first, last + 1)]
    return ticks[0], ticks[-1], ticks, max(0, -math.floor(math.log10(step) + 1e-9))


def period_panels(panels: Sequence[Panel], title: str | None = None) -> str:
    """Small multiples: 1×N for fewer than 3 panels, otherwise two columns (2×2 for four).
    Each panel is a ``<g class="panel">``."""
    title = _("Key metrics across periods") if title is None else title
    pad, gap, header, panel_h = 12.0, 16.0, 34.0, 250.0
    cols = max(1, len(panels) if len(panels) < 3 else 2)
    rows = max(1, math.ceil(len(panels) / cols))
    panel_w = (WIDTH - 2 * pad - (cols - 1) * gap) / cols
    body = [] if panels else [_text(WIDTH / 2, header + 40, _("no data on file"), anchor="middle", fill=MUTED)]
    for i, panel in enumerate(panels):
        x, y = pad + (i % cols) * (panel_w + gap), header + (i // cols) * (panel_h + gap)
        body.append(_el("g", _panel(panel, panel_w, panel_h), class_="panel", transform=f"translate({x:.1f} {y:.1f})"))
    height = header + rows * panel_h + (rows - 1) * gap + pad if panels else header + 60
    return _svg(title, height, body)


def _hatch(x: float, y: float, w: float, h: float, colour: str, spacing: float = 6.0) -> str:
    """45° hatch lines clipped to the rectangle, as one path (no ``<pattern>``, so no ids)."""
    segments = []
    for k in range(1, math.ceil((w + h) / spacing)):
        start = x - h + k * spacing                     # where the line meets the bottom edge's extension
        lo, hi = max(0.0, x - start), min(h, x + w - start)
        if hi - lo > 0.5:
            segments.append(f"M{start + lo:.1f} {y + h - lo:.1f}L{start + hi:.1f} {y + h - hi:.1f}")
    return _el("path", d="".join(segments), stroke=colour, stroke_width=1, class_="hatch") if segments else ""


def _x_positions(periods: Sequence[str], left: float, right: float, dated: bool) -> tuple[dict[str, float], float]:
    """x of each key and the narrowest gap between neighbours: evenly spaced slots, or, for ISO
    dates, in proportion to the time between them (half a slot of margin at each end)."""
    slot = (right - left) / len(periods)
    if dated and len(periods) > 1:
        import datetime as dt

        try:
            days = [dt.date.fromisoformat(p).toordinal() for p in periods]
        except ValueError:
            days = []
        if days and days[-1] > days[0] and days == sorted(days):
            inner_left, inner_right = left + slot / 2, right - slot / 2
            xs = {p: inner_left + (d - days[0]) / (days[-1] - days[0]) * (inner_right - inner_left) for p, d in zip(periods, days, strict=True)}
            gap = min(b - a for a, b in itertools.pairwise(xs.values()))
            return xs, gap
    return {p: left + (k + 0.5) * slot for k, p in enumerate(periods)}, slot


def _panel(panel: Panel, w: float, h: float) -> str:
    """One panel's markup in local coordinates."""
    if panel.kind not in ("bar", "line"):
        raise ValueError(f"panel kind must be 'bar' or 'line', not {panel.kind!r}")
    frame = _el("rect", x=0.5, y=0.5, width=w - 1, height=h - 1, rx=4, fill="none", stroke=GRID)
    parts = [frame, _el("title", _esc(panel.title)), _text(10, 18, _fit(panel.title, w - 20, 12), size=12, font_weight="600")]
    data = [{p: float(v) for p, v in s.points if _finite(float(v))} for s in panel.series]
    texts = [{p: str(t) for (p, v), t in zip(s.points, s.labels, strict=False) if _finite(float(v))} for s in panel.series]
    is_interim = _is_interim if panel.interims else (lambda p: False)
    seen = dict.fromkeys(p for s in data for p in s)
    periods = [p for p in panel.periods if p in seen] + [p for p in seen if p not in set(panel.periods)]
    if not periods:
        parts.append(_text(w / 2, h / 2, _("no data on file"), anchor="middle", fill=MUTED))
        return "".join(parts)
    top = 48.0
    if len(panel.series) > 1:
        names = [(SERIES_COLOURS[k % 3], s.name) for k, s in enumerate(panel.series)]
        parts.append(_legend(names, 10, 36, size=9, width=w - 20))
        top += 13.0 * (_legend_rows([n for _, n in names], 9, w - 20) - 1)
    left, right, bottom = 46.0, w - 12, h - 40
    if panel.scale is not None:
        lo, hi = panel.scale
        ticks, decimals = [lo + (hi - lo) * k / 4 for k in range(5)], 0
    else:
        lo, hi, ticks, decimals = _nice_scale([v for s in data for v in s.values()])
    to_y = lambda v: bottom - (v - lo) / (hi - lo) * (bottom - top)  # noqa: E731
    to_x, gap = _x_positions(periods, left, right, panel.dated)
    slot = (right - left) / len(periods)
    for t in ticks:
        parts.append(_line(left, to_y(t), right, to_y(t), GRID, class_="gridline"))
        parts.append(_text(left - 4, to_y(t) + 3, fmt.label(t, decimals) + panel.unit, size=9, anchor="end", fill=MUTED))
    parts.append(_line(left, bottom, right, bottom, AXIS, class_="axis"))
    if lo < 0:
        parts.append(_line(left, to_y(0), right, to_y(0), INK, class_="zero-line"))
    label_size = 10.0 if min(slot, gap) >= 46 else 8.5
    staggered = max(_text_width(p, label_size) for p in periods) > gap - 2
    for k, p in enumerate(periods):
        y = bottom + 13 + (11 if staggered and k % 2 else 0)
        parts.append(_text(to_x[p], y, p, size=label_size, anchor="middle", font_style="italic" if is_interim(p) else None))
    hatched = False
    labels: list[_Label] = []
    for k, values in enumerate(data):
        colour = SERIES_COLOURS[k % 3]
        if panel.kind == "bar" and k == 0:
            parts.extend(_bars(values, to_x, to_y, min(slot * 0.6, gap * 0.8, 48), colour, panel.unit, is_interim, labels, texts[k]))
            hatched = any(is_interim(p) for p in values)
        else:
            parts.extend(_line_series(values, to_x, to_y, colour, panel.unit, is_interim, labels, texts[k]))
    parts.extend(_place_labels(labels, top - 2, bottom + 1))
    if any(is_interim(p) for p in periods):
        note = _("Hatched bar = interim period; H1 = half-year") if hatched else _("Hollow marker = interim period; H1 = half-year")
        parts.append(_text(10, h - 8, note, size=9, fill=MUTED, class_="interim-note"))
    return "".join(parts)


@dataclass
class _Label:
    x: float
    y: float          # baseline wanted: above the point (below it for a negative value)
    text: str
    colour: str
    point: float      # y of the point or bar end the label belongs to
    below: float      # baseline that puts the label under its point instead


def _place_labels(labels: list[_Label], top: float, bottom: float, height: float = 10.0) -> list[str]:
    """Value labels placed so that none overlaps another: from the highest point down, each label
    goes where it wants (above its point); if that overlaps a label already placed near the same
    x, it goes under its own point, and failing that further down, clear of the others."""
    placed: list[_Label] = []

    def clash(label: _Label, y: float) -> _Label | None:
        width = _text_width(label.text, 9) + 2
        return next((o for o in placed if abs(o.x - label.x) < (width + _text_width(o.text, 9) + 2) / 2 and abs(o.y - y) < height), None)

    def inside(y: float) -> float:
        return max(top + height, min(y, bottom + height))

    for label in sorted(labels, key=lambda lab: (lab.point, lab.x)):
        label.y = inside(label.y)
        if clash(label, label.y) is not None:
            label.y = inside(label.below)
            other = clash(label, label.y)
            while other is not None:
                label.y = other.y + height
                other = clash(label, label.y)
        placed.append(label)
    return [_text(lab.x, lab.y, lab.text, size=9, anchor="middle", fill=lab.colour, class_="value") for lab in sorted(placed, key=lambda lab: (lab.x, lab.y))]


def _bars(values: dict[str, float], to_x: dict[str, float], to_y, bar_w: float, colour: str, unit: str, is_interim=_is_interim,
          labels: list[_Label] | None = None, texts: dict[str, str] | None = None) -> list[str]:
    """Bars from zero; interim periods pale and hatched. Labels above positive bars, below negative."""
    out = []
    for p, v in values.items():
        x, (y0, y1) = to_x[p] - bar_w / 2, sorted((to_y(0), to_y(v)))
        interim = is_interim(p)
        out.append(_el("rect", x=x, y=y0, width=bar_w, height=y1 - y0, fill=INTERIM_FILL if interim else colour,
                       stroke=colour, class_="bar interim" if interim else "bar"))
        if interim:
            out.append(_hatch(x, y0, bar_w, y1 - y0, colour))
        label = _Label(to_x[p], to_y(v) - 4 if v >= 0 else to_y(v) + 11, (texts or {}).get(p) or fmt.label(v) + unit, INK,
                       to_y(v), to_y(v) + 11 if v >= 0 else to_y(v) - 4)
        if labels is None:
            out.append(_text(label.x, label.y, label.text, size=9, anchor="middle"))
        else:
            labels.append(label)
    return out


def _line_series(values: dict[str, float], to_x: dict[str, float], to_y, colour: str, unit: str, is_interim=_is_interim,
                 labels: list[_Label] | None = None, texts: dict[str, str] | None = None) -> list[str]:
    """A polyline with a marker per point (hollow for interim periods) and a value label above
    it (below for negative values)."""
    pts = " ".join(f"{to_x[p]:.1f},{to_y(v):.1f}" for p, v in values.items())
    out = [_el("polyline", points=pts, fill="none", stroke=colour, stroke_width=2)] if len(values) > 1 else []
    for p, v in values.items():
        out.append(_el("circle", cx=to_x[p], cy=to_y(v), r=3.5, fill="#ffffff" if is_interim(p) else colour,
                       stroke=colour, stroke_width=1.5, class_="point interim" if is_interim(p) else "point"))
        label = _Label(to_x[p], to_y(v) - 7 if v >= 0 else to_y(v) + 14, (texts or {}).get(p) or fmt.label(v) + unit, colour,
                       to_y(v), to_y(v) + 14 if v >= 0 else to_y(v) - 7)
        if labels is None:
            out.append(_text(label.x, label.y, label.text, size=9, anchor="middle", fill=colour))
        else:
            labels.append(label)
    return out


@dataclass(frozen=True)
class PeerRow:
    label: str
    company: float | None          # the company's value on a 0-100 scale
    peers: Sequence[float]         # the peers' values
    band: str | None = None        # the company's band, for its colour


def peer_chart(rows: Sequence[PeerRow], title: str | None = None) -> str:
    """One 0-100 strip per rubric: peers as grey dots, the company as a coloured dot."""
    title = _("Rubric scores among peers") if title is None else title
    row_h, top, x0, plot_w = 26.0, 44.0, 190.0, 500.0
    to_x = lambda v: x0 + max(0.0, min(100.0, v)) / 100 * plot_w  # noqa: E731
    body = []
    for edge in (0, 20, 40, 60, 80, 100):
        body.append(_line(to_x(edge), top - 6, to_x(edge), top + row_h * len(rows), GRID, class_="gridline"))
        body.append(_text(to_x(edge), top - 10, str(edge), size=9, anchor="middle", fill=MUTED))
    for i, row in enumerate(rows):
        y = top + row_h * i + row_h / 2
        body.append(_text(x0 - 10, y + 4, _fit(row.label, x0 - 20, 11), size=11, anchor="end"))
        body.append(_line(x0, y, x0 + plot_w, y, GRID))
        for value in sorted(v for v in row.peers if _finite(v)):
            body.append(_el("circle", cx=to_x(value), cy=y, r=4, fill=NOT_SCORED, fill_opacity=0.6, class_="peer"))
        if row.company is not None and _finite(row.company):
            body.append(_el("circle", cx=to_x(row.company), cy=y, r=6, fill=_band_colour(row.band, row.company), stroke=INK, stroke_width=1, class_="company"))
        else:
            body.append(_text(x0 + plot_w + 8, y + 4, _("not scored"), size=9, fill=MUTED))
    legend_y = top + row_h * len(rows) + 18
    body.append(_legend([(NOT_SCORED, _("peers")), (INK, _("this company (coloured by band)"))], x0, legend_y, size=10))
    return _svg(title, legend_y + 16, body)
