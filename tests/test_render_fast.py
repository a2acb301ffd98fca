"""The renderer's fast paths give exactly what the slower, general code they replace gives.

Each fast path (the templates' own ``_()``, the HTML helpers that were Jinja2 macros, the
per-process caches) is compared here with the code it replaces, on inputs chosen to reach
every branch: escaping, translation, missing translations, empty inputs.
"""

from __future__ import annotations

import jinja2
import pytest

from riskscore.report import memo, render
from riskscore.report.i18n import Message, Translator, Value, catalogue
from riskscore.report.memo import Cited, QuoteNote
from riskscore.scoring.scale import Grid

ZH = Translator("zh", catalogue("zh"))

# The macros the HTML memo used before they became Python (riskscore/report/templates/_cite.html.j2).
MACROS = """\
{% macro cite(refs) %}{% if refs %}<span class="cite">[{% for r in refs %}<a href="#src-{{ r }}">{{ r }}</a>{% if not loop.last %}, {% endif %}{% endfor %}]</span>{% endif %}{% endmacro %}
{% macro quotes(cited) %}{% if cited.unverified %} <span class="unverified">{{ _("(unverified)") }}</span>{% endif %}{% for q in cited.quotes %}<a class="quote" href="#q-{{ q.number }}" title="{{ q.text }}">“{{ q.number }}”</a>{% endfor %}{% endmacro %}
{% macro band_class(band) %}{% set band = band_keys.get(band, band) %}band-{{ band if band in ("Low", "Moderate", "Elevated", "High", "Severe") else "none" }}{% endmacro %}
"""


def jinja_env(fmt: str, lang: str) -> jinja2.Environment:
    """An environment with Jinja2's own new-style gettext and the old macros: the reference."""
    env = jinja2.Environment(loader=jinja2.DictLoader({"_m.j2": MACROS}), autoescape=fmt == "html", trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(render._gettext, render._ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["band_keys"] = render._band_keys(lang)
    return env


def rendered(env: jinja2.Environment, tr: Translator, source: str, **context: object) -> str:
    token = render._TRANSLATOR.set(tr)
    try:
        return env.from_string(source).render(**context)
    finally:
        render._TRANSLATOR.reset(token)


def both(fmt: str, tr: Translator, source: str, **context: object) -> tuple[str, str]:
    """``source`` rendered by the reference environment and by the memo's own, under ``tr``."""
    prefix = '{% from "_m.j2" import cite, quotes, band_class %}' if fmt == "html" else ""
    return (rendered(jinja_env(fmt, tr.lang), tr, prefix + source, **context),
            rendered(render._environment(fmt, tr.lang), tr, source, **context))  # type: ignore[arg-type]


GETTEXT_CASES = [
    '{{ _("Summary") }}',
    '{{ _("Summary") }}{{ _("Summary") }}',  # the second from the English cache
    '{{ _("No red flags.") }} {{ _(", ") }}{{ _(".") }}',
    '{{ _("As of %(date)s", date=d) }}',
    '{{ _("IPO listing-risk memo: %(company)s", company=c) }}',
    '{{ _("Peer set: %(set)s (%(count)s companies: %(names)s).", set=c, count=3, names=c) }}',
    '{{ _("not in any catalogue <b> & 100%% sure") }}',
    '{{ _("not in any catalogue %(x)s", x=c) }}',
    '{{ gettext("Summary") }}',
]


@pytest.mark.parametrize("fmt", ["html", "md"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("source", GETTEXT_CASES)
def test_template_gettext_matches_jinja_newstyle_gettext(fmt: str, lang: str, source: str) -> None:
    tr = ZH if lang == "zh" else Translator()
    company = Message("test.company", "A <b>&</b> \"Co\" 's")
    reference, ours = both(fmt, tr, source, d=Value.date("2025-06-30"), c=company)
    assert ours == reference


def test_template_gettext_records_missing_translations_as_before() -> None:
    source = '{{ _("not in any catalogue") }}{{ _("Summary") }}{{ _("also missing %(x)s", x=1) }}'
    reference, ours = Translator("zh", catalogue("zh")), Translator("zh", catalogue("zh"))
    rendered(jinja_env("html", "zh"), reference, source)
    rendered(render._environment("html", "zh"), ours, source)
    assert ours.missing == reference.missing == {"not in any catalogue", "also missing %(x)s"}


def test_template_gettext_refuses_a_missing_parameter_as_before() -> None:
    for env in (jinja_env("html", "en"), render._environment("html", "en")):
        with pytest.raises(KeyError):
            env.from_string('{{ _("As of %(date)s") }}').render()


CITED = [
    Cited("", ()),
    Cited("x", (1,)),
    Cited("x", (1, 2, 13)),
    Cited("x", (), (QuoteNote(1, 2, 'a "quote" <with> & \'marks\''),)),
    Cited("x", (3,), (QuoteNote(4, 3, "一句话"), QuoteNote(5, 3, "second")), unverified=True),
    Cited("x", (), (), unverified=True),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("cited", CITED)
def test_cite_and_quotes_match_the_macros(lang: str, cited: Cited) -> None:
    tr = ZH if lang == "zh" else Translator()
    reference, ours = both("html", tr, "{{ cite(c.refs) }}|{{ quotes(c) }}", c=cited)
    assert ours == reference


BANDS = ["Low", "Moderate", "Elevated", "High", "Severe", "Not scored", "", "<b>", "低", "高", "严重", "中等"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_band_class_matches_the_macro(lang: str) -> None:
    tr = ZH if lang == "zh" else Translator()
    values = [*BANDS, *(Value.band(b).localize(ZH) for b in ("Low", "High", "Severe")), Value.band("High"), Value.band(None)]
    for band in values:
        reference, ours = both("html", tr, '<div class="{{ band_class(b) }}">', b=band)
        assert ours == reference, band


# ------------------------------------------------------------------------- memo model caches


def uncached_grid_text(grid: Grid, unit: str) -> str:
    """The grid column as the memo wrote it before it was cached."""
    return (grid.describe(unit) if unit in ("%", "×") else
            Message("memo.grid_unit", "{grid} ({unit})", grid=grid.describe(), unit=unit) if unit else grid.describe())


@pytest.mark.parametrize("unit", ["%", "×", "", "years", "RMB 亿"])
def test_cached_grid_text_is_the_grid_as_written(unit: str) -> None:
    grid = Grid.of([[0, 0], [12.5, 40], [1e6, 100]])
    for tr in (Translator(), ZH):
        assert tr(memo._grid_text(grid, unit)) == tr(uncached_grid_text(grid, unit))
        assert tr(memo._grid_text(Grid.of([[0, 0], [12.5, 40], [1e6, 100]]), unit)) == tr(uncached_grid_text(grid, unit))
    assert memo._grid_text(Grid.of([[0, 10], [1, 20]]), unit) != memo._grid_text(grid, unit)  # another grid, another text


def test_cached_rubric_texts_are_the_rubrics_own() -> None:
    from rubrics.margin import Margin

    description, method = memo.rubric_texts(Margin, "margin")
    assert (description.id, str(description)) == ("margin.description", Margin.description())
    assert (method.id, str(method)) == ("margin.method", Margin.method())
    assert memo.rubric_title("margin", "Margin {x}") == "Margin {x}"  # braces kept literally, cached or not
    assert memo.rubric_title("margin", "Margin").id == "margin.title"
    assert memo.rubric_title("margin", "Margin").localize(ZH) == Message("margin.title", "Margin").localize(ZH)


# ------------------------------------------------------------------------- marking Chinese


def test_the_quick_cjk_test_never_misses_what_the_exact_one_finds() -> None:
    """Every code point (surrogates included), alone in ASCII text: the quick test says "maybe" wherever the exact one matches."""
    for code in range(0x110000):
        text = f"a<b>{chr(code)}</b>"
        if render._CJK.search(text):
            assert render._may_have_cjk(text), hex(code)


@pytest.mark.parametrize("text", ["", "plain ASCII", "“quoted” — 4.55× → ≤ 100%", "\u2e7f"])
def test_the_quick_cjk_test_passes_text_without_chinese(text: str) -> None:
    assert not render._may_have_cjk(text)
    assert render.mark_chinese(f"<p>{text}</p>") == f"<p>{text}</p>"


@pytest.mark.parametrize("text", ["微医", "\u2e80", "\u2fdf", "\uff01", "\U00020000", "（", "ア"])
def test_chinese_is_still_marked(text: str) -> None:
    assert render._may_have_cjk(f"x {text} y")
    assert render.mark_chinese(f"<p>x {text} y</p>") == f'<p>x <span lang="zh">{text}</span> y</p>'


# ------------------------------------------------------------------------- chart pieces made once


def test_cached_legends_are_the_legends_drawn_afresh() -> None:
    from riskscore.report import charts

    items = [("#2e7d32", Message("memo.chart.consolidated", "Consolidated")), ("#e07b00", "Core <segment> & “AI”"), ("#6a1b9a", "微医")]
    fresh = charts._legend_markup.__wrapped__(tuple((c, str(n)) for c, n in items), 10, 36, 9, 200.0)
    assert charts._legend(items, 10, 36, size=9, width=200.0) == fresh
    assert charts._legend([(c, str(n)) for c, n in items], 10, 36, size=9, width=200.0) == fresh  # a message draws as its text
    assert charts._legend(items, 10, 36, size=9, width=80.0) != fresh  # narrower: wraps to more rows


def test_cached_score_axis_is_drawn_afresh_for_each_height() -> None:
    from riskscore.report import charts

    for bottom in (82.0, 222.0):
        assert charts._score_axis(220.0, 400.0, 54.0, bottom) == charts._score_axis.__wrapped__(220.0, 400.0, 54.0, bottom)
    assert charts._score_axis(220.0, 400.0, 54.0, 82.0) != charts._score_axis(220.0, 400.0, 54.0, 222.0)
