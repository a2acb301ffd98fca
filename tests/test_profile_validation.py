"""Bad input through ``load_profile``: every problem names the file, the field path, a reason and the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from riskscore.errors import InputError
from riskscore.profile.load import load_profile

REPO = Path(__file__).resolve().parents[1]
# The minimal valid profile shared with the rubric cases (as_of 2026-06-30; sources p, r, m, m2).
BASE = (Path(__file__).parent / "rubric_cases" / "_base.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str | bytes, name: str = "profile.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    return hits[occurrence - 1]


def load_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_profile(path)
    return info.value


def period(body: str, period_id: str = "FY2025") -> str:
    return f"periods:\n  - id: {period_id}\n    {body}\n"


EVENT = "{id: e1, type: warning_letter, regulator: CSRC, subjects: [company], date: %s, status: open, description: d, sources: [p]}"

# (id, text appended to the base profile, field path, reason (regex), marker of the offending line)
FIELD_CASES = [
    ("unknown_key", period("revenu: {amount: 1, unit: RMB 亿, source: p}"),
     "periods[FY2025].revenu", r"unknown key", "revenu:"),
    ("unknown_top_level_key", "revenue: {amount: 1, unit: RMB 亿, source: p}\n",
     "revenue", r"unknown key", "revenue:"),
    ("missing_required_key", "governance_events:\n  - {id: e1, type: warning_letter, subjects: [company], date: 2025-01, status: open, description: d, sources: [p]}\n",
     "governance_events[e1].regulator", r"required key is missing", "- {id: e1"),
    ("bare_fraction_for_percentage", period("gross_margin: {value: 0.776, source: p}"),
     "periods[FY2025].gross_margin[0].value", r"percent sign.*did you mean '77\.6%'", "gross_margin:"),
    ("one_observation_block_mapping", "periods:\n  - id: FY2025\n    gross_margin:\n      value: 0.776\n      source: p\n",
     "periods[FY2025].gross_margin[0].value", r"percent sign", "value: 0.776"),
    ("share_over_100pct", period("customers: {largest_share: {value: 120%, source: p}}"),
     "periods[FY2025].customers.largest_share", r"within 0%-100%; got 120", "customers:"),
    ("stake_over_100pct", "people: [{id: f, name: F, roles: [founder], stake: {value: 101%, source: p}, sources: [p]}]\n",
     "people[f].stake", r"stake must lie within 0%-100%", "people:"),
    ("margin_over_100pct", period("gross_margin: {value: 130%, source: p}"),
     "periods[FY2025].gross_margin", r"margin cannot exceed 100%", "gross_margin:"),
    ("negative_revenue", period("revenue: {amount: -3, unit: RMB 亿, source: p}"),
     "periods[FY2025].revenue", r"revenue cannot be negative; got -3", "revenue:"),
    ("nan_amount", period("revenue: {amount: .nan, unit: RMB 亿, source: p}"),
     "periods[FY2025].revenue[0].amount", r"finite number", "revenue:"),
    ("inf_amount", period("operating_cash_flow: {amount: -.inf, unit: RMB 亿, source: p}"),
     "periods[FY2025].operating_cash_flow[0].amount", r"finite number", "operating_cash_flow:"),
    ("unknown_source_id", period("revenue: {amount: 3, unit: RMB 亿, source: nope}"),
     "periods[FY2025].revenue[0].source", r"unknown source id 'nope'; declared sources: m, m2, p, r", "revenue:"),
    ("unknown_source_id_in_list", "filings: [{id: hkex-2025, date: 2025-01, exchange: HKEX, status: filed, sources: [p, ghost]}]\n",
     "filings[hkex-2025].sources[1]", r"unknown source id 'ghost'", "filings:"),
    ("unknown_filing_id", period("revenue: {amount: 3, unit: RMB 亿, source: p, filing: hkex-2099}"),
     "periods[FY2025].revenue[0].filing", r"unknown filing id 'hkex-2099'", "revenue:"),
    ("unknown_person_id", "governance_events:\n  - {id: e1, type: warning_letter, regulator: R, subjects: [founder], persons: [ghost], date: 2025-01, status: open, description: d, sources: [p]}\n",
     "governance_events[e1].persons[0]", r"unknown person id 'ghost'", "- {id: e1"),
    ("period_ends_after_as_of", period("revenue: {amount: 3, unit: RMB 亿, source: p}", "2026Q3"),
     "periods[2026Q3].id", r"period 2026Q3 ends 2026-09-30, after as_of 2026-06-30", "- id: 2026Q3"),
    ("event_dated_after_as_of", "governance_events:\n  - " + EVENT % "2026-07-01" + "\n",
     "governance_events[e1].date", r"dated 2026-07-01 which is after as_of 2026-06-30", "- {id: e1"),
    ("partial_event_date_after_as_of", "governance_events:\n  - " + EVENT % "2026-07" + "\n",
     "governance_events[e1].date", r"dated 2026-07 which is after as_of", "- {id: e1"),
    ("unknown_currency", period("revenue: {amount: 3, unit: XYZ 亿, source: p}"),
     "periods[FY2025].revenue[0].unit", r"unknown currency 'XYZ' in unit 'XYZ 亿'", "revenue:"),
    ("unknown_scale", period("revenue: {amount: 3, unit: RMB lakh, source: p}"),
     "periods[FY2025].revenue[0].unit", r"unknown scale 'lakh' in unit 'RMB lakh'", "revenue:"),
    ("bad_period_id", period("revenue: {amount: 3, unit: RMB 亿, source: p}", "2025H3"),
     "periods[2025H3].id", r"match pattern", "- id: 2025H3"),
    ("invalid_calendar_date_quoted", "governance_events:\n  - " + EVENT % "'2025-02-30'" + "\n",
     "governance_events[e1].date", r"not a calendar date: '2025-02-30'", "- {id: e1"),
    ("deadline_without_date", "capital_structure:\n  instruments:\n    - {name: Pref, kind: redeemable_preferred, amount: {amount: 1, unit: RMB 亿, source: p}, trigger: deadline, converts_at_listing: false}\n",
     "capital_structure.instruments[Pref].trigger_date", r"deadline trigger needs trigger_date", "- {name: Pref"),
]


@pytest.mark.parametrize("extra, field, reason, marker", [pytest.param(*c[1:], id=c[0]) for c in FIELD_CASES])
def test_field_problem(tmp_path: Path, extra: str, field: str, reason: str, marker: str) -> None:
    text = BASE + extra
    path = write(tmp_path, text)
    err = load_error(path)
    assert err.file == str(path)
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert problem.field == field
    assert re.search(reason, problem.message), problem.message
    assert problem.line == line_of(text, marker)
    assert str(err).startswith(f"{path}:{problem.line}: {field}: ")


def test_missing_top_level_key(tmp_path: Path) -> None:
    text = BASE.replace("as_of: 2026-06-30\n", "")
    err = load_error(write(tmp_path, text))
    assert [(p.field, p.message) for p in err.problems] == [("as_of", "required key is missing")]
    assert "as_of: required key is missing" in str(err)


def test_duplicate_period_ids_point_at_the_second(tmp_path: Path) -> None:
    text = BASE + "periods:\n  - id: FY2025\n  - id: FY2025\n"
    err = load_error(write(tmp_path, text))
    [problem] = err.problems
    assert problem.field == "periods[FY2025].id"
    assert "duplicate id 'FY2025' (also at periods[0])" in problem.message
    assert problem.line == line_of(text, "- id: FY2025", occurrence=2)


def test_duplicate_source_ids(tmp_path: Path) -> None:
    text = BASE + "  - {id: p, title: Again, publisher: X, date: 2026, kind: media}\n"
    err = load_error(write(tmp_path, text))
    assert [p.field for p in err.problems] == ["sources[p].id"]
    assert "duplicate source id 'p'" in str(err)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = BASE + period("revenue: {amount: 3, unit: RMB 亿, source: nope}\n    cash: {amount: .nan, unit: RMB 亿, source: p}\n    colour: red")
    err = load_error(write(tmp_path, text))
    fields = {p.field for p in err.problems}
    assert {"periods[FY2025].cash[0].amount", "periods[FY2025].colour"} <= fields
    assert all(p.line is not None for p in err.problems)


# --------------------------------------------------------------------------- file-level problems

# (id, file content, reason (regex), marker of the line or None when no line applies)
FILE_CASES = [
    ("duplicate_yaml_key", BASE + "as_of: 2026-01-01\n", r"duplicate key 'as_of' \(first at line 5\)", "as_of: 2026-01-01"),
    ("yaml_syntax_error", BASE + "periods: [\n  - id: FY2025\n", r"^YAML: ", "- id: FY2025"),
    ("bad_indentation", BASE + "company:\n  name: X\n   sector: Y\n", r"^YAML: ", "sector: Y"),
    ("anchors_and_aliases", BASE + "notes:\n  - &note hello\n  - *note\n", r"anchors and aliases are not allowed", "&note"),
    ("empty_file", "", r"the file is empty", None),
    ("comments_only", "# nothing here\n", r"the file is empty", None),
    ("top_level_list", "- id: testco\n- as_of: 2026-06-30\n", r"a profile is a mapping of keys; the file holds a list", None),
    ("top_level_scalar", "just a string\n", r"a profile is a mapping of keys; the file holds a str", None),
]


@pytest.mark.parametrize("text, reason, marker", [pytest.param(*c[1:], id=c[0]) for c in FILE_CASES])
def test_file_problem(tmp_path: Path, text: str, reason: str, marker: str | None) -> None:
    path = write(tmp_path, text)
    err = load_error(path)
    assert err.file == str(path)
    [problem] = err.problems
    assert re.search(reason, problem.message), problem.message
    if marker is None:
        assert problem.line is None
        assert str(err) == f"{path}: {problem.message}"
    else:
        assert problem.line == line_of(text, marker)
        assert str(err) == f"{path}:{problem.line}: {problem.message}"


@pytest.mark.parametrize("extra, marker", [
    pytest.param("governance_events:\n  - " + EVENT % "2025-02-30" + "\n", "- {id: e1", id="event_date_feb_30"),
    pytest.param(period("revenue: {amount: 3, unit: RMB 亿, source: p}") + "filings: [{id: hk, date: 2025-13-01, exchange: HKEX, status: filed, sources: [p]}]\n",
                 "filings:", id="filing_date_month_13"),
])
def test_unquoted_impossible_date(tmp_path: Path, extra: str, marker: str) -> None:
    text = BASE + extra
    path = write(tmp_path, text)
    err = load_error(path)
    assert err.file == str(path)
    [problem] = err.problems
    assert problem.line == line_of(text, marker)
    assert re.search(r"date|out of range|must be in", problem.message)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    raw = BASE.encode("utf-8") + b"notes: ['caf\xe9']\n"
    path = write(tmp_path, raw)
    err = load_error(path)
    assert err.file == str(path)
    [problem] = err.problems
    assert "not UTF-8 text (byte 0xe9" in problem.message
    assert problem.line == BASE.count("\n") + 1


def test_gbk_encoded_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("Test Co", "微医").encode("gbk", errors="strict"))
    assert "not UTF-8" in str(load_error(path))


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    err = load_error(path)
    assert err.file == str(path)
    assert str(err) == f"{path}: no such file"


def test_directory_passed(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    assert err.file == str(tmp_path)
    assert "is a directory" in str(err)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    from riskscore.profile.load import MAX_BYTES

    path = write(tmp_path, BASE + "# " + "x" * MAX_BYTES + "\n")
    err = load_error(path)
    assert err.file == str(path)
    assert f"profiles are limited to {MAX_BYTES:,}" in str(err)


# --------------------------------------------------------------------------- valid profiles


def test_minimal_profile_loads(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, BASE))
    assert profile.id == "testco"
    assert str(profile.presentation_unit) == "RMB 亿"
    assert profile.governance_events is None and profile.capital_structure is None


def test_accepts_a_str_path(tmp_path: Path) -> None:
    assert load_profile(str(write(tmp_path, BASE))).id == "testco"


def test_period_ending_on_as_of_is_fine(tmp_path: Path) -> None:
    text = BASE + period("revenue: {amount: 3, unit: RMB 亿, source: p}", "2026H1")
    profile = load_profile(write(tmp_path, text))
    assert profile.period("2026H1").end_date() == profile.as_of


@pytest.mark.parametrize("date", ["2026-06-30", "2026-06", "2026"])
def test_event_dated_on_as_of_is_fine(tmp_path: Path, date: str) -> None:
    text = BASE + "governance_events:\n  - " + EVENT % date + "\n"
    [event] = load_profile(write(tmp_path, text)).governance_events
    assert str(event.date) == date


def test_non_december_fiscal_year(tmp_path: Path) -> None:
    """With a March year end, FY2026 ends 2026-03-31, before as_of; with December it would end after it."""
    text = BASE + "fiscal_year_end_month: 3\n" + period("revenue: {amount: 3, unit: RMB 亿, source: p}", "FY2026")
    profile = load_profile(write(tmp_path, text))
    assert profile.periods[0].end_date(profile.fiscal_year_end_month).isoformat() == "2026-03-31"
    err = load_error(write(tmp_path, text.replace("fiscal_year_end_month: 3\n", "")))
    assert "period FY2026 ends 2026-12-31, after as_of 2026-06-30" in str(err)


def test_wedoctor_profile_loads() -> None:
    profile = load_profile(REPO / "companies" / "wedoctor.yaml")
    assert profile.id == "wedoctor"
    assert profile.as_of.isoformat() == "2026-06-30"
    assert [p.id for p in profile.annual_periods()] == ["FY2018", "FY2019", "FY2020", "FY2021", "FY2022", "FY2023", "FY2024"]
    assert len(profile.period("FY2022").revenue) == 3
    assert profile.capital_structure is not None and profile.capital_structure.instruments[0].amount.root[0].bound == "at_least"
