"""Hostile and malformed profiles: each is refused with file, line or field, and a reason (exit 2),
by ``riskscore validate`` and by ``riskscore batch`` (where the rest of the batch still succeeds),
never with a traceback; markup in text fields never reaches a memo unescaped."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.profile.load import MAX_BYTES

HOSTILE = Path(__file__).parent / "hostile"
# The minimal valid profile (as_of 2026-06-30; sources p, r, m, m2; 13 lines).
BASE = (Path(__file__).parent / "rubric_cases" / "_base.yaml").read_text(encoding="utf-8")
runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def period(body: str, period_id: str = "FY2025") -> str:
    return f"periods:\n  - id: {period_id}\n    " + body.replace("\n", "\n    ") + "\n"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """"Billion laughs": each level is a list of ``width`` aliases of the level below (9**9 leaves)."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


EVENT = "{id: e1, type: warning_letter, regulator: CSRC, subjects: [company], date: %s, status: open, description: d, sources: %s}"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + bytes(range(256))


@dataclass(frozen=True)
class Case:
    id: str
    content: str | bytes
    reason: str                 # regex the problem's message must contain ("^": start with)
    field: str = ""             # field path, "" for file-level problems
    marker: str | None = None   # text on the offending line; None when no line applies
    line: bool = True           # whether the message carries a line at all

    def expected_line(self) -> int | None:
        if self.marker is None:
            return None
        text = self.content.decode("utf-8", errors="replace") if isinstance(self.content, bytes) else self.content
        return next(i for i, ln in enumerate(text.splitlines(), start=1) if self.marker in ln)


CASES = [
    # YAML itself
    Case("yaml_syntax_error", BASE + "periods: [\n  - id: FY2025\n", r"^YAML: ", marker="- id: FY2025"),
    Case("yaml_unclosed_quote", BASE + 'notes: ["never closed\n', r"^YAML: "),
    Case("yaml_tab_indentation", BASE + "notes:\n\t- x\n", r"^YAML: found character that cannot start any token", marker="\t- x"),
    Case("yaml_python_tag", BASE + "notes: [!!python/object/apply:os.system [echo hi]]\n", r"^YAML: could not determine a constructor", marker="notes:"),
    Case("yaml_two_documents", BASE + "---\nid: other\n", r"^YAML: .*another document", marker="---"),
    Case("alias_bomb", alias_bomb(), r"^YAML: anchors and aliases are not allowed in profiles", marker="a0:"),
    Case("duplicate_top_level_key", BASE + "as_of: 2026-01-01\n", r"^YAML: duplicate key 'as_of' \(first at line 5\)", marker="as_of: 2026-01-01"),
    Case("duplicate_nested_key", BASE + period("revenue: {amount: 1, unit: RMB 亿, source: p}\nrevenue: {amount: 2, unit: RMB 亿, source: p}"),
         r"^YAML: duplicate key 'revenue' \(first at line 16\)", marker="revenue: {amount: 2"),
    # encoding and file shape
    Case("non_utf8_byte_in_name", BASE.encode("utf-8").replace(b"name: Test Co", b"name: Test \xff Co"),
         r"^not UTF-8 text \(byte 0xff at offset \d+\)", marker="name: Test"),
    Case("latin1_file", BASE.replace("Test Co", "Caf\u00e9 Co").replace("亿", "million").encode("latin-1"), r"^not UTF-8 text \(byte 0xe9", marker="name: Caf"),
    Case("utf16_file", BASE.encode("utf-16"), r"^not UTF-8 text \(byte 0xff at offset 0\)", marker=None, line=True),
    Case("png_header", PNG, r"^not UTF-8 text \(byte 0x89 at offset 0\)", line=True),
    Case("nul_byte", BASE + 'notes: ["a\x00b"]\n', r"^YAML: unacceptable character #x0000", line=False),
    Case("empty_file", "", r"^the file is empty$", line=False),
    Case("whitespace_only", "\n\n   \n", r"^the file is empty$", line=False),
    Case("top_level_scalar", "just a string\n", r"^a profile is a mapping of keys; the file holds a str$", line=False),
    Case("top_level_number", "42\n", r"^a profile is a mapping of keys; the file holds a int$", line=False),
    Case("top_level_list", "- id: testco\n- as_of: 2026-06-30\n", r"^a profile is a mapping of keys; the file holds a list$", line=False),
    Case("nested_500_lists", "[" * 500 + "]" * 500 + "\n", r"^a profile is a mapping of keys; the file holds a list$", line=False),
    Case("nested_500_lists_in_notes", BASE + "notes: " + "[" * 500 + "]" * 500 + "\n", r"Input should be a valid string",
         field="notes[0]", marker="notes:"),
    # wrong types
    Case("amount_is_a_word", BASE + period('revenue: {amount: "lots", unit: RMB 亿, source: p}'), r"valid number",
         field="periods[FY2025].revenue[0].amount", marker="revenue:"),
    Case("list_expected", BASE.replace("  name: Test Co\n", "  name: Test Co\n  sources: p\n"), r"valid list",
         field="company.sources", marker="sources: p"),
    Case("periods_is_a_mapping", BASE + "periods: {id: FY2025}\n", r"valid list", field="periods", marker="periods:"),
    Case("as_of_is_text", BASE.replace("as_of: 2026-06-30", "as_of: soon"), r"valid date", field="as_of", marker="as_of:"),
    # ranges
    Case("share_120pct", BASE + period("customers: {largest_share: {value: 120%, source: p}}"), r"within 0%-100%; got 120",
         field="periods[FY2025].customers.largest_share", marker="customers:"),
    Case("share_minus_5pct", BASE + period("segments:\n  - {name: Core, share: {value: -5%, source: p}}"), r"within 0%-100%; got -5",
         field="periods[FY2025].segments[Core].share", marker="- {name: Core"),
    Case("negative_revenue", BASE + period("revenue: {amount: -3, unit: RMB 亿, source: p}"), r"revenue cannot be negative; got -3",
         field="periods[FY2025].revenue", marker="revenue:"),
    Case("nan_amount", BASE + period("revenue: {amount: .nan, unit: RMB 亿, source: p}"), r"finite number",
         field="periods[FY2025].revenue[0].amount", marker="revenue:"),
    Case("inf_amount", BASE + period("cash: {amount: .inf, unit: RMB 亿, source: p}"), r"finite number",
         field="periods[FY2025].cash[0].amount", marker="cash:"),
    Case("minus_inf_amount", BASE + period("operating_cash_flow: {amount: -.inf, unit: RMB 亿, source: p}"), r"finite number",
         field="periods[FY2025].operating_cash_flow[0].amount", marker="operating_cash_flow:"),
    Case("nan_percent_string", BASE + period("gross_margin: {value: 'nan%', source: p}"), r"expected a percentage such as '12\.5%'",
         field="periods[FY2025].gross_margin[0].value", marker="gross_margin:"),
    Case("inf_percent_string", BASE + period("gross_margin: {value: 'inf%', source: p}"), r"expected a percentage such as '12\.5%'",
         field="periods[FY2025].gross_margin[0].value", marker="gross_margin:"),
    Case("nan_bare_percent", BASE + period("gross_margin: {value: .nan, source: p}"), r"percent sign",
         field="periods[FY2025].gross_margin[0].value", marker="gross_margin:"),
    # dates after as_of
    Case("period_after_as_of", BASE + period("revenue: {amount: 3, unit: RMB 亿, source: p}", "2026Q3"),
         r"period 2026Q3 ends 2026-09-30, after as_of 2026-06-30", field="periods[2026Q3].id", marker="- id: 2026Q3"),
    Case("filing_after_as_of", BASE + "filings: [{id: hk, date: 2026-07-01, exchange: HKEX, status: filed, sources: [p]}]\n",
         r"dated 2026-07-01 which is after as_of 2026-06-30", field="filings[hk].date", marker="filings:"),
    Case("event_after_as_of", BASE + "governance_events:\n  - " + EVENT % ("2026-07", "[p]") + "\n",
         r"dated 2026-07 which is after as_of 2026-06-30", field="governance_events[e1].date", marker="- {id: e1"),
    Case("source_after_as_of", BASE + "  - {id: late, title: Late, publisher: X, date: 2026-12, kind: media}\n",
         r"dated 2026-12 which is after as_of 2026-06-30", field="sources[late].date", marker="{id: late"),
    # unknown source ids
    Case("unknown_source_in_figure", BASE + period("revenue: {amount: 3, unit: RMB 亿, source: ghost}"),
         r"unknown source id 'ghost'; declared sources: m, m2, p, r", field="periods[FY2025].revenue[0].source", marker="revenue:"),
    Case("unknown_source_in_company", BASE.replace("  name: Test Co\n", "  name: Test Co\n  sources: [p, ghost]\n"),
         r"unknown source id 'ghost'", field="company.sources[1]", marker="sources: [p, ghost]"),
    Case("unknown_source_in_event", BASE + "governance_events:\n  - " + EVENT % ("2025-01", "[ghost]") + "\n",
         r"unknown source id 'ghost'", field="governance_events[e1].sources[0]", marker="- {id: e1"),
    Case("unknown_source_in_filing", BASE + "filings: [{id: hk, date: 2025-01, exchange: HKEX, status: filed, sources: [ghost]}]\n",
         r"unknown source id 'ghost'", field="filings[hk].sources[0]", marker="filings:"),
]


def rendered_problem(case: Case, path: Path) -> re.Pattern[str]:
    """The problem as printed: ``file:line: field: reason`` (line and field when they apply)."""
    line = case.expected_line()
    where = re.escape(str(path)) + (f":{line}" if line is not None else (r":\d+" if case.line else ""))
    field = re.escape(case.field) + ": " if case.field else ""
    reason = case.reason[1:] if case.reason.startswith("^") else ".*" + case.reason
    return re.compile(f"^{where}: {field}{reason}", re.MULTILINE)


def write_case(directory: Path, case: Case) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{case.id}.yaml"
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    return path


def good_profile(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "aaa-good.yaml"
    path.write_text(BASE.replace("id: testco", "id: good", 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_validate_refuses(case: Case, tmp_path: Path) -> None:
    path = write_case(tmp_path, case)
    result = run("validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert rendered_problem(case, path).search(result.stderr), result.stderr
    assert "1 of 1 profile(s) invalid" in result.stderr


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_batch_refuses_and_the_rest_succeeds(case: Case, tmp_path: Path) -> None:
    path = write_case(tmp_path / "in", case)
    good = good_profile(tmp_path / "in")
    out = tmp_path / "out"
    result = run("batch", good, path, "--out", out, "--quiet")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["good.html", "good.json", "good.md", "summary.csv", "summary.json"]
    pattern = rendered_problem(case, path)
    assert pattern.search(result.stderr.replace("invalid: ", "")), result.stderr
    rows = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(r["file"], r["status"]) for r in rows] == [(str(good), "ok"), (str(path), "invalid")]
    assert pattern.search(rows[1]["error"]), rows[1]["error"]


# --------------------------------------------------------------------------- alias bomb: refused quickly


@pytest.mark.parametrize("command", ["validate", "batch"])
def test_alias_bomb_is_refused_quickly(tmp_path: Path, command: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BASE + "notes: *a9\n" + alias_bomb().replace("a0:", "x0:", 1), encoding="utf-8")
    args = ["validate", path] if command == "validate" else ["batch", path, "--out", tmp_path / "out", "--quiet"]
    started = time.perf_counter()
    result = run(*args)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2, result.output
    assert "anchors and aliases are not allowed" in result.stderr or "YAML: " in result.stderr
    assert elapsed < 5, f"took {elapsed:.1f} s"  # a behaviour bound: never expanded


# --------------------------------------------------------------------------- size limits


def sized(size: int) -> str:
    """A valid profile padded with a comment to exactly ``size`` bytes."""
    pad = size - len(BASE.encode("utf-8")) - 3
    assert pad >= 0
    text = BASE + "# " + "x" * pad + "\n"
    assert len(text.encode("utf-8")) == size
    return text


def test_batch_max_bytes_refuses_a_file_just_over(tmp_path: Path) -> None:
    good = good_profile(tmp_path / "in")
    limit = 1000
    assert good.stat().st_size < limit
    big = tmp_path / "in" / "big.yaml"
    big.write_text(sized(limit + 1), encoding="utf-8")
    exact = tmp_path / "in" / "exact.yaml"
    exact.write_text(sized(limit).replace("id: testco", "id: exact", 1), encoding="utf-8")
    out = tmp_path / "out"
    result = run("batch", good, big, exact, "--out", out, "--max-bytes", limit, "--quiet")
    assert result.exit_code == 2, result.output
    assert f"invalid: {big}: file is 1,001 bytes; profiles are limited to 1,000" in result.stderr
    assert {p.name for p in out.iterdir()} >= {"good.md", "exact.md"}  # at the limit is fine


def test_batch_max_bytes_from_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "limits.toml"
    cfg.write_text("[limits]\nmax_profile_bytes = 1000\n", encoding="utf-8")
    good = good_profile(tmp_path / "in")
    big = tmp_path / "in" / "big.yaml"
    big.write_text(sized(1500), encoding="utf-8")
    result = run("batch", good, big, "--out", tmp_path / "out", "--config", cfg, "--quiet")
    assert result.exit_code == 2, result.output
    assert f"invalid: {big}: file is 1,500 bytes; profiles are limited to 1,000" in result.stderr
    assert (tmp_path / "out" / "good.md").is_file()


def test_validate_refuses_a_file_over_the_default_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(sized(MAX_BYTES + 1), encoding="utf-8")
    result = run("validate", big)
    assert result.exit_code == 2
    assert f"{big}: file is {MAX_BYTES + 1:,} bytes; profiles are limited to {MAX_BYTES:,}" in result.stderr


def test_score_honours_limits_from_discovered_config(tmp_path: Path) -> None:
    (tmp_path / "riskscore.toml").write_text("[limits]\nmax_profile_bytes = 1000\n", encoding="utf-8")
    big = tmp_path / "big.yaml"
    big.write_text(sized(1500), encoding="utf-8")
    result = run("score", big)
    assert result.exit_code == 2, result.output
    assert "profiles are limited to 1,000" in result.stderr


def test_validate_honours_limits_from_discovered_config(tmp_path: Path) -> None:
    """validate and score agree on the size limit (validate once ignored limits.max_profile_bytes)."""
    (tmp_path / "riskscore.toml").write_text("[limits]\nmax_profile_bytes = 1000\n", encoding="utf-8")
    big = tmp_path / "big.yaml"
    big.write_text(sized(1500), encoding="utf-8")
    result = run("validate", big)
    assert result.exit_code == 2, result.output
    assert f"{big}: file is 1,500 bytes; profiles are limited to 1,000" in result.stderr


def test_validate_limit_from_config_option(tmp_path: Path) -> None:
    cfg = tmp_path / "limits.toml"
    cfg.write_text("[limits]\nmax_profile_bytes = 1000\n", encoding="utf-8")
    small, big = tmp_path / "small.yaml", tmp_path / "big.yaml"
    small.write_text(sized(1000), encoding="utf-8")
    big.write_text(sized(1001), encoding="utf-8")
    result = run("validate", small, big, "--config", cfg)
    assert result.exit_code == 2, result.output
    assert f"ok: {small}" in result.stderr
    assert f"{big}: file is 1,001 bytes; profiles are limited to 1,000" in result.stderr
    assert "1 of 2 profile(s) invalid" in result.stderr


def test_validate_max_bytes_option(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(sized(1001), encoding="utf-8")
    result = run("validate", big, "--max-bytes", 1000)
    assert result.exit_code == 2, result.output
    assert f"{big}: file is 1,001 bytes; profiles are limited to 1,000" in result.stderr
    assert run("validate", big, "--max-bytes", 1001).exit_code == 0


# --------------------------------------------------------------------------- structures that once crashed the loader


def nested_mappings(depth: int) -> str:
    return BASE + "notes: " + "{a: " * depth + "1" + "}" * depth + "\n"


# (content, the problem as printed after the file name); each once raised RecursionError or TypeError.
CRASHERS = [
    pytest.param(nested_mappings(500), ":14: notes: Input should be a valid list", id="nested_500_mappings"),
    pytest.param(BASE + "deep:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(400)) + "  " * 401 + "1\n",
                 ":14: deep: unknown key", id="nested_400_block_mappings"),
    pytest.param(BASE + "? [a, b]\n: 1\n", ":14: YAML: a key must be a plain value, not a list or mapping", id="unhashable_list_key"),
    pytest.param(BASE + "notes: [{[1]: x}]\n", ":14: YAML: a key must be a plain value, not a list or mapping", id="unhashable_key_in_flow_mapping"),
    pytest.param(BASE + "notes: [{{a: 1}: x}]\n", ":14: YAML: a key must be a plain value, not a list or mapping", id="mapping_as_key"),
]


@pytest.mark.parametrize("content, problem", CRASHERS)
def test_loader_crashers_are_invalid_input(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "crash.yaml"
    path.write_text(content, encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.exception!r}"
    assert "Traceback" not in result.output
    assert f"{path}{problem}" in result.stderr
    good = good_profile(tmp_path / "in")
    batch_run = run("batch", good, path, "--out", tmp_path / "out", "--quiet")
    assert batch_run.exit_code == 2, batch_run.stderr[-500:]
    assert f"invalid: {path}{problem}" in batch_run.stderr
    assert (tmp_path / "out" / "good.md").is_file()


def test_nested_mappings_within_the_recursion_budget_are_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(nested_mappings(100), encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2, result.output
    assert f"{path}:14: notes: Input should be a valid list" in result.stderr


@pytest.mark.parametrize("value", ["'nan%'", "'inf%'", "lots", "'77.6'"])
def test_bad_percent_string_message_names_the_value(tmp_path: Path, value: str) -> None:
    path = tmp_path / "pct.yaml"
    path.write_text(BASE + period(f"gross_margin: {{value: {value}, source: p}}"), encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2
    assert "{value" not in result.stderr
    shown = value.strip("'")
    assert f"got '{shown}'" in result.stderr


# --------------------------------------------------------------------------- markup in text fields

HTML_EVERYWHERE = HOSTILE / "html_everywhere.yaml"
# Payloads (named after their field) that the memo shows; each must appear, escaped.
SHOWN = ["company_name", "company_name_zh", "sector", "domicile", "filing_note", "observation_note_2", "segment_name",
         "segment_name_2", "counterparty", "person_name", "regulator", "event_description", "technology_name",
         "technology_provider", "technology_alternative", "technology_description", "instrument_name", "holder_class",
         "instrument_description", "source_title", "source_publisher", "source_url", "source_note", "source_title_2", "profile_note"]


def assert_no_raw_markup(html: str, md: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<img[^>]*onerror", html, re.IGNORECASE)
    assert "<img" not in html.lower()
    assert "<script" not in md.lower()
    assert "<img" not in md.lower()


def test_markup_in_every_text_field_is_escaped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("batch", HTML_EVERYWHERE, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    html = (out / "html-everywhere.html").read_text(encoding="utf-8")
    md = (out / "html-everywhere.md").read_text(encoding="utf-8")
    assert_no_raw_markup(html, md)
    for name in SHOWN:
        assert f"alert(&#39;{name}&#39;)" in html, name  # shown, as text
        assert f"alert('{name}')" in md, name
    assert "&lt;script&gt;alert(&#39;company_name&#39;)&lt;/script&gt;" in html
    data = json.loads((out / "html-everywhere.json").read_text(encoding="utf-8"))
    assert data["company"] == "Evil <script>alert('company_name')</script> Co"  # JSON keeps the text verbatim
    memo_run = run("memo", HTML_EVERYWHERE, "--out", tmp_path / "memo")
    assert memo_run.exit_code == 0, memo_run.output
    assert (tmp_path / "memo" / "html-everywhere.html").read_text(encoding="utf-8") == html
    assert (tmp_path / "memo" / "html-everywhere.md").read_text(encoding="utf-8") == md


MD_LEAKS = [
    pytest.param("  - {id: f, title: F, publisher: P, date: 2026-01, kind: research, file: \"<script>alert('file')</script>\"}\n",
                 id="source_file"),
    pytest.param("  - {id: f, title: F, publisher: P, date: 2026-01, kind: research, file: \"x`<script>alert('file')</script>`\"}\n",
                 id="source_file_with_backticks"),
    pytest.param(period("revenue: {amount: 10, unit: RMB 亿, source: p}\nsegments:\n"
                        "  - name: \"x`<script>alert('segment')</script>`\"\n    share: [{value: 80%, source: p}, {value: 70%, source: m}]"),
                 id="segment_name_in_conflict_path"),
]


@pytest.mark.parametrize("extra", MD_LEAKS)
def test_markdown_memo_escapes_paths_and_file_names(tmp_path: Path, extra: str) -> None:
    """Source file names and figure paths (which embed segment names) were once put in Markdown code spans
    unescaped: a backtick closed the span and a raw <script> reached the .md."""
    path = tmp_path / "leak.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    out = tmp_path / "out"
    result = run("memo", path, "--out", out)
    assert result.exit_code == 0, result.output
    html = (out / "testco.html").read_text(encoding="utf-8")
    md = (out / "testco.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html  # the text is shown
    assert_no_raw_markup(html, md)


def test_non_string_key_is_named_and_located(tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    text = BASE + "true: x\n"
    path.write_text(text, encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2
    assert f"{path}:14: " in result.stderr, result.stderr
    assert "[1]" not in result.stderr
