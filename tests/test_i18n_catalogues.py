"""Id-keyed catalogues stay in step with the English in code (issue 16): each entry records the English
it was translated from (``#. en: "…"``), and a change to that English in code is caught — by the test
over the built-in rubrics and the example plugin, by the contract kit, and by ``riskscore rubrics catalogue``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.report import catalogues
from riskscore.report.i18n import LOCALE, parse_po, parse_po_entries, read_po

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "rubrics" / "locale" / "zh.po"
EXAMPLE = ROOT / "examples" / "riskscore-going-concern" / "src" / "riskscore_going_concern" / "locale" / "zh.po"
runner = CliRunner()


@pytest.mark.parametrize("po", [BUILTIN, EXAMPLE], ids=["builtin", "example-plugin"])
def test_every_entry_records_the_english_it_translates_and_it_is_still_the_english_in_code(po: Path) -> None:
    """Fails, naming the id, the catalogue's file and line and both texts, when a message's English changed
    after it was translated (or an entry does not say which English it translates, or a message has none)."""
    report = catalogues.check(po, elsewhere=read_po(LOCALE / "zh.po"))
    assert [str(f) for f in report.findings] == []
    recorded = [e for e in report.entries if e.msgid and e.en is not None]
    assert len(recorded) == len([e for e in report.entries if e.msgid]) > 40


@pytest.mark.parametrize("rubric", ["customer_concentration", "governance", "losses", "margin", "redemption_overhang", "technology_dependence"])
def test_the_source_reader_gives_each_builtin_rubrics_title_and_docs_as_the_loaded_class_does(rubric: str) -> None:
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config

    cls = next(c for c in registry.select(load_config(None)) if c.id == rubric)
    english, conflicts, _ = catalogues.english_in_code(catalogues.sources_of(BUILTIN))
    loaded = catalogues.rubric_overrides(cls)
    assert {k: english[k].english for k in loaded} == loaded
    assert conflicts == {}


# ------------------------------------------------------------------------------ a plugin of our own

RUBRIC = '''
from riskscore.rubric import Message, Rubric, RubricParams, RubricResult, DataGap, Value

_LEVEL = {"low": "low", "very_high": "very high"}


class Runway(Rubric):
    """How long cash lasts.

    Months of cash at the latest burn rate.
    """

    id = "runway"
    title = "Cash runway"
    version = "1.0"
    default_weight = 5
    contract_version = 1

    class Params(RubricParams):
        pass

    def score(self, profile, params):
        key = "low"
        level = Message(f"runway.level.{key}", _LEVEL[key])
        gap = Message("runway.gap", __GAP__)
        kind = Value.term("runway.kind", "cash_and_deposits")
        return RubricResult(data_gaps=[DataGap(field="periods", reason=gap)], narrative=Message("runway.narrative", "Level {level}, {kind}.", level=level, kind=kind))
'''

CATALOGUE = '''# Runway in Chinese.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

#. en: "Cash runway"
msgid "runway.title"
msgstr "现金可支撑期"

#. en: "How long cash lasts."
msgid "runway.description"
msgstr "现金可支撑多久。"

#. en: "Months of cash at the latest burn rate."
msgid "runway.method"
msgstr "按最近的消耗速度计算的现金月数。"

#. en: "No cash figure is on file."
msgid "runway.gap"
msgstr "未收录现金数据。"

#. en: "Level {level}, {kind}."
msgid "runway.narrative"
msgstr "水平{level}，{kind}。"

#. en: "low"
msgid "runway.level.low"
msgstr "低"

#. en: "very high"
msgid "runway.level.very_high"
msgstr "非常高"

#. en: "cash and deposits"
msgid "runway.kind.cash_and_deposits"
msgstr "现金及存款"
'''


def _plugin(tmp_path: Path, gap: str = "No cash figure is on file.", catalogue: str = CATALOGUE) -> Path:
    package = tmp_path / "runway_plugin"
    (package / "locale").mkdir(parents=True)
    (package / "rubric.py").write_text(RUBRIC.replace("__GAP__", repr(gap)), encoding="utf-8")
    (package / "locale" / "zh.po").write_text(catalogue, encoding="utf-8")
    return package / "locale" / "zh.po"


def test_a_catalogue_in_step_with_its_code_has_no_findings(tmp_path: Path) -> None:
    report = catalogues.check(_plugin(tmp_path))
    assert report.findings == []
    assert report.english["runway.level.very_high"].english == "very high"  # an id built from a module-level dict


def test_a_changed_english_is_stale_naming_the_id_the_file_and_line_and_both_texts(tmp_path: Path) -> None:
    po = _plugin(tmp_path, gap="No cash balance is on file for any period.")
    [finding] = catalogues.check(po, shown="zh.po").findings
    assert finding.kind == "stale" and finding.line == 18
    assert str(finding).startswith("zh.po:18: runway.gap: stale: the English in code (")
    assert str(finding).endswith('rubric.py:25) is "No cash balance is on file for any period.", but the translation was made from '
                                 '"No cash figure is on file."; retranslate it, then record the new English')


@pytest.mark.parametrize(("edit", "kind", "msgid"), [
    (lambda t: t.replace('#. en: "Cash runway"\n', ""), "unrecorded", "runway.title"),
    (lambda t: t.replace('#. en: "Months of cash at the latest burn rate."\nmsgid "runway.method"\nmsgstr "按最近的消耗速度计算的现金月数。"\n\n', ""),
     "missing", "runway.method"),
    (lambda t: t + '\n#. en: "gone"\nmsgid "runway.gone"\nmsgstr "已删除"\n', "unknown", "runway.gone"),
    (lambda t: t.replace('#. en: "very high"', '#. en: "extreme"'), "stale", "runway.level.very_high"),
    (lambda t: t.replace('#. en: "cash and deposits"', '#. en: "cash"'), "stale", "runway.kind.cash_and_deposits"),  # a Value.term word
])
def test_each_kind_of_finding(tmp_path: Path, edit, kind: str, msgid: str) -> None:  # type: ignore[no-untyped-def]
    findings = catalogues.check(_plugin(tmp_path, catalogue=edit(CATALOGUE))).findings
    assert [(f.kind, f.msgid) for f in findings] == [(kind, msgid)]


def test_the_same_id_with_two_englishes_in_code_is_a_conflict(tmp_path: Path) -> None:
    po = _plugin(tmp_path)
    (po.parent.parent / "other.py").write_text('from riskscore.rubric import Message\nX = Message("runway.gap", "Something else.")\n', encoding="utf-8")
    [finding] = catalogues.check(po).findings
    assert finding.kind == "conflict" and '"Something else."' in str(finding) and '"No cash figure is on file."' in str(finding)


def test_update_records_the_english_marks_a_stale_entry_fuzzy_and_adds_the_missing(tmp_path: Path) -> None:
    text = CATALOGUE.replace('#. en: "Cash runway"\n', "").replace('#. en: "Months of cash at the latest burn rate."\nmsgid "runway.method"\n'
                                                                    'msgstr "按最近的消耗速度计算的现金月数。"\n\n', "")
    po = _plugin(tmp_path, gap="No cash balance is on file.", catalogue=text)
    updated = catalogues.update(catalogues.check(po))
    assert '#. en: "Cash runway"\nmsgid "runway.title"' in updated
    assert '#. en: "No cash balance is on file."\n#, fuzzy\nmsgid "runway.gap"\nmsgstr "未收录现金数据。"' in updated
    assert updated.endswith('\n\n#. en: "Months of cash at the latest burn rate."\nmsgid "runway.method"\nmsgstr ""\n')
    translations = parse_po(updated)
    assert "runway.gap" not in translations and "runway.method" not in translations  # set aside until a translator looks
    assert translations["runway.title"] == "现金可支撑期"
    po.write_text(updated, encoding="utf-8")
    assert sorted((f.kind, f.msgid) for f in catalogues.check(po).findings) == [("fuzzy", "runway.gap"), ("untranslated", "runway.method")]


def test_the_po_reader_keeps_the_recorded_english_and_where_each_entry_starts() -> None:
    entries = parse_po_entries('msgid ""\nmsgstr "h"\n\n# note\n#. en: "Line\\none \\"q\\""\n#, fuzzy\nmsgid "a.b"\nmsgstr "甲"\n')
    assert [(e.msgid, e.line, e.en, e.en_line, e.fuzzy) for e in entries] == [("", 1, None, None, False), ("a.b", 4, 'Line\none "q"', 5, True)]
    with pytest.raises(ValueError, match=r"<po>:2: a second English comment"):
        parse_po_entries('#. en: "a"\n#. en: "b"\n#. en: "c"\nmsgid "x"\nmsgstr "y"\n')
    with pytest.raises(ValueError, match="not a quoted string"):
        parse_po_entries('#. en: unquoted\nmsgid "x"\nmsgstr "y"\n')


# ------------------------------------------------------------------------------ contract kit


def _load(po: Path, name: str) -> type:
    spec = importlib.util.spec_from_file_location(name, po.parent.parent / "rubric.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.Runway  # type: ignore[no-any-return]


def test_the_contract_kit_fails_a_plugin_whose_catalogue_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscore.testing import catalogue_failures, contract_failures

    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # the plugin modules loaded here leave with the test
    fresh = _load(_plugin(tmp_path / "a"), "runway_fresh")
    assert catalogue_failures(fresh) == []
    stale = _load(_plugin(tmp_path / "b", gap="No cash balance is on file."), "runway_stale")
    failures = catalogue_failures(stale)
    assert len(failures) == 1 and "runway.gap: stale" in failures[0] and "zh.po:18" in failures[0]
    assert '"No cash balance is on file."' in failures[0] and '"No cash figure is on file."' in failures[0]
    assert any("runway.gap: stale" in f for f in contract_failures(stale))


def test_the_contract_kit_fails_a_catalogue_that_does_not_record_its_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscore.testing import catalogue_failures

    monkeypatch.setattr(sys, "modules", dict(sys.modules))
    bare = _load(_plugin(tmp_path, catalogue="\n".join(line for line in CATALOGUE.splitlines() if not line.startswith("#. en:"))), "runway_bare")
    failures = catalogue_failures(bare)
    assert len(failures) == 8 and all(": unrecorded: " in f for f in failures)


# ------------------------------------------------------------------------------ the command


def test_rubrics_catalogue_lists_what_is_wrong_and_update_records_it(tmp_path: Path) -> None:
    po = _plugin(tmp_path, gap="No cash balance is on file.", catalogue=CATALOGUE.replace('#. en: "Cash runway"\n', ""))
    result = runner.invoke(app, ["rubrics", "catalogue", str(po)])
    assert result.exit_code == 1
    assert [line.split(": ")[1:3] for line in result.stdout.splitlines()] == [["runway.title", "unrecorded"], ["runway.gap", "stale"]]
    assert "1 stale, 1 unrecorded" in result.stderr
    result = runner.invoke(app, ["rubrics", "catalogue", str(po), "--update"])
    assert result.exit_code == 1 and "runway.gap: fuzzy: the English changed" in result.stdout  # a translator still has to look
    po.write_text(po.read_text(encoding="utf-8").replace("#, fuzzy\n", "").replace("未收录现金数据", "未收录现金余额"), encoding="utf-8")
    result = runner.invoke(app, ["rubrics", "catalogue", str(po)])
    assert result.exit_code == 0 and result.stdout == "" and "up to date with the code" in result.stderr


@pytest.mark.parametrize("po", [BUILTIN, EXAMPLE], ids=["builtin", "example-plugin"])
def test_rubrics_catalogue_finds_the_committed_catalogues_up_to_date(po: Path) -> None:
    result = runner.invoke(app, ["rubrics", "catalogue", str(po)])
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(("content", "name", "expected"), [
    (None, "zh.po", "not a .po catalogue file"),
    ('msgid "a"\nmsgstr "b"\n', "zh.txt", "not a .po catalogue file"),
    ('msgid_plural "a"\n', "zh.po", "unknown keyword"),
])
def test_rubrics_catalogue_refuses_bad_input_naming_the_file(tmp_path: Path, content: str | None, name: str, expected: str) -> None:
    path = tmp_path / "locale" / name
    if content is not None:
        path.parent.mkdir()
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["rubrics", "catalogue", str(path)])
    assert result.exit_code == 2 and str(path) in result.stderr and expected in result.stderr and "Traceback" not in result.output


def test_the_example_catalogue_is_not_written_by_a_check() -> None:
    before = EXAMPLE.read_bytes()
    runner.invoke(app, ["rubrics", "catalogue", str(EXAMPLE)])
    assert EXAMPLE.read_bytes() == before


def test_riskscores_own_id_keyed_entries_record_the_english_in_code_too() -> None:
    """riskscore/locale/zh.po mixes template words keyed by their English (a changed English finds no translation, and the
    missing-translation tests fail) with message ids, which record their English like a rubric's. Ids the reader cannot
    follow (built at run time: bands, filing stages, …) are left as unknown; every other one must be up to date."""
    files = catalogues.sources_of(LOCALE / "zh.po") + sorted((ROOT / "rubrics").glob("*.py"))  # rubrics use the shared vocabularies
    report = catalogues.check(LOCALE / "zh.po", files=files, elsewhere=read_po(BUILTIN))
    assert [str(f) for f in report.findings if f.kind != "unknown"] == []
    unknown = {f.msgid.split(".")[0] for f in report.findings}
    assert unknown <= {"band", "engine", "filing_status", "memo", "peers", "quality", "stage"}
    assert sum(1 for e in report.entries if e.en is not None) > 250
