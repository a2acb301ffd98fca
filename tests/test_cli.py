"""The CLI through typer's runner: outputs, exit codes, error messages, no partial files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.contract import Rubric, RubricResult

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_score_prints_a_table() -> None:
    result = run("score", WEDOCTOR)
    assert result.exit_code == 0, result.output
    assert "WeDoctor Holdings Limited" in result.stdout
    assert "Customer concentration" in result.stdout
    assert "Adjusted score" in result.stdout


def test_score_json_is_only_json_on_stdout() -> None:
    result = run("score", WEDOCTOR, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["profile_id"] == "wedoctor"
    assert {r["id"] for r in data["rubrics"]} == {
        "customer_concentration", "margin", "losses", "governance", "technology_dependence", "redemption_overhang"}
    assert data["adjusted_band"] in ("Low", "Moderate", "Elevated", "High", "Severe")


def test_score_json_is_byte_identical_across_runs() -> None:
    assert run("score", WEDOCTOR, "--json").stdout == run("score", WEDOCTOR, "--json").stdout


def test_memo_writes_both_formats(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--format", "all", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wedoctor.html", "wedoctor.md"]


@pytest.mark.parametrize("fmt,names", [("md", ["wedoctor.md"]), ("html", ["wedoctor.html"])])
def test_memo_single_format(tmp_path: Path, fmt: str, names: list[str]) -> None:
    assert run("memo", WEDOCTOR, "--format", fmt, "--out", tmp_path).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_memo_rejects_unknown_format(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--format", "pdf", "--out", tmp_path)
    assert result.exit_code == 2
    assert not any(tmp_path.iterdir())


def _bad_profile(tmp_path: Path) -> Path:
    text = WEDOCTOR.read_text(encoding="utf-8").replace("largest_share: {value: 77.6%", "largest_share: {value: 0.776", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_profile_exit_2_names_file_field_and_line_without_traceback(tmp_path: Path) -> None:
    bad = _bad_profile(tmp_path)
    out = tmp_path / "out"
    result = run("memo", bad, "--out", out)
    assert result.exit_code == 2
    assert str(bad) in result.stderr
    assert "periods[2025H1].customers.largest_share" in result.stderr
    assert "77.6%" in result.stderr  # the hint at the intended value
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_missing_profile_file_is_invalid_input(tmp_path: Path) -> None:
    result = run("score", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_validate_reports_each_profile(tmp_path: Path) -> None:
    bad = _bad_profile(tmp_path)
    result = run("validate", WEDOCTOR, bad)
    assert result.exit_code == 2
    assert f"ok: {WEDOCTOR}" in result.stderr
    assert "1 of 2 profile(s) invalid" in result.stderr
    assert run("validate", WEDOCTOR).exit_code == 0


def test_rubrics_lists_builtins_with_origin_and_detail() -> None:
    result = run("rubrics")
    assert result.exit_code == 0
    for rid in ("customer_concentration", "margin", "losses", "governance", "technology_dependence", "redemption_overhang"):
        assert rid in result.stdout
    assert "riskscore 0.1.0" in result.stdout
    detail = run("rubrics", "--detail")
    assert "largest_share_grid" in detail.stdout and "ASC 280" in detail.stdout


def test_schema_profile_and_result_are_json_schemas() -> None:
    profile_schema = json.loads(run("schema", "profile").stdout)
    assert profile_schema["additionalProperties"] is False
    assert "periods" in profile_schema["properties"]
    result_schema = json.loads(run("schema", "result").stdout)
    assert "adjusted_score" in result_schema["properties"]


def test_config_changes_weights(tmp_path: Path) -> None:
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text("[weights]\ncustomer_concentration = 0\n", encoding="utf-8")
    data = json.loads(run("score", WEDOCTOR, "--json", "--config", cfg).stdout)
    cc = next(r for r in data["rubrics"] if r["id"] == "customer_concentration")
    assert cc["weight"] == 0


@pytest.mark.parametrize("content,needle", [
    ("[weights]\nno_such_rubric = 3\n", "weights.no_such_rubric"),
    ("[rubrics.margin]\ncore_wieght = 0.5\n", "rubrics.margin.core_wieght"),
    ("[engine]\nmissing_data = \"guess\"\n", "engine.missing_data"),
    ("not toml = = =", "not valid TOML"),
])
def test_bad_config_is_invalid_input(tmp_path: Path, content: str, needle: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content, encoding="utf-8")
    result = run("score", WEDOCTOR, "--config", cfg)
    assert result.exit_code == 2, result.output
    assert str(cfg) in result.stderr and needle in result.stderr
    assert "Traceback" not in result.output


class _Exploding(Rubric):
    """A rubric that always fails, to check fault isolation.

    It raises on purpose.
    """

    id = "exploding"
    title = "Exploding"
    version = "0.1"
    default_weight = 5

    def score(self, profile, params) -> RubricResult:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


def test_failing_rubric_is_reported_others_still_score(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry.discover
    monkeypatch.setattr(registry, "discover", lambda directories=(): real(directories) + [registry.LoadedRubric(_Exploding, "exploding", "tests")])
    result = run("memo", WEDOCTOR, "--out", tmp_path)
    assert result.exit_code == 1
    assert "rubric exploding was not scored: RuntimeError: boom" in result.stderr
    md = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    assert "Not scored:** RuntimeError: boom" in md
    assert "Customer concentration: 100.0" in md


def test_python_dash_m_works() -> None:
    proc = subprocess.run([sys.executable, "-m", "riskscore", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "score" in proc.stdout


@pytest.mark.parametrize(("command", "banned"), [
    (["score", str(WEDOCTOR), "--json"], {"pandas", "sklearn", "jinja2", "rich"}),
    (["validate", str(WEDOCTOR)], {"pandas", "sklearn", "jinja2", "rich"}),
    # The table needs rich's console and table, not its syntax highlighting or Markdown.
    (["score", str(WEDOCTOR)], {"pandas", "sklearn", "jinja2", "pygments", "markdown_it"}),
])
def test_scoring_path_stays_light(command: list[str], banned: set[str]) -> None:
    """pandas, scikit-learn and Jinja2 are not imported by commands that do not need them."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", *command], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & banned, imported & banned


def test_memo_without_peers_imports_neither_pandas_nor_sklearn(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", "memo", str(WEDOCTOR), "--out", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"pandas", "sklearn", "numpy", "scipy"}, imported & {"pandas", "sklearn", "numpy", "scipy"}


# --------------------------------------------------------------------------- the terminal

COMMANDS = [[], ["score"], ["memo"], ["validate"], ["batch"], ["trend"], ["calibrate"], ["whatif"], ["schema"], ["schema", "profile"],
            ["schema", "result"], ["rubrics"], ["rubrics", "new"], ["config"], ["config", "show"]]
ESC = "\x1b["


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == "riskscore 0.1.0\n"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "riskscore")
def test_help_has_an_example_no_python_types_and_fits_100_columns(command: list[str]) -> None:
    short = runner.invoke(app, [*command, "-h"], env={"COLUMNS": "100"})
    assert short.exit_code == 0, short.output
    assert short.stdout == runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"}).stdout  # -h is --help
    text = short.stdout
    assert "Example" in text
    assert not re.search(r"<(list\[|path|str|int|float|bool)", text), text  # metavars, not type placeholders
    assert max(len(line) for line in text.splitlines()) <= 100


def test_command_descriptions_are_not_cut_off_at_100_columns() -> None:
    text = runner.invoke(app, ["-h"], env={"COLUMNS": "100"}).stdout
    listed = text[text.index("Commands:"):]
    assert "..." not in listed
    assert re.search(r"^  validate\s+Check profiles: schema, references and, with --strict, the figures\.$", listed, re.M)


def test_shell_completion_is_offered() -> None:
    text = run("--help").stdout
    assert "--install-completion" in text and "--show-completion" in text


def test_score_table_colours_bands_on_a_terminal_and_honours_no_color() -> None:
    plain = runner.invoke(app, ["score", str(WEDOCTOR)])  # not a terminal: no escape codes
    assert plain.exit_code == 0 and ESC not in plain.stdout
    coloured = runner.invoke(app, ["score", str(WEDOCTOR)], env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert f"{ESC}1;31mSevere" in coloured.stdout and f"{ESC}31mHigh" in coloured.stdout
    no_color = runner.invoke(app, ["score", str(WEDOCTOR)], env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", no_color.stdout)  # no colour at all; bold may stay
    assert re.sub(r"\x1b\[[0-9;]*m", "", no_color.stdout) == plain.stdout


@pytest.mark.parametrize("columns", [60, 80, 100, 140])
def test_score_table_wraps_to_the_terminal_width_between_words(columns: int) -> None:
    result = runner.invoke(app, ["score", str(WEDOCTOR)], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert all(line == line.rstrip() for line in lines)  # no padding to the width
    # Red-flag lines break between words, with a hanging indent: the words survive whole.
    flags = "\n".join(lines[lines.index("Red flags") + 1:])
    items = [" ".join(item.split()) for item in re.split(r"^- ", flags, flags=re.M) if item.strip()]
    assert items[0] == "Majority reliance on one customer: The largest customer provided 77.6% of revenue in 2025H1 (threshold 50%)."
    assert all(line.startswith(("- ", "  ")) for line in lines[lines.index("Red flags") + 1:] if line and not line.startswith("Source"))


@pytest.mark.parametrize("columns", [60, 100])
def test_rubrics_detail_wraps_to_the_terminal_width(columns: int) -> None:
    result = runner.invoke(app, ["rubrics", "--detail"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert max(len(line) for line in lines) > columns - 15  # and uses it
    assert "as-\n" not in result.stdout and "as- of" not in " ".join(result.stdout.split())  # never broken inside a word


def test_rubrics_json() -> None:
    result = run("rubrics", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(r.id for r in registry.select(load_config(None)))
    cc = next(r for r in rows if r["id"] == "customer_concentration")
    assert cc["status"] == "enabled" and cc["version"] == "1.0" and cc["weight"] == 20 and cc["origin"].startswith("riskscore ")
    assert "ASC 280" in cc["method"] and cc["parameters"]["largest_share_grid"][1] == [10, 20]
    trace = json.loads(run("rubrics", "--trace", "--json").stdout)
    assert {e["status"] for e in trace} == {"loaded"} and len(trace) == len(rows)


def test_validate_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEDOCTOR.read_text(encoding="utf-8").replace("as_of:", "as_off:", 1), encoding="utf-8")
    result = run("validate", "--strict", "--json", WEDOCTOR, bad)
    assert result.exit_code == 2
    assert result.stderr == ""  # everything is in the JSON
    data = json.loads(result.stdout)
    assert data["counts"] == {"ok": 1, "invalid": 1, "warnings": 0} and data["strict"] is True
    good, broken = data["profiles"]
    assert good["file"] == str(WEDOCTOR) and good["status"] == "ok" and good["problems"] == []
    segments = next(f for f in good["findings"] if f["field"] == "periods[FY2022].segments")
    # a warning the profile lists under reviewed_findings: kept, with the author's note, and not failing --strict
    assert segments["severity"] == "reviewed" and segments["check"] == "segments" and isinstance(segments["line"], int)
    assert WEDOCTOR.read_text(encoding="utf-8").splitlines()[segments["line"] - 1].strip().startswith("segments:")
    assert broken["status"] == "invalid" and broken["findings"] == []
    assert {(p["field"], p["message"]) for p in broken["problems"]} >= {("as_off", "unknown key (check the spelling; `riskscore schema profile` lists the keys)")}
    assert all(isinstance(p["line"], int) for p in broken["problems"] if p["field"] == "as_off")
    plain = json.loads(run("validate", "--json", WEDOCTOR).stdout)
    assert plain["counts"] == {"ok": 1, "invalid": 0, "warnings": 0} and plain["profiles"][0]["findings"] == []


def test_quiet_silences_progress_not_errors(tmp_path: Path) -> None:
    valid = run("validate", "-q", WEDOCTOR)
    assert valid.exit_code == 0 and valid.stderr == ""
    memo = run("memo", WEDOCTOR, "--format", "md", "--out", tmp_path, "--quiet")
    assert memo.exit_code == 0 and memo.stderr == "" and (tmp_path / "wedoctor.md").is_file()
    missing = run("validate", "-q", tmp_path / "nope.yaml")
    assert missing.exit_code == 2 and "nope.yaml: no such file" in missing.stderr


def test_batch_quiet_prints_no_summary_line_and_ends_with_the_scores(tmp_path: Path) -> None:
    loud = run("batch", WEDOCTOR, "--out", tmp_path / "a", "--format", "json")
    assert loud.exit_code == 0, loud.output
    assert "1 of 1 profile(s) written" in loud.stderr
    assert loud.stdout == "Scores: 1 of 1 profile(s) scored — Severe 1; adjusted 80.6–80.6, median 80.6\n"
    quiet = run("batch", WEDOCTOR, "--out", tmp_path / "b", "--format", "json", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout


def test_trend_ends_with_a_one_line_score_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trend", str(WEDOCTOR), "--out", str(tmp_path), "--format", "md", "-q"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert re.fullmatch(r"WeDoctor Holdings Limited: \d+\.\d \w+ \(\d{4}-\d\d-\d\d\)( → \d+\.\d \w+ \(\d{4}-\d\d-\d\d\))+ → 80\.6 Severe \(2026-06-30\)\n",
                        result.stdout), result.stdout


def test_whatif_json_lists_red_flags_raised_and_cleared() -> None:
    lowered = json.loads(run("whatif", WEDOCTOR, "--set", "periods[2025H1].customers.largest_share=40%", "--json").stdout)
    assert [f["id"] for f in lowered["red_flags_cleared"]] == ["largest_customer_majority"] and lowered["red_flags_raised"] == []
    unchanged = run("whatif", WEDOCTOR, "--set", "periods[2025H1].customers.largest_share=80%")
    assert "Red flags: none raised or cleared." in unchanged.stdout


# --------------------------------------------------------------------------- the result JSON for reporting tools

def test_result_schema_has_schema_and_id_and_says_the_share_scale() -> None:
    schema = json.loads(run("schema", "result").stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:riskscore:schema:result:3"
    assert "percent, 0-100" in schema["description"]
    assert schema["$defs"]["ObservationReport"]["properties"]["value"]["type"] == "number"
    profile = json.loads(run("schema", "profile").stdout)
    assert profile["$schema"] == schema["$schema"] and profile["$id"] == "urn:riskscore:schema:profile"


def test_result_numbers_are_numbers_with_units_shares_in_percent_dates_apart_from_periods() -> None:
    data = json.loads(run("score", WEDOCTOR, "--json").stdout)
    assert data["result_schema_version"] == 3
    revenue = next(c for c in data["conflicts"] if c["field"] == "periods[FY2019].revenue")
    assert {k: revenue["chosen"][k] for k in ("value", "unit", "bound", "display")} == {"value": 5.06, "unit": "RMB 亿", "bound": "exact", "display": "RMB 5.06 亿"}
    growth = next(c for c in data["conflicts"] if c["field"] == "periods[FY2020].revenue_growth")
    assert (growth["chosen"]["value"], growth["chosen"]["unit"]) == (262.1, "%")  # quoted from the 2021 prospectus: it outranks the compilation
    # One scale for shares: percent, like the percentage metrics beside them.
    cc = next(r for r in data["rubrics"] if r["id"] == "customer_concentration")
    assert (cc["weight"], cc["coverage"], cc["result"]["coverage"]) == (20.0, 70.0, 70.0)
    assert data["coverage"] == 94.0
    assert next(m for m in cc["result"]["metrics"] if m["id"] == "largest_customer_share")["value"] == 77.6
    assert sum(r["weight"] for r in data["rubrics"]) == pytest.approx(100, abs=0.01)
    # A governance event's date is a date, not a period.
    governance = next(r for r in data["rubrics"] if r["id"] == "governance")
    for metric in governance["result"]["metrics"]:
        assert metric["period"] is None
        if not metric["id"].startswith("dividend_while_loss_making"):  # the dividend's date is not disclosed
            assert re.fullmatch(r"\d{4}-\d\d(-\d\d)?", metric["date"])
    losses = next(r for r in data["rubrics"] if r["id"] == "losses")
    assert all(m["date"] is None and m["period"] for m in losses["result"]["metrics"] if m["value"] is not None)
