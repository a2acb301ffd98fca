"""The Chinese memo (issue 16): the same memo model translated, every visible word in Chinese,
every message id translated, the catalogues well formed, and English untouched."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path
from typing import Any

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
    "WeDoctor", "Holdings", "Limited", "Qwen", "Choice", "pts", "txt", "html", "toml", "CSV", "AUC", "Brier",
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
    text = re.sub(r"“[^”]*”", " ", text)  # a quote is shown as its source wrote it (a catalogue may not put English in quotes: see below)
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
    assert english_left("来源：“As the source wrote it”；but not this", False) == ["but", "not", "this"]


def test_no_translation_puts_english_inside_quotation_marks() -> None:
    """The leak check passes quoted text (a quote is an original); so no catalogue text may quote English words of its own."""
    for path in (LOCALE / "zh.po", ROOT / "rubrics" / "locale" / "zh.po", WEDOCTOR.with_suffix(".zh.po")):
        quoted = {msgid: q for msgid, text in read_po(path).items() for q in re.findall(r"“([^”]*)”", text)
                  if re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", q))}
        assert quoted == {}, path


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
    """Peers (ranks, precedents, what the comparison cannot say) and the sensitivity table, in Chinese."""
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


# ------------------------------------------------------------------------------ calibration in Chinese

CALIBRATION = ROOT / "reports" / "calibration.json"


def _zh_peer_memo(fmt_: str, calibration: Path = CALIBRATION) -> tuple[str, Any, Translator]:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    assessment = pipeline.assess(profile)
    options = pipeline.memo_options(peers="tag:health-tech", calibration=calibration, lang="zh")
    text = pipeline.render(profile, assessment, [fmt_], options, source=WEDOCTOR)[fmt_]
    return text, pipeline.memo(profile, assessment, options, WEDOCTOR), pipeline.translator("zh", profile, WEDOCTOR)


def _without_peer_names(text: str, memo: Any, tr: Translator, is_html: bool) -> str:
    for name in memo.peer_names:  # names are the profiles' own (a Chinese name may carry an English note)
        shown = name.localize(tr) if isinstance(name, Text) else name
        text = text.replace(htmllib.escape(shown, quote=False) if is_html else shown, "")
    return text


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_no_english_is_left_in_the_chinese_peer_memo_with_calibration(fmt_: str) -> None:
    text, memo, tr = _zh_peer_memo(fmt_)
    assert "基准失败率：70.8%，并非针对本公司的概率。校准模型未显示出预测能力" in text
    assert "标签规则：案例为具有最终状态的递表" in text and "12个月内" in text and "（内置默认值）：一份港交所数据摘要显示" in text
    assert english_left(_without_peer_names(text, memo, tr, fmt_ == "html"), fmt_ == "html") == []
    assert sorted(i for i in message_ids(memo) if i not in tr.messages) == []
    assert {"calibration.no_skill", "calibration.rule.window", "calibration.prior.auto_outside", "calibration.method.grouped"} <= message_ids(memo)


def test_the_english_calibration_line_is_unchanged_by_the_messages() -> None:
    """The sentence reads the same as before it was made translatable (reports/peers/wedoctor.md holds it too)."""
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    assessment = pipeline.assess(profile)
    memo = pipeline.memo(profile, assessment, pipeline.memo_options(calibration=CALIBRATION), WEDOCTOR)
    assert memo.calibration == (
        "Base rate of failure: 70.8%, not a probability for this company. The calibration model has no demonstrated skill: grouped "
        "10-fold cross-validation by company (23 companies), no company on both sides of a fold: skill score +0.03 ± 0.06 against always "
        "predicting the base rate (Brier 0.22 ± 0.02 vs 0.229), AUC 0.55 ± 0.09; best single rubric (losses): skill +0.03 ± 0.06, AUC "
        "0.52 ± 0.08. Rates: market base rate 70.8% (the packaged default): A summary of HKEX figures reports 154 applications and 45 "
        "listings in January–September 2024; 1 − 45/154 ≈ 70.8% of filings did not list; history base rate 35.6% (16 failed of 45 cases "
        "from 23 companies); the market rate is the prior in force (auto: the market rate 70.8% lies outside the history's 95% interval "
        "(23.2%–50.2%), so the history is not representative of the market). Label rule: a case is a filing with a final status; failed = "
        "it lapsed, was withdrawn or was rejected and the company did not list on a later filing within 12 months of it; not failed = the "
        "filing listed, or the company listed on a later filing within 12 months; a failed-status filing whose window had not run out by "
        "the profile's as_of date is left out as undetermined.")
    assert memo.calibration in (ROOT / "reports" / "peers" / "wedoctor.md").read_text(encoding="utf-8")


def test_the_packaged_market_source_has_a_translation_keyed_by_its_english() -> None:
    """riskscore's own default is ours to translate; when its English changes, this fails until the catalogue follows."""
    from riskscore.scoring.config import load_config

    source = load_config(None).calibration.market_failure_rate_source
    assert source and source.rstrip(".") in read_po(LOCALE / "zh.po")


def _calibration_file(tmp_path: Path, **changes: Any) -> Path:
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    for key, value in changes.items():
        where, _, name = key.rpartition("__")
        (data[where] if where else data)[name] = value
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_users_market_source_is_shown_as_a_quoted_original_in_chinese(tmp_path: Path) -> None:
    path = _calibration_file(tmp_path, base_rate__market_source="Exchange statistics, our own count of 2023 filings.",
                             base_rate__market_origin="file (riskscore.toml)", base_rate__prior_setting="market")
    text, memo, tr = _zh_peer_memo("md", path)
    assert "市场基准率70.8%：“Exchange statistics, our own count of 2023 filings”；" in text  # quoted, its full stop left to the sentence
    assert "以市场基准率为现行先验（由配置指定为市场基准率）" in text and "内置默认值" not in text
    assert english_left(_without_peer_names(text, memo, tr, False), False) == []
    assert "“Exchange statistics, our own count of 2023 filings”" in localize(memo.calibration, tr)
    assert tr.missing == set()  # a user's own text is not a translation the catalogue misses


def test_a_version_2_calibration_file_is_still_read_and_says_the_same(tmp_path: Path) -> None:
    from riskscore.analysis.calibration import load_calibration

    v2 = _calibration_file(tmp_path, calibration_version=2)
    data = json.loads(v2.read_text(encoding="utf-8"))
    del data["label"], data["validation"]["scheme"], data["base_rate"]["prior_setting"]
    v2.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    loaded, current = load_calibration(v2), load_calibration(CALIBRATION)
    assert (loaded["label"], loaded["validation"]["scheme"], loaded["base_rate"]["prior_setting"]) == (
        current["label"], current["validation"]["scheme"], current["base_rate"]["prior_setting"])
    assert _zh_peer_memo("md", v2)[0] == _zh_peer_memo("md")[0]


def test_a_version_2_file_with_a_rule_of_its_own_shows_it_quoted(tmp_path: Path) -> None:
    from riskscore.analysis.calibration import load_calibration

    path = _calibration_file(tmp_path, calibration_version=2, label_rule="hand-labelled by the committee")
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["label"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_calibration(path)["label"] == {"source": "text", "text": "hand-labelled by the committee"}
    assert "标签规则：“hand-labelled by the committee”。" in _zh_peer_memo("md", path)[0]


@pytest.mark.parametrize(("changes", "field"), [
    ({"label": {"source": "profiles"}}, "label"),
    ({"label": {"source": "profiles", "relist_window_months": -1}}, "label"),
    ({"validation__scheme": {"kind": "grouped", "folds": 10}}, "validation.scheme"),
    ({"base_rate__prior_setting": "sometimes"}, "base_rate.prior_setting"),
])
def test_a_calibration_file_without_the_sentences_fields_is_refused_naming_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    path = _calibration_file(tmp_path, **changes)
    result = runner.invoke(app, ["memo", str(WEDOCTOR), "--calibration", str(path), "--lang", "zh", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"{path}: {field}: expected" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def _skilled(tmp_path: Path) -> Path:
    """A calibration file whose model has shown skill (the committed one has not), so the trend gives a probability at each point."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    data["validation"]["demonstrated_skill"] = True
    data["validation"]["model"]["skill"] = {"value": 0.2957, "sd": 0.08, "resamples": 200}
    path = tmp_path / "skilled.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("skilled", [False, True], ids=["base-rate", "probabilities"])
@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_the_chinese_trend_memo_with_calibration_has_no_english_left(tmp_path: Path, fmt_: str, skilled: bool) -> None:
    from riskscore.report.memo import build_trend_memo

    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    trend = pipeline.trend(profile, pipeline.memo_options(calibration=_skilled(tmp_path) if skilled else CALIBRATION), WEDOCTOR)
    text = pipeline.render_trend(trend, [fmt_], "zh", profile, WEDOCTOR)[fmt_]
    if skilled:
        assert "在各时点已知信息下上市失败的估计概率：2021年4月1日：" in text and "。最新时点：上市失败的估计概率：" in text
        assert "Estimated probability" in str(trend.calibration)  # the English is the same model's
    else:
        assert "基准失败率：70.8%" in text
    assert english_left(text, fmt_ == "html") == []
    tr = pipeline.translator("zh", profile, WEDOCTOR)
    assert sorted(i for i in message_ids(build_trend_memo(trend)) if i not in tr.messages) == []


@pytest.mark.parametrize("fmt_", ["md", "html"])
def test_committed_chinese_peer_memo_is_fresh(fmt_: str) -> None:
    """reports/peers/wedoctor.zh.* is `riskscore memo companies/wedoctor.yaml --peers tag:health-tech
    --calibration reports/calibration.json --lang zh --out reports/peers`, beside the English one."""
    committed = (ROOT / "reports" / "peers" / f"wedoctor.zh.{fmt_}").read_text(encoding="utf-8")
    assert _zh_peer_memo(fmt_)[0] == committed, "reports/peers/wedoctor.zh.* is stale: rerun the peer memo command with --lang zh"
