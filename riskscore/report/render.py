"""Rendering documents to Markdown and self-contained HTML with Jinja2: the memo
(:func:`render`) and the trend memo (:func:`render_trend`).

Jinja2 is imported here and only here, so commands that do not render never pay for it.
HTML is autoescaped; Markdown escapes the characters that would break its tables.

Languages: the templates mark their words for Jinja2's i18n extension (``{% trans %}``,
``_()``), and the memo model's texts are :class:`~riskscore.report.i18n.Localizable`. A
document in another language is the same model translated by a
:class:`~riskscore.report.i18n.Translator` (:func:`~riskscore.report.i18n.localize`), so
the two documents cannot disagree on a figure. English uses no catalogue.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from riskscore.report.i18n import BANDS, Translator, Value, localize
from riskscore.report.memo import Memo, rubric_title

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
    mark = f" *{_gettext('(unverified)')}*" if getattr(cited, "unverified", False) else ""
    return mark + "".join(f"[^q{q.number}]" for q in getattr(cited, "quotes", ()))


_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]+")
_TAG = re.compile(r"(<[^>]*>)")
_RAW = ("style", "title", "svg", "script", "textarea")  # elements whose text must not carry markup
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


_BELOW_CJK = bytes(range(0xE3))
_RADICALS = re.compile(rb"\xe2[\xba-\xbf]")  # U+2E80-U+2FFF in UTF-8


def _may_have_cjk(text: str) -> bool:
    """False only when ``text`` has none of the characters :data:`_CJK` matches; a quick test first.

    Every such character is U+2E80 or above, so in UTF-8 it starts with a byte of 0xE3 or more,
    or with 0xE2 0xBA-0xBF (U+2E80-U+2FFF). Finding neither takes a few C passes over the
    bytes, where the character class tests each character against its ranges: an English memo (55 kB, no
    Chinese) is checked several times faster. Typography (“ ” — → ≤) is below U+2E80."""
    data = text.encode("utf-8", "surrogatepass")
    return bool(data.translate(None, _BELOW_CJK)) or _RADICALS.search(data) is not None


def mark_chinese(html: str) -> str:
    """Wrap each run of Chinese characters in the document's text in ``<span lang="zh">``, so
    browsers, screen readers and print pick Chinese fonts and rules for it.

    Only text between tags is touched: never attributes, and nothing inside ``<style>``,
    ``<title>``, ``<svg>`` (the charts carry their own ``lang``) or ``<script>``; text already
    inside an element marked ``lang="zh"`` (a span, a quote) is left as it is.
    """
    if not _may_have_cjk(html) or not _CJK.search(html):
        return html
    out: list[str] = []
    skip: list[str] = []
    open_tags: list[tuple[str, bool]] = []  # element name, whether it is marked lang="zh"
    zh = 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = part[1:].split(None, 1)[0].rstrip("/>").lower() if len(part) > 2 else ""
            if name in _RAW and not part.endswith("/>"):
                skip.append(name)
            elif name.startswith("/") and skip and name[1:] == skip[-1]:
                skip.pop()
            elif not skip and name.startswith("/"):
                while open_tags:  # close up to the matching element
                    tag, marked = open_tags.pop()
                    zh -= marked
                    if tag == name[1:]:
                        break
            elif not skip and name and not part.endswith("/>") and name[0].isalpha() and name not in _VOID:
                marked = 'lang="zh"' in part
                open_tags.append((name, marked))
                zh += marked
            out.append(part)
        elif skip or zh or not part:
            out.append(part)
        else:
            out.append(_CJK.sub(lambda m: f'<span lang="zh">{m.group()}</span>', part))
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _markdown_parser():
    from riskscore.report import methodhtml  # markdown-it-py, only for a method not rendered in advance

    return methodhtml.parser()  # raw HTML in the text is escaped, never passed through


def _markdown(text: object) -> object:
    """Markdown (a rubric's method, as its docstring writes it) as HTML."""
    return _markdown_html(str(text))


@functools.lru_cache(maxsize=256)
def _markdown_html(text: str) -> object:
    """Rendered once per text: every memo of a run shows the same few rubric methods
    (the built-ins' are rendered in advance: :mod:`riskscore.report.methodhtml`)."""
    from markupsafe import Markup

    from riskscore.report import methodhtml

    stored = methodhtml.lookup(text)
    return Markup(stored if stored is not None else _markdown_parser().render(text))


def _css_string(text: object) -> str:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
    escaped = "".join(c if c.isprintable() and c not in '"\\<>' else f"\\{ord(c):x} " for c in str(text))
    return f'"{escaped}"'


PAPER = {"a4": "A4", "letter": "letter"}


def page_css(running: str, as_of: str, paper: str = "a4", tr: Translator | None = None) -> str:
    """The printed page: its size, a running header (the document and its company; the as-of date)
    and footer (page x of y, in the translator's language) in the page-margin boxes."""
    if paper not in PAPER:
        raise ValueError(f"paper must be one of {', '.join(PAPER)}; got {paper!r}")
    box = ('font: 8pt/1.2 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, "PingFang SC", "Microsoft YaHei", '
           '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: #5b6570;')
    return (f"@page {{ size: {PAPER[paper]}; margin: 16mm 14mm 16mm 14mm;\n"
            f"  @top-left {{ content: {_css_string(running)}; {box} }}\n"
            f"  @top-right {{ content: {_css_string(as_of)}; {box} }}\n"
            f"  @bottom-right {{ content: {_page_counter(tr)}; {box} }}\n"
            f"}}")


def _page_counter(tr: Translator | None) -> str:
    """``"Page " counter(page) " of " counter(pages)``, its words from the translator (``%(page)s`` and ``%(pages)s`` mark the counters)."""
    words = (tr or Translator()).gettext("Page %(page)s of %(pages)s")
    out = []
    for part in re.split(r"(%\(pages?\)s)", words):
        if part in ("%(page)s", "%(pages)s"):
            out.append(f"counter({part[2:-2]})")
        elif part:
            out.append(_css_string(part))
    return " ".join(out)


def _bytecode_cache():
    """Compiled templates cached on disk, like Python's own .pyc files.

    Compiling the templates is most of a cold render's cost. Entries are keyed by the
    template source's checksum, so an edited template is never served stale. Where no
    cache directory can be created, templates are simply compiled every time.
    """
    import jinja2

    base = os.environ.get("RISKSCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "riskscore"
    )
    directory = os.path.join(base, f"templates-jinja{jinja2.__version__}-i18n")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory)


_TRANSLATOR: contextvars.ContextVar[Translator] = contextvars.ContextVar("riskscore_translator", default=Translator())  # noqa: B039 (the English default holds no catalogue and is never changed)


def _gettext(message: str) -> str:
    return _TRANSLATOR.get().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _TRANSLATOR.get().ngettext(singular, plural, n)


_ENGLISH_HTML: dict[str, object] = {}
"""``_("text")`` without parameters in an English HTML document: the same every time, so made once per process."""


def _template_gettext(autoescape: bool):
    """The templates' ``_()``: what Jinja2's new-style gettext does (translate, mark safe when
    autoescaping, then ``%`` the parameters, escaping them), without its three context-passing
    calls per use. A memo calls it some 140 times; most calls are constant English words."""
    from markupsafe import Markup

    if not autoescape:
        def gettext(__string: str, **variables: object) -> str:
            return _TRANSLATOR.get().gettext(__string) % variables

        return gettext

    def gettext_html(__string: str, **variables: object) -> object:
        tr = _TRANSLATOR.get()
        if not variables and tr.lang == "en":  # English looks nothing up and records nothing
            found = _ENGLISH_HTML.get(__string)
            if found is None:
                found = _ENGLISH_HTML[__string] = Markup(__string) % variables
            return found
        return Markup(tr.gettext(__string)) % variables

    return gettext_html


def _html_helpers(band_keys: Mapping[str, str], gettext: Callable[..., object]) -> dict[str, Callable[..., object]]:
    """The HTML memo's small repeated pieces, in Python: a Jinja2 macro call costs a dozen
    function calls, and a memo makes some sixty of these.

    ``cite(refs)``: the source numbers as links, ``[1, 2]``; ``quotes(cited)``: an evidence
    line's unverified mark and its quotes' links; ``band_class(band)``: the CSS class of a band
    (a translated band's name is first mapped back to the band)."""
    from markupsafe import Markup, escape

    empty = Markup("")

    def cite(refs: Sequence[int]) -> Markup:
        if not refs:
            return empty
        return Markup('<span class="cite">[' + ", ".join(f'<a href="#src-{escape(r)}">{escape(r)}</a>' for r in refs) + "]</span>")

    def quotes(cited: Any) -> Markup:
        mark = f' <span class="unverified">{escape(gettext("(unverified)"))}</span>' if cited.unverified else ""
        return Markup(mark + "".join(f'<a class="quote" href="#q-{escape(q.number)}" title="{escape(q.text)}">“{escape(q.number)}”</a>'
                                     for q in cited.quotes))

    def band_class(band: str) -> Markup:
        band = band_keys.get(band, band)
        return Markup("band-" + (escape(band) if band in BANDS else "none"))

    return {"cite": cite, "quotes": quotes, "band_class": band_class}


@functools.lru_cache(maxsize=4)
def _environment(fmt: Format, lang: str = "en"):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        bytecode_cache=_bytecode_cache(),
        auto_reload=False,  # compiled once per process: no stat of every template at every render
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # The translator of the document being rendered (a context variable: renders on other threads keep theirs).
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    gettext = env.globals["_"] = env.globals["gettext"] = _template_gettext(fmt == "html")  # same output, far fewer calls
    env.filters["md"] = _md
    env.filters["md_text"] = _md_text
    env.filters["cite_md"] = _cite_md
    env.filters["quotes_md"] = _quotes_md
    env.filters["markdown"] = _markdown
    env.globals["html_lang"] = "zh-CN" if lang == "zh" else "en"
    if fmt == "html":
        env.globals.update(_html_helpers(_band_keys(lang), gettext))  # a translated band's name -> the band, for its CSS class
    return env


def _band_keys(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    from riskscore.report.i18n import catalogue

    tr = Translator(lang, catalogue(lang))
    return {Value.band(b).localize(tr): b for b in BANDS}


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "memo.css").read_text(encoding="utf-8")


def render(memo: Memo, fmt: Format, tr: Translator | None = None) -> str:
    """The memo as Markdown or self-contained HTML, in the translator's language (English without one)."""
    tr = tr if tr is not None else Translator()
    token = _TRANSLATOR.set(tr)
    try:
        return _render(memo, fmt, tr)
    finally:
        _TRANSLATOR.reset(token)


def _render(memo: Memo, fmt: Format, tr: Translator) -> str:
    env = _environment(fmt, tr.lang)
    doc = localize(memo, tr)
    if fmt == "md":
        return env.get_template("memo.md.j2").render(memo=doc)
    from markupsafe import Markup

    from riskscore.report import charts

    # Colours come from the model's bands (English keys); every label from the translated document.
    with charts.language(tr.gettext, tr.lang):
        bars = [charts.ScoreBar(d.title, s.score_value, s.weight_pct, None if s.band == "Not scored" else str(s.band),
                                band_label=d.band if tr.lang != "en" else None)
                for s, d in zip(memo.rubrics, doc.rubrics, strict=True)]
        panels = [charts.Panel(k.title, k.unit, [charts.Series(name, pts, labels) for (name, pts), labels in zip(k.series, k.labels or [[] for _ in k.series], strict=True)
                                                 if pts], k.kind, memo.period_order)
                  for k in doc.key_metrics]
        peer_chart = None
        if memo.peer_ranks:
            scores = [r for r in doc.peer_ranks if r.is_score]
            bands = {d.title: str(s.band) for s, d in zip(memo.rubrics, doc.rubrics, strict=True)}
            peer_chart = Markup(charts.peer_chart([charts.PeerRow(r.label, r.company_value, r.peer_values, bands.get(r.label)) for r in scores]))
        score_chart = Markup(charts.score_weight_chart(bars))
        metrics_chart = Markup(charts.period_panels(panels))
    running = tr.gettext("IPO listing-risk memo: %(company)s") % {"company": _company(doc.company, doc.company_zh, tr.lang)}
    html = env.get_template("memo.html.j2").render(
        memo=doc,
        peer_chart=peer_chart,
        css=Markup(_css()),
        page_css=Markup(page_css(running, tr.gettext("As of %(date)s") % {"date": doc.as_of}, memo.paper, tr)),
        score_chart=score_chart,
        metrics_chart=metrics_chart,
    )
    return _marked(html, tr)


def render_trend(trend: Trend, fmt: Format, paper: str = "a4", tr: Translator | None = None) -> str:
    """The trend memo (:func:`riskscore.analysis.trend.follow`) as Markdown or self-contained HTML, in the translator's language."""
    tr = tr if tr is not None else Translator()
    token = _TRANSLATOR.set(tr)
    try:
        return _render_trend(trend, fmt, paper, tr)
    finally:
        _TRANSLATOR.reset(token)


def _render_trend(trend: Trend, fmt: Format, paper: str, tr: Translator) -> str:
    from riskscore.report.memo import build_trend_memo

    env = _environment(fmt, tr.lang)
    template = env.get_template(f"trend.{fmt}.j2")
    document = localize(build_trend_memo(trend), tr)
    if fmt == "md":
        return template.render(trend=document)
    from markupsafe import Markup

    from riskscore.report import charts
    from riskscore.report import format as formatting

    keys = [p.date.isoformat() for p in trend.points]
    _ = tr.gettext

    def series(name: str, values: list[float | None]) -> charts.Series:
        kept = [(k, v) for k, v in zip(keys, values, strict=True) if v is not None]
        return charts.Series(name, kept, [formatting.score(v) for _, v in kept])  # the tables' texts

    adjusted = [p.assessment.adjusted_score for p in trend.points]
    indicated = [p.assessment.indicated_score for p in trend.points]
    # With no red-flag floor lifting it, the adjusted score is the indicated one: one line, not two on top of each other.
    overall = ([series(_("Adjusted = indicated"), adjusted)] if adjusted == indicated
               else [series(_("Adjusted"), adjusted), series(_("Indicated"), indicated)])
    title = _("Overall score: adjusted = indicated") if len(overall) == 1 else _("Overall score")
    panels = [charts.Panel(title, "", overall, "line", keys, interims=False, scale=(0, 100), dated=True)]
    chunks = [c for c in (trend.rubrics[:3], trend.rubrics[3:6]) if c]
    for n, chunk in enumerate(chunks, start=1):
        heading = _("Rubric scores (%(n)s of %(count)s)") % {"n": n, "count": len(chunks)} if len(chunks) > 1 else _("Rubric scores")
        panels.append(charts.Panel(heading, "", [
            series(localize(rubric_title(rid, title), tr), [next((o.score for o in p.assessment.rubrics if o.id == rid and o.status == "scored"), None)
                                                           for p in trend.points])
            for rid, title in chunk
        ], "line", keys, interims=False, scale=(0, 100), dated=True))
    with charts.language(tr.gettext, tr.lang):
        chart = charts.period_panels(panels, title=_("Scores at each filing"))
    last = trend.points[-1].date.isoformat() if trend.points else ""
    running = _("Listing risk across filings: %(company)s") % {"company": _company(trend.company, trend.company_zh, tr.lang)}
    latest = _("Latest point %(date)s") % {"date": localize(Value.date(last), tr)} if last else ""
    return _marked(template.render(trend=document, css=Markup(_css()), chart=Markup(chart),
                                   page_css=Markup(page_css(running, latest, paper, tr))), tr)


def _company(name: str, name_zh: str | None, lang: str) -> str:
    """The company as a page header names it: its Chinese name first in a Chinese document, ``中文名 (Name)``, else ``Name (中文名)``."""
    if lang == "zh" and name_zh:
        return f"{name_zh} ({name})"
    return name + (f" ({name_zh})" if name_zh else "")


def _marked(html: str, tr: Translator) -> str:
    """An English document marks its runs of Chinese (:func:`mark_chinese`); a Chinese one is Chinese throughout (``lang="zh-CN"``)."""
    return html if tr.lang == "zh" else mark_chinese(html)
