"""The Chinese memo (issue 16): the same memo model translated, every visible word in Chinese,
every message id translated, the catalogues well formed, and English untouched."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.pipeline import Pipeline
from riskscore.profile.load import profile_texts
from riskscore.report import format as fmt
from riskscore.report import render as rendering
from riskscore.report.i18n import LOCALE, Message, Text, Translator, Value, catalogue, localize, message_ids, parse_po, read_po

ROOT = Path(__file__).resolve().parent.parent
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
runner = CliRunner()

# Words a Chinese memo may show in Latin letters: names, units, standards, identifiers.
ALLOWED = {
    "IPO", "HKEX", "ASC", "ISA", "ISS", "MSCI", "IFRS", "CSRC", "GL", "AI", "B2G", "RMB", "USD", "HKD", "OFweek", "One",
    "WeDoctor", "Holdings", "Limited", "Qwen", "Choice", "pts", "txt", "html", "toml",
}


def _zh_memo(fmt_: str) -> str:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    assessment = pipeline.assess(profile)
    options = pipeline.memo_options(lang="zh")
    return pipeline.render(profile, assessment, [fmt_], options, source=WEDOCTOR)[fmt_]


def english_left(text: str, is_html: bool) -> list[str]:
    """ASCII words of three letters or more that a reader sees, outside code, identifiers, names and units."""
    if is_html:
        text = re.sub(r"<(style|code|title)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r'<[^>]*lang="en"[^>]*>.*?</span>', " ", text, flags=re.S)  # the English name beside the Chinese
        text = htmllib.unescape(re.sub(r"<[^>]+>", " ", text))
    else:
        text = re.sub(r"`[^`]*`", " ", text)
        text = re.sub(r"\([A-Z][A-Za-z ]+\)", " ", text, count=1)  # the English name beside the Chinese in the title
    text = re.sub(r"\S*[_\[\]/.\-]\S*", lambda m: " " if re.search(r"[_\[\]/]|\w[.-]\w", m.group()) else m.group(), text)  # paths, ids, files
    return sorted({w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED})


def _zh_trend(fmt_: str) -> str:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    return pipeline.render_trend(pipeline.trend(profile, source=WEDOCTOR), [fmt_], "zh", profile, WEDOCTOR)[fmt_]


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_no_english_is_left_in_the_chinese_memo(fmt_: str) -> None:
    text = _zh_memo(fmt_)
    assert english_left(text, fmt_ == "html") == []


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_no_english_is_left_in_the_chinese_trend_memo(fmt_: str) -> None:
    text = _zh_trend(fmt_)
    assert english_left(text, fmt_ == "html") == []


def test_every_message_id_of_the_trend_memo_has_a_chinese_translation() -> None:
    from riskscore.report.memo import build_trend_memo

    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    trend = pipeline.trend(profile, source=WEDOCTOR)
    tr = pipeline.translator("zh", profile, WEDOCTOR)
    ids = message_ids(build_trend_memo(trend))
    assert {"trend.point.filing", "trend.moved", "trend.on_file"} <= ids
    assert sorted(i for i in ids if i not in tr.messages) == []
    for fmt_ in ("md", "html"):
        rendering.render_trend(trend, fmt_, "a4", tr)  # the templates' words and the charts' too
    assert sorted(tr.missing) == []


def test_the_leak_check_finds_english() -> None:
    assert english_left("风险 High risk `periods[2025H1]` HKEX", False) == ["High", "risk"]
    assert english_left('<p>风险 <code>not this</code> but this</p>', True) == ["but", "this"]


def test_every_message_id_of_the_memo_has_a_chinese_translation() -> None:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    memo = pipeline.memo(profile, pipeline.assess(profile))
    tr = pipeline.translator("zh", profile, WEDOCTOR)
    ids = message_ids(memo)
    assert ids, "the memo carries message ids"
    assert sorted(i for i in ids if i not in tr.messages) == []
    for fmt_ in ("md", "html"):
        rendering.render(memo, fmt_, tr)  # the templates' words and the charts' too
    assert sorted(tr.missing) == []


def test_every_message_in_the_source_has_a_chinese_translation() -> None:
    """Static: each Message("id", ...) written in riskscore/ and rubrics/ is in a catalogue, and so is each template word.

    The built-in rubrics are discovered here (which imports their modules), so that their catalogue is found
    when this test runs alone (``-k``) as well as in the full run."""
    messages = catalogue("zh", builtin_rubrics())
    assert "customer_concentration.flag.detail" in messages  # rubrics/locale/zh.po was read
    found = {}
    for path in [*ROOT.joinpath("riskscore").rglob("*.py"), *ROOT.joinpath("rubrics").glob("*.py")]:
        if path.name == "i18n.py":  # its docstrings show example ids
            continue
        for m in re.finditer(r'Message\(\s*"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")):
            found[m.group(1)] = path.name
    env = rendering._environment("md")  # noqa: SLF001 - the environment's extractor lists the templates' words
    for name in ("memo.md.j2", "memo.html.j2", "trend.md.j2", "trend.html.j2"):
        for _, _, msgid in env.extract_translations((rendering.TEMPLATES / name).read_text(encoding="utf-8")):
            if isinstance(msgid, str):
                found[msgid] = name
    missing = sorted(f"{where}: {msgid}" for msgid, where in found.items() if msgid not in messages)
    assert missing == []


def builtin_rubrics() -> list[type]:
    """The built-in rubric classes, found (and their modules imported) as every command finds them."""
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config

    return list(registry.select(load_config(None)))


def test_a_missing_translation_is_recorded_and_the_english_is_used() -> None:
    tr = Translator("zh", {})
    message = Message("plugin.only_english", "Runway of {months} months", months=7)
    assert message.localize(tr) == "Runway of 7 months"
    assert tr.missing == {"plugin.only_english"}


def test_a_plain_string_renders_as_it_is_in_every_language() -> None:
    assert localize(["plain"], Translator("zh", {"plain": "不会用到"})) == ["plain"]


def test_numbers_in_messages_follow_the_language() -> None:
    m = Message("x", "{share:percent} in {period:period}, {claim}, {rise:pp}, {ratio:ratio}",
                share=77.63, period="2025H1", claim=Value.bounded_money_base(2.5e10, "RMB 亿", 0, "at_least"), rise=6.8, ratio=4.549)
    assert m == "77.6% in 2025H1, more than RMB 250 亿, 6.8 pp, 4.55×"
    tr = Translator("zh", {"x": "{period}{share}，{claim}，{rise}，{ratio}"})
    assert m.localize(tr) == "2025年上半年77.6%，超过250亿元，6.8个百分点，4.55倍"


@pytest.mark.parametrize(("given", "expected"), [
    ("FY2024", "2024财年"), ("2025H1", "2025年上半年"), ("2024Q3", "2024年第三季度"), ("2024-9M", "2024年前九个月"),
    ("2025-06-30", "2025年6月30日"), ("2024-01", "2024年1月"), ("2022", "2022年"), ("FY2022→2025H1", "2022财年→2025年上半年"),
])
def test_chinese_periods_and_dates(given: str, expected: str) -> None:
    assert fmt.period(given, lang="zh") == expected
    assert fmt.period(given) == given


@pytest.mark.parametrize(("amount", "unit", "expected"), [
    (13.7, "RMB 亿", "13.70亿元"), (3030, "RMB 万", "3,030.00万元"), (1.2, "USD bn", "1.20十亿美元"), (-9.1, "RMB 亿", "-9.10亿元"),
])
def test_chinese_money(amount: float, unit: str, expected: str) -> None:
    assert fmt.money(amount, unit, lang="zh") == expected


def test_profile_names_use_their_chinese_form() -> None:
    tr = Translator("zh", {}, {"Tianjin (programme)": "天津（项目）"})
    assert Text("Liao Jieyuan", "廖杰远").localize(tr) == "廖杰远"
    assert Text("Tianjin (programme)").localize(tr) == "天津（项目）"
    assert Text("Not translated").localize(tr) == "Not translated"


def test_po_reader() -> None:
    text = 'msgid ""\nmsgstr "header"\n\n#, fuzzy\nmsgid "a"\nmsgstr "甲"\n\nmsgid "b"\nmsgstr ""\n"乙"\n"丙"\n\nmsgid "c"\nmsgstr ""\n'
    assert parse_po(text) == {"b": "乙丙"}
    with pytest.raises(ValueError, match="duplicate"):
        parse_po('msgid "a"\nmsgstr "1"\n\nmsgid "a"\nmsgstr "2"\n')
    with pytest.raises(ValueError, match="unknown keyword"):
        parse_po('msgid_plural "a"\n')


def test_the_catalogues_parse_and_use_the_english_placeholders() -> None:
    for path in (LOCALE / "zh.po", ROOT / "rubrics" / "locale" / "zh.po"):
        entries = read_po(path)
        assert entries
        for msgid, text in entries.items():
            if "%(" in msgid:  # a template word: gettext formats it with %, so the names must match and no other % may appear
                assert sorted(re.findall(r"%\((\w+)\)s", text)) == sorted(re.findall(r"%\((\w+)\)s", msgid)), msgid
                assert "%" not in re.sub(r"%\(\w+\)s", "", text), msgid
            else:  # a message: the same {placeholders} as its English
                assert set(re.findall(r"\{(\w+)", text)) <= set(re.findall(r"\{(\w+)", messages_default(msgid) or text)), msgid


def messages_default(msgid: str) -> str | None:
    """Placeholders are checked against the translation itself when the English is not at hand (template words)."""
    return None


def test_a_stale_profile_translation_is_refused(tmp_path: Path) -> None:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    po = tmp_path / "wedoctor.zh.po"
    po.write_text('msgid "A sentence the profile does not have."\nmsgstr "不存在"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        profile_texts(profile, po)
    assert "is not a text of the profile" in str(err.value) and str(po) in str(err.value)
    assert profile_texts(profile, WEDOCTOR.with_suffix(".zh.po"))


def test_the_chinese_memo_is_byte_identical_across_runs_and_written_beside_the_english(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        result = runner.invoke(app, ["memo", str(WEDOCTOR), "--lang", "zh", "--out", str(out)])
        assert result.exit_code == 0, result.output
    for name in ("wedoctor.zh.md", "wedoctor.zh.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not (tmp_path / "a" / "wedoctor.md").exists()
    html = (tmp_path / "a" / "wedoctor.zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "Noto Sans CJK SC" in html
    assert "band-High" in html  # the band's colour survives its translation (高)


def test_the_chinese_memo_shows_the_same_figures() -> None:
    """Every figure the English memo writes (scores, shares, amounts: ``80.6``, ``77.6%``, ``-40.52``) is in the Chinese one."""
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    en = pipeline.render(profile, pipeline.assess(profile), ["md"], source=WEDOCTOR)["md"]
    zh = _zh_memo("md")
    figures = lambda text: set(re.findall(r"-?\d[\d,]*\.\d+%?", text))  # noqa: E731
    assert len(figures(en)) > 50
    assert sorted(figures(en) - figures(zh)) == []
    for figure in ("80.6", "77.6%", "87.0", "53.2", "91.6", "78.8", "77.4", "100.0"):
        assert figure in zh


def test_bad_lang_is_refused() -> None:
    result = runner.invoke(app, ["memo", str(WEDOCTOR), "--lang", "fr", "--out", "/tmp/never"])
    assert result.exit_code == 2


def test_memo_lang_in_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "riskscore.toml"
    bad.write_text('[memo]\nlang = "fr"\n', encoding="utf-8")
    result = runner.invoke(app, ["memo", str(WEDOCTOR), "--config", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "memo.lang" in result.output + (result.stderr or "")
    good = tmp_path / "zh.toml"
    good.write_text('[memo]\nlang = "zh"\n', encoding="utf-8")
    result = runner.invoke(app, ["memo", str(WEDOCTOR), "--config", str(good), "--format", "md", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0 and (tmp_path / "o" / "wedoctor.zh.md").exists()


def test_english_loads_no_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    import riskscore.report.i18n as i18n

    monkeypatch.setattr(i18n, "read_po", lambda path: pytest.fail(f"English read {path}"))
    assert catalogue("en") == {}
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    pipeline.render(profile, pipeline.assess(profile), ["md"], source=WEDOCTOR)


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_committed_chinese_reports_are_fresh(fmt_: str) -> None:
    """reports/wedoctor.zh.* must be what `riskscore memo companies/wedoctor.yaml --format all --lang zh --out reports` writes today."""
    committed = (ROOT / "reports" / f"wedoctor.zh.{fmt_}").read_text(encoding="utf-8")
    assert _zh_memo(fmt_) == committed, "reports/wedoctor.zh.* is stale: regenerate it and commit the result"


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_committed_chinese_trend_reports_are_fresh(fmt_: str) -> None:
    """reports/wedoctor-trend.zh.* must be what `riskscore trend wedoctor --lang zh --out reports` writes today."""
    committed = (ROOT / "reports" / f"wedoctor-trend.zh.{fmt_}").read_text(encoding="utf-8")
    assert _zh_trend(fmt_) == committed, "reports/wedoctor-trend.zh.* is stale: regenerate it and commit the result"


def test_the_chinese_trend_memo_is_written_beside_the_english(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trend", "wedoctor", "--lang", "zh", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wedoctor-trend.zh.html", "wedoctor-trend.zh.md"]
    html = (tmp_path / "wedoctor-trend.zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "历次递表的上市风险" in html and "首次评分" in html


def test_the_peer_and_sensitivity_sections_are_translated_too() -> None:
    """Peers (ranks, precedents, what the comparison cannot say) and the sensitivity table, in Chinese; the
    calibration line is not translated yet, so the memo is rendered without one."""
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    assessment = pipeline.assess(profile)
    options = pipeline.memo_options(peers="tag:health-tech", sensitivity=True, lang="zh")
    html = pipeline.render(profile, assessment, ["html"], options, source=WEDOCTOR)["html"]
    assert "同业与先例" in html and "敏感性分析" in html and "最接近的先例" in html
    tr = pipeline.translator("zh", profile, WEDOCTOR)
    memo = pipeline.memo(profile, assessment, options, WEDOCTOR)
    for name in memo.peer_names:  # names are the profiles' own (a Chinese name may carry an English note)
        html = html.replace(htmllib.escape(name.localize(tr) if isinstance(name, Text) else name, quote=False), "")
    assert english_left(html, True) == []
    assert sorted(i for i in message_ids(memo) if i not in tr.messages) == []
