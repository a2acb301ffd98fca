"""The HTML memo as a document to print and to read on a phone: print rules, narrow-screen rules,
no raw Markdown, Chinese marked as Chinese. (docs/print_memo.py prints it with a headless browser.)"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.pipeline import Pipeline
from riskscore.report import charts
from riskscore.report.render import mark_chinese, page_css

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
CJK = re.compile("[\u3400-\u9fff]")


@lru_cache(maxsize=4)
def html(path: Path = WEDOCTOR, paper: str | None = None) -> str:
    p = Pipeline.open()
    profile = p.load(path)
    return p.render(profile, p.assess(profile), ["html"], p.memo_options(paper=paper))["html"]


def css(document: str) -> str:
    return "\n".join(re.findall(r"<style>(.*?)</style>", document, flags=re.S))


class Text(HTMLParser):
    """The document's text with, for each piece, whether it is code, inside a lang="zh" element, or raw (style, svg)."""

    VOID = {"br", "meta", "img", "hr", "input", "link", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.pieces: list[tuple[str, bool, bool, bool]] = []  # text, in code, in zh, raw
        self.tables: list[list[str]] = []  # the classes of each table's ancestors

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([c or "" for t, c in self.stack])
        if tag not in self.VOID:
            a = dict(attrs)
            self.stack.append((tag, a.get("class") if tag != "span" or a.get("lang") != "zh" else "lang-zh"))
            if a.get("lang") == "zh":
                self.stack[-1] = (tag, "lang-zh")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        tags = [t for t, _ in self.stack]
        self.pieces.append((data, "code" in tags, any(c == "lang-zh" for _, c in self.stack),
                            bool({"style", "svg", "title", "script"} & set(tags))))


def parsed(document: str) -> Text:
    t = Text()
    t.feed(document)
    return t


# ------------------------------------------------------------------ print


def test_page_size_running_header_and_page_numbers() -> None:
    rules = css(html())
    assert re.search(r"@page \{ size: A4;", rules)
    for box in ("@top-left", "@top-right", "@bottom-right"):
        assert box in rules
    assert 'content: "IPO listing-risk memo: WeDoctor Holdings Limited' in rules
    assert 'content: "As of 2026-06-30"' in rules
    assert '"Page " counter(page) " of " counter(pages)' in rules


def test_letter_paper_by_option_and_by_setting(tmp_path: Path) -> None:
    assert "size: letter;" in css(html(paper="letter"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["memo", str(WEDOCTOR), "--format", "html", "--paper", "letter", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "size: letter;" in (out / "wedoctor.html").read_text(encoding="utf-8")
    config = tmp_path / "riskscore.toml"
    config.write_text('[memo]\npaper = "letter"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["memo", str(WEDOCTOR), "--format", "html", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "size: letter;" in (out / "wedoctor.html").read_text(encoding="utf-8")
    config.write_text('[memo]\npaper = "a5"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["memo", str(WEDOCTOR), "--format", "html", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 2 and "paper" in result.output


def test_page_css_quotes_what_it_prints() -> None:
    rule = page_css('A "quoted" </style> name', "As of 2026-06-30")
    assert "</style>" not in rule and '\\22 quoted\\22 ' in rule
    with pytest.raises(ValueError, match="paper"):
        page_css("x", "y", "a3")


def test_headings_stay_with_what_follows_and_long_sections_break() -> None:
    rules = css(html())
    printing = rules[rules.index("@media print"):]
    assert re.search(r"h2, h3, p\.label \{ break-after: avoid;", printing)
    assert "break-inside: avoid" not in re.sub(r"figure, tr, \.verdict \{[^}]*\}|h1, h2, h3 \{[^}]*\}", "", printing)
    assert "section.rubric { break-inside" not in rules  # whole rubric sections refused to break: 14 half-empty pages
    # Every list label ("Red flags", "Evidence") is a p.label, kept with its list at a page foot.
    assert '<p class="label"><strong>Red flags</strong></p>' in html()
    assert not re.search(r"<p><strong>[^<]*</strong></p>", html()), "a label alone in a paragraph without class=label"


# ------------------------------------------------------------------ phone


def test_narrow_screen_rules() -> None:
    rules = css(html())
    phone = rules[rules.index("@media (max-width: 640px)"):rules.index("@media print")]
    assert ".verdict { flex-direction: column" in phone
    assert "figure.chart svg { min-width:" in phone  # chart text stays legible: the chart scrolls, not shrinks
    assert re.search(r"\.table-scroll \{ overflow-x: auto;", rules)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html()


@pytest.mark.parametrize("path", [WEDOCTOR, ROOT / "tests" / "golden" / "minimal.yaml"], ids=["wedoctor", "minimal"])
def test_every_table_scrolls_inside_its_own_box(path: Path) -> None:
    tables = parsed(html(path)).tables
    assert tables and all("table-scroll" in ancestors for ancestors in tables)


def test_verdict_comes_before_the_filings_table() -> None:
    document = html()
    assert document.index('<section class="summary">') < document.index("<h2>Verdict</h2>") < document.index('<table class="filings">')
    assert document.index("<h3>Key financials</h3>") < document.index('<table class="filings">')


# ------------------------------------------------------------------ Markdown and Chinese


def test_methodology_is_rendered_not_raw_markdown() -> None:
    text = parsed(html())
    prose = "".join(t for t, code, _, raw in text.pieces if not code and not raw)
    assert "`" not in prose
    assert not re.search(r"(?<![\w*])\*[A-Za-z][^*\n]*\*(?![\w*])", prose), "emphasis left as *asterisks*"
    assert "<em>Listed</em>" in html() and "<code>claim_ratio_grid</code>" in html()


def test_markdown_in_a_method_cannot_inject_html() -> None:
    from riskscore.report.render import _markdown

    rendered = str(_markdown("A <script>alert(1)</script> and *this*"))
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered and "<em>this</em>" in rendered


def test_every_chinese_run_is_marked_zh() -> None:
    text = parsed(html())
    unmarked = [t for t, _, zh, raw in text.pieces if CJK.search(t) and not zh and not raw]
    assert not unmarked, unmarked[:3]
    assert '<span lang="zh">深交所</span>' in html()


@pytest.mark.parametrize(("source", "expected"), [
    ("<p>plain</p>", "<p>plain</p>"),
    ("<p>a 亿 b</p>", '<p>a <span lang="zh">亿</span> b</p>'),
    ('<a title="微医">x</a>', '<a title="微医">x</a>'),                            # never inside an attribute
    ("<title>微医</title><style>/* 亿 */</style>", "<title>微医</title><style>/* 亿 */</style>"),  # nor where markup cannot go
    ('<span lang="zh">(微医)</span>', '<span lang="zh">(微医)</span>'),            # already marked
    ("<svg><text>亿</text></svg><p>亿</p>", '<svg><text>亿</text></svg><p><span lang="zh">亿</span></p>'),
])
def test_mark_chinese(source: str, expected: str) -> None:
    assert mark_chinese(source) == expected


def test_fonts_include_chinese_faces_for_every_platform() -> None:
    rules = css(html())
    for face in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"):
        assert face in rules and face in charts.FONT
    svg = charts.period_panels([charts.Panel("Revenue (RMB 亿)", "", [charts.Series("r", [("FY2024", 1.0)])], "bar")])
    assert '<tspan lang="zh">亿</tspan>' in svg


# ------------------------------------------------------------------ the trend memo's chart


def test_trend_chart_draws_identical_scores_once_and_titles_panels_apart() -> None:
    p = Pipeline.open()
    profile = p.load(WEDOCTOR)
    trend = p.trend(profile)
    assert all(pt.assessment.adjusted_score == pt.assessment.indicated_score for pt in trend.points)
    document = p.render_trend(trend, ["html"])["html"]
    svg = document[document.index("<svg"):document.index("</svg>")]
    titles = re.findall(r'<g class="panel"[^>]*><rect[^>]*/><title>([^<]*)</title>', svg)
    assert titles[0] == "Overall score: adjusted = indicated"
    assert len(titles) == len(set(titles)), titles
    first = svg[svg.index('<g class="panel"'):svg.index('<g class="panel"', svg.index('<g class="panel"') + 1)]
    assert first.count("<polyline") == 1
    assert "size: A4;" in css(document) and '"Page " counter(page)' in css(document)


def test_redemption_flag_states_its_parts() -> None:
    p = Pipeline.open()
    flag = next(f for f in p.assess(p.load(WEDOCTOR)).red_flags if f.id == "redemption_claim_exceeds_resources")
    assert flag.detail == ("If the listing fails, a claim of more than RMB 250 亿 falls due against RMB 55.4 亿: "
                           "FY2024 revenue of RMB 55.0 亿 (standing in for cash, which is not on file) plus a year of operating "
                           "cash flow at the 2025H1 rate, RMB 0.4 亿 (about RMB 0.2 亿 in 2025H1, annualised).")
