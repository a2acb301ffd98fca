"""Rendering documents to Markdown and self-contained HTML with Jinja2: the memo
(:func:`render`) and the trend memo (:func:`render_trend`).

Jinja2 is imported here and only here, so commands that do not render never pay for it.
HTML is autoescaped; Markdown escapes the characters that would break its tables.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from riskscore.report.memo import Memo

if TYPE_CHECKING:
    from riskscore.analysis.trend import Trend

TEMPLATES = Path(__file__).parent / "templates"
Format = Literal["md", "html"]


def _md(text: object) -> str:
    """Escape text for a Markdown table cell or paragraph."""
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("](", "]\\(")
            .replace("\n", " "))


def _md_text(text: object) -> str:
    """Escape text for Markdown paragraphs, keeping paragraph breaks."""
    return "\n\n".join(_md(p) for p in str(text).split("\n\n"))


def _cite_md(refs: tuple[int, ...]) -> str:
    return " " + "".join(f"[{r}]" for r in refs) if refs else ""


def _quotes_md(cited: object) -> str:
    """An evidence line's unverified mark and quote footnotes: `` *(unverified)*[^q1][^q2]``."""
    mark = " *(unverified)*" if getattr(cited, "unverified", False) else ""
    return mark + "".join(f"[^q{q.number}]" for q in getattr(cited, "quotes", ()))


def _bytecode_cache():  # type: ignore[no-untyped-def]
    """Compiled templates cached on disk, like Python's own .pyc files.

    Compiling the templates is most of a cold render's cost. Entries are keyed by the
    template source's checksum, so an edited template is never served stale. Where no
    cache directory can be created, templates are simply compiled every time.
    """
    import jinja2

    base = os.environ.get("RISKSCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "riskscore"
    )
    directory = os.path.join(base, f"templates-jinja{jinja2.__version__}")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory)


@functools.lru_cache(maxsize=2)
def _environment(fmt: Format):  # type: ignore[no-untyped-def]
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        bytecode_cache=_bytecode_cache(),
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md
    env.filters["md_text"] = _md_text
    env.filters["cite_md"] = _cite_md
    env.filters["quotes_md"] = _quotes_md
    return env


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "memo.css").read_text(encoding="utf-8")


def render(memo: Memo, fmt: Format) -> str:
    """The memo as Markdown or self-contained HTML."""
    env = _environment(fmt)
    if fmt == "md":
        return env.get_template("memo.md.j2").render(memo=memo)
    from markupsafe import Markup

    from riskscore.report import charts

    bars = [charts.ScoreBar(s.title, s.score_value, s.weight_pct, None if s.band == "Not scored" else s.band) for s in memo.rubrics]
    panels = [charts.Panel(k.title, k.unit, [charts.Series(name, pts) for name, pts in k.series if pts], k.kind, memo.period_order)
              for k in memo.key_metrics]
    peer_chart = None
    if memo.peer_ranks:
        scores = [r for r in memo.peer_ranks if r.is_score]
        bands = {s.title: s.band for s in memo.rubrics}
        peer_chart = Markup(charts.peer_chart([charts.PeerRow(r.label, r.company_value, r.peer_values, bands.get(r.label)) for r in scores]))
    return env.get_template("memo.html.j2").render(
        memo=memo,
        peer_chart=peer_chart,
        css=Markup(_css()),
        score_chart=Markup(charts.score_weight_chart(bars)),
        metrics_chart=Markup(charts.period_panels(panels)),
    )


def render_trend(trend: "Trend", fmt: Format) -> str:
    """The trend memo (:func:`riskscore.analysis.trend.follow`) as Markdown or self-contained HTML."""
    from riskscore.report.memo import build_trend_memo

    env = _environment(fmt)
    template = env.get_template(f"trend.{fmt}.j2")
    document = build_trend_memo(trend)
    if fmt == "md":
        return template.render(trend=document)
    from markupsafe import Markup

    from riskscore.report import charts

    keys = [p.date.isoformat() for p in trend.points]

    def series(name: str, values: list[float | None]) -> charts.Series:
        return charts.Series(name, [(k, v) for k, v in zip(keys, values) if v is not None])

    panels = [charts.Panel("Overall score", "", [
        series("Adjusted", [p.assessment.adjusted_score for p in trend.points]),
        series("Indicated", [p.assessment.indicated_score for p in trend.points]),
    ], "line", keys, interims=False, scale=(0, 100))]
    for chunk in (trend.rubrics[:3], trend.rubrics[3:6]):
        if chunk:
            panels.append(charts.Panel("Rubric scores", "", [
                series(title, [next((o.score for o in p.assessment.rubrics if o.id == rid and o.status == "scored"), None) for p in trend.points])
                for rid, title in chunk
            ], "line", keys, interims=False, scale=(0, 100)))
    chart = charts.period_panels(panels, title="Scores at each filing")
    return template.render(trend=document, css=Markup(_css()), chart=Markup(chart))
