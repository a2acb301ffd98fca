"""Verbatim quotes: the number in a quote is the figure; the quote occurs in its source."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.profile.model import QUOTE_MAX_CHARS, MoneyObservation, PercentObservation, Profile
from riskscore.profile.quotes import normalise, number_problem, numbers_in, occurs

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
SHARED_SOURCES = Path(os.environ.get("RISKSCORE_SHARED_SOURCES", ROOT.parent / "shared" / "sources"))


def run(*args: Any):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- numbers in a quote


@pytest.mark.parametrize("quote, value, percent, bound", [
    ("营收分别为2.55亿", 2.55e8, False, "exact"),
    ("合计罚款3030万元", 3030e4, False, "exact"),
    ("净流入约 0.2 亿元", 0.2e8, False, "about"),
    ("其中有 250 多亿元的可赎回可转换优先股", 250e8, False, "at_least"),
    ("年均复合增长率超100%", 100, True, "at_least"),
    ("收入占比不足 0.1%", 0.1, True, "at_most"),
    ("占比近八成", 80, True, "at_most"),
    ("累计亏损接近百亿级别", 100e8, False, "at_most"),
    ("revenue of RMB 1,234.5 million", 1234.5e6, False, "exact"),
    ("a loss of US$1.2 bn", 1.2e9, False, "exact"),
    ("毛利率从 2022 年的 -24.1%", -24.1, True, "exact"),
    ("１３.７亿元", 13.7e8, False, "exact"),                       # full-width digits (NFKC)
    ("约14.5亿美元", 14.5e8, False, "about"),
    ("2,000百万", 2000e6, False, "exact"),
    ("去年盈利約7910萬元", 7910e4, False, "about"),                # traditional forms: 約 萬
    ("營收為人民幣2.71億元", 2.71e8, False, "exact"),               # 億
    ("净亏损分别约为9130万元、1.29亿元、8742万元", 8742e4, False, "about"),  # 分别约为 bounds the whole list
    ("收入分别为约2.66亿元、5.71亿元、4.68亿元;同期亏损2718.1万元", 4.68e8, False, "about"),
    ("收入分别为约2.66亿元、5.71亿元;同期亏损2718.1万元", 2718.1e4, False, "exact"),  # … up to the end of the clause
    ("收入分別約6,100萬元、8,300萬元和2.71億元,分別佔總收入25.9%、31.3%", 31.3, True, "exact"),
])
def test_numbers_in_a_quote_with_their_units_and_bounds(quote: str, value: float, percent: bool, bound: str) -> None:
    found = [n for n in numbers_in(quote) if n.value == pytest.approx(value) and n.percent == percent]
    assert found, numbers_in(quote)
    assert found[0].bound == bound


def test_usd_in_a_quote_is_read_as_usd() -> None:
    [n] = [n for n in numbers_in("总额约 14.5 亿美元") if n.value == pytest.approx(14.5e8)]
    assert n.currency == "USD"


def money(amount: float, unit: str = "RMB 亿", **extra: Any) -> MoneyObservation:
    return MoneyObservation.model_validate({"amount": amount, "unit": unit, "source": "m", **extra})


def pct(value: str, **extra: Any) -> PercentObservation:
    return PercentObservation.model_validate({"value": value, "source": "m", **extra})


@pytest.mark.parametrize("obs, quote, ok", [
    (money(5.06), "营收分别为2.55亿、5.06亿和18.32亿", True),
    (money(5.07), "营收分别为2.55亿、5.06亿和18.32亿", False),             # one digit changed
    (money(-9.1), "经调整净亏损分别为 9.1 亿元", True),                    # a loss written without a sign
    (money(9.1), "毛利为 -9.1 亿元", False),                              # a written minus must match
    (money(3030, "RMB 万"), "合计罚款3030万元", True),
    (money(0.303, "RMB 亿"), "合计罚款3030万元", True),                   # the same amount in another scale
    (money(303, "RMB 亿"), "合计罚款3030万元", False),                    # a scale slip
    (money(14.5, "RMB 亿"), "总额约 14.5 亿美元", False),                 # the quote says dollars
    (money(2.5), "2018年 2.5 - 首次披露", True),                          # a table row: the unit as the profile writes it
    (money(0.2, bound="about"), "净流入约 0.2 亿元", True),
    (money(0.2), "净流入约 0.2 亿元", False),                             # the quote says 约; the figure claims exact
    (money(250, bound="at_least"), "其中有 250 多亿元的可赎回可转换优先股", True),
    (pct("262.1%"), "2020年同比增长262.1%", True),
    (pct("262.7%"), "2020年同比增长262.1%", False),
    (pct("-7.0%"), "公司仍亏损1.28亿元,亏损率为7.0%", True),
    (pct("80%", bound="at_most"), "占比近八成", True),
    (pct("0.1%", bound="at_most"), "收入占比不足 0.1%", True),
    (pct("7.8%"), "收入占比(2025H1) 92.2% 7.8%", True),
    (pct("2.1%"), "研发开支 2.1 亿元", False),                            # a money number is not a percentage
])
def test_number_in_the_quote_matches_the_figure(obs: Any, quote: str, ok: bool) -> None:
    problem = number_problem(obs, quote)
    assert (problem is None) == ok, problem


# --------------------------------------------------------------------------- finding a quote in its source


@pytest.mark.parametrize("quote, text, html, found", [
    ("2022 年至 2024 年,其收入从 13.7 亿元", "招股书显示,2022 年至 2024 年,其收入从 13.7 亿元增到至 55.0 亿元", False, True),
    ("2022年至2024年，其收入从13.7亿元", "招股书显示,2022 年至 2024 年,其收入从 13.7 亿元增到至 55.0 亿元", False, True),  # width, spaces
    ("2022年至2024年，其收入从13.8亿元", "招股书显示,2022 年至 2024 年,其收入从 13.7 亿元增到至 55.0 亿元", False, False),
    ("营收分别为2.55亿、5.06亿", "<p><span>数据显示，微医2018-2020年营收分别为2.55亿、<b>5.06亿</b>和18.32亿</span></p>", True, True),
    ("2018年 2.5 - 首次披露", "年份\n2018年\t2.5\t-\t首次披露\n", False, True),
    ("微医净负债高达 253 亿元…可转换优先股", "微医净负债高达 253 亿元,其中有 250 多亿元的可赎回可转换优先股", False, True),
    ("可转换优先股…微医净负债高达 253 亿元", "微医净负债高达 253 亿元,其中有 250 多亿元的可赎回可转换优先股", False, False),
    ("a loss of  RMB 5m", "They reported a loss of RMB 5m in 2024.", False, True),
    ("&amp;", "a &amp; b", True, False),      # entities are unescaped in an HTML copy
])
def test_quote_occurs_in_the_normalised_text(quote: str, text: str, html: bool, found: bool) -> None:
    assert occurs(normalise(quote), normalise(text, is_html=html)) == found


def test_a_quote_is_short(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    data = make_profile_data({"periods": [{"id": "FY2025", "revenue": {"amount": 1, "unit": "RMB 亿", "source": "m", "quote": "亿" * (QUOTE_MAX_CHARS + 1)}}]})
    with pytest.raises(ValidationError, match=f"at most {QUOTE_MAX_CHARS} characters"):
        Profile.model_validate(data)


# --------------------------------------------------------------------------- riskscore validate


def _mutated_wedoctor(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text = WEDOCTOR.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "wedoctor.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, line


def test_one_digit_changed_fails_naming_file_line_quote_and_figure(tmp_path: Path) -> None:
    path, line = _mutated_wedoctor(tmp_path, "amount: 5.06, unit", "amount: 5.07, unit")
    result = run("validate", path)
    assert result.exit_code == 2
    assert (f'{path}:{line}: periods[FY2019].revenue[0].quote: error: quote "微医2018-2020年营收分别为2.55亿、5.06亿和18.32亿" '
            "does not give the figure 5.07 RMB 亿") in result.stderr
    assert "1 of 1 profile(s) invalid" in result.stderr


def test_plain_validate_checks_numbers_not_the_source_text(tmp_path: Path) -> None:
    path, _ = _mutated_wedoctor(tmp_path, '"2020年同比增长262.1%"', '"2020年增长262.1%"')  # no longer verbatim, number still right
    assert run("validate", path).exit_code == 0


@pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason=f"{SHARED_SOURCES} is absent (CI keeps shared/ beside the clone)")
def test_every_wedoctor_quote_is_in_its_source() -> None:
    """CI: `riskscore validate --sources ../shared/sources companies/wedoctor.yaml`."""
    result = run("validate", "--sources", SHARED_SOURCES, WEDOCTOR)
    assert result.exit_code == 0, result.stderr
    assert "has no quote" not in result.stderr                     # every figure is quoted
    assert f"{WEDOCTOR}: quotes: 80 of 80 figures quoted; 0 quote problem(s)" in result.stderr


@pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason=f"{SHARED_SOURCES} is absent")
def test_a_quote_not_in_its_source_fails(tmp_path: Path) -> None:
    path, line = _mutated_wedoctor(tmp_path, '"2020年同比增长262.1%"', '"2020年增长262.1%"')
    result = run("validate", "--sources", SHARED_SOURCES, path)
    assert result.exit_code == 2
    assert (f'{path}:{line}: periods[FY2020].revenue_growth[0].quote: error: quote "2020年增长262.1%" '
            "not found in niaoge-2022-03-08-wedoctor-ipo-blocked-layoffs.html.txt") in result.stderr


def _profile(tmp_path: Path, make_profile_data: Callable[..., dict[str, Any]], fragment: dict[str, Any]) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(make_profile_data(fragment), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_sources_without_a_stored_copy_and_figures_without_quotes_are_noted(tmp_path: Path, make_profile_data) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "article.txt").write_text("营收为 13.7 亿元。", encoding="utf-8")
    path = _profile(tmp_path, make_profile_data, {
        "sources": [{"id": "m", "title": "A", "publisher": "P", "date": "2026-06", "kind": "media", "file": "article.txt"},
                    {"id": "r", "title": "B", "publisher": "P", "date": "2026-06", "kind": "research"}],
        "periods": [{"id": "FY2025", "revenue": [{"amount": 13.7, "unit": "RMB 亿", "source": "m", "quote": "营收为13.7亿元"},
                                                  {"amount": 13.7, "unit": "RMB 亿", "source": "r", "quote": "revenue RMB 13.7 亿"}],
                     "adjusted_net_profit": {"amount": -1, "unit": "RMB 亿", "source": "m"}}],
    })
    result = run("validate", "--sources", tmp_path / "src", path)
    assert result.exit_code == 0, result.stderr
    assert "sources[r]: note: source 'r' has no `file:`, so its quotes cannot be checked" in result.stderr
    assert "periods[FY2025].adjusted_net_profit[0]: note: the figure -1 RMB 亿 (m) has no quote" in result.stderr
    assert "quotes: 2 of 3 figures quoted; 0 quote problem(s)" in result.stderr


def test_a_missing_stored_copy_is_an_error(tmp_path: Path, make_profile_data) -> None:  # type: ignore[no-untyped-def]
    path = _profile(tmp_path, make_profile_data, {
        "sources": [{"id": "m", "title": "A", "publisher": "P", "date": "2026-06", "kind": "media", "file": "gone.txt"}],
        "periods": [{"id": "FY2025", "revenue": {"amount": 13.7, "unit": "RMB 亿", "source": "m", "quote": "营收为13.7亿元"}}],
    })
    (tmp_path / "src").mkdir()
    result = run("validate", "--sources", tmp_path / "src", path)
    assert result.exit_code == 2
    assert "sources[m].file: error: cannot read" in result.stderr and "gone.txt" in result.stderr


def test_sources_must_be_a_directory(tmp_path: Path) -> None:
    result = run("validate", "--sources", tmp_path / "nope", WEDOCTOR)
    assert result.exit_code == 2 and "not a directory" in result.stderr


# --------------------------------------------------------------------------- the memo links each evidence line to its quotes


def test_memo_links_evidence_to_quotes(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    html = (tmp_path / "wedoctor.html").read_text(encoding="utf-8")
    quote = "2025 年上半年,公司整体毛利率仅 13.4%"
    line = next(x for x in md.splitlines() if x.startswith("- Consolidated gross margin was 13.4% in 2025H1."))
    number = line.rsplit("[^q", 1)[1].rstrip("]")
    assert f"[^q{number}]: “{quote}” [1]" in md                                    # Markdown: a footnote
    assert f'<a class="quote" href="#q-{number}" title="{quote}">“{number}”</a>' in html   # HTML: on hover
    assert f'<li id="q-{number}"><span class="qn">“{number}”</span> <q lang="zh">{quote}</q></li>' in html  # and in the source list


def test_memo_marks_unverified_evidence(tmp_path: Path, make_profile_data) -> None:  # type: ignore[no-untyped-def]
    path = _profile(tmp_path, make_profile_data, {"periods": [{"id": "FY2025", "customers": {"largest_share": {
        "value": "60%", "source": "m", "unverified": True, "quote": "最大客户占比60%"}}}]})
    result = run("memo", path, "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "testco.md").read_text(encoding="utf-8")
    assert "- The largest customer provided 60% of revenue in FY2025. [3] *(unverified)*[^q1]" in md
