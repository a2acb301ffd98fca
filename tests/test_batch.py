"""Batch runs (``riskscore batch`` and :func:`riskscore.api.batch`): one bad profile never stops
a batch, outputs are atomic, deterministic and idempotent, and nothing escapes ``--out``."""

from __future__ import annotations

import csv
import json
import multiprocessing
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from riskscore import api, batch
from riskscore.cli.app import app
from riskscore.profile.load import expand_inputs
from riskscore.profile.model import Profile
from riskscore.scoring import registry
from riskscore.scoring.contract import Rubric, RubricResult

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
GOLDEN = ROOT / "tests" / "golden" / "minimal.yaml"
BASE = (ROOT / "tests" / "rubric_cases" / "_base.yaml").read_text(encoding="utf-8")
BUILTIN_RUBRICS = ["customer_concentration", "governance", "losses", "margin", "redemption_overhang", "technology_dependence"]
SUMMARY_COLUMNS = ["file", "id", "company", "as_of", "status", "error", "adjusted_score", "adjusted_band",
                   "indicated_score", "indicated_band", "red_flags", "coverage", "confidence", "score_low", "score_high",
                   "methodology_version", "result_schema_version"]
PROGRESS_LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (\S+) (.+)$")

runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No riskscore.toml of the developer's is discovered: the packaged defaults apply."""
    monkeypatch.chdir(tmp_path)


def base_profile(profile_id: str = "testco", company: str = "Test Co", extra: str = "") -> str:
    return BASE.replace("id: testco", f"id: {profile_id}", 1).replace("name: Test Co", f"name: {company}", 1) + extra


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def copy(source: Path, dest: Path) -> Path:
    return write(dest, source.read_bytes())


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in ``directory`` (hidden ones included), name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def temporaries(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


# Bad profiles: (file name, text, field path, reason (regex), marker of the offending line)
BAD_PERCENT = ("bad_percent.yaml", base_profile("badpct", extra="periods:\n  - id: FY2025\n    gross_margin: {value: 0.776, source: p}\n"),
               "periods[FY2025].gross_margin[0].value", r"percent sign.*did you mean '77\.6%'", "gross_margin:")
BAD_REVENUE = ("bad_revenue.yaml", base_profile("badrev", extra="periods:\n  - id: FY2025\n    revenue: {amount: -3, unit: RMB 亿, source: p}\n"),
               "periods[FY2025].revenue", r"revenue cannot be negative; got -3", "revenue:")
BAD_SOURCE = ("bad_source.yaml", base_profile("badsrc", extra="periods:\n  - id: FY2025\n    revenue: {amount: 3, unit: RMB 亿, source: ghost}\n"),
              "periods[FY2025].revenue[0].source", r"unknown source id 'ghost'", "revenue:")
BAD_CASES = [BAD_PERCENT, BAD_REVENUE, BAD_SOURCE]


def line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if marker in line)


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    """Three valid profiles (wedoctor, golden-co, testco), three invalid ones and a non-YAML file."""
    d = tmp_path / "in"
    d.mkdir()
    copy(WEDOCTOR, d / "wedoctor.yaml")
    copy(GOLDEN, d / "golden.yaml")
    write(d / "base.yml", base_profile())
    for name, text, *_ in BAD_CASES:
        write(d / name, text)
    write(d / "readme.txt", "not a profile, and not picked up from a directory\n")
    return d


GOOD_IDS = ["golden-co", "testco", "wedoctor"]


def expected_files(ids: list[str], formats: tuple[str, ...] = ("md", "html", "json")) -> list[str]:
    return sorted([f"{i}.{f}" for i in ids for f in formats] + ["summary.csv", "summary.json"])


# --------------------------------------------------------------------------- good and bad profiles


def test_directory_of_good_and_bad_profiles(mixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out)
    assert result.exit_code == 2, result.output  # only invalid inputs failed
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == expected_files(GOOD_IDS)
    # Each valid profile's outputs are what a single run gives.
    for pid, source in (("wedoctor", WEDOCTOR), ("golden-co", GOLDEN)):
        for fmt in ("md", "html", "json"):
            assert (out / f"{pid}.{fmt}").read_text(encoding="utf-8") == api.render(source, fmt), (pid, fmt)
    assert (out / "testco.md").read_text(encoding="utf-8").startswith("# IPO listing-risk memo: Test Co")
    # Every invalid one is listed on stderr with file, line, field and reason.
    for name, text, field, reason, marker in BAD_CASES:
        path = mixed_dir / name
        prefix = f"invalid: {path}:{line_of(text, marker)}: {field}: "
        lines = [ln for ln in result.stderr.splitlines() if ln.startswith(prefix)]
        assert lines, (prefix, result.stderr)
        assert re.search(reason, lines[0][len(prefix):]), lines[0]
    assert "readme.txt" not in result.stderr  # directories contribute only *.yaml / *.yml
    assert f"3 of 6 profile(s) written to {out}" in result.stderr


def test_all_valid_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.yaml", base_profile("alpha"))
    write(tmp_path / "in" / "b.yaml", base_profile("beta"))
    out = tmp_path / "out"
    result = run("batch", tmp_path / "in", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == expected_files(["alpha", "beta"])
    assert "2 of 2 profile(s) written" in result.stderr


def test_api_batch_reports_outcomes(mixed_dir: Path, tmp_path: Path) -> None:
    report = api.batch([mixed_dir], tmp_path / "out")
    assert report.exit_code == 2
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert {n: o.status for n, o in by_name.items()} == {
        "bad_percent.yaml": "invalid", "bad_revenue.yaml": "invalid", "bad_source.yaml": "invalid",
        "base.yml": "ok", "golden.yaml": "ok", "wedoctor.yaml": "ok"}
    assert by_name["wedoctor.yaml"].profile_id == "wedoctor"
    assert sorted(o.path for o in report.failed) == sorted(str(mixed_dir / n) for n, *_ in BAD_CASES)
    assert [p.name for p in report.summary_files] == ["summary.csv", "summary.json"]


# --------------------------------------------------------------------------- failing rubrics


class _Exploding(Rubric):
    """A rubric that always fails, to check fault isolation in batches.

    It raises on purpose.
    """

    id = "exploding"
    title = "Exploding"
    version = "0.1"
    default_weight = 5

    def score(self, profile, params) -> RubricResult:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


def test_raising_rubric_exit_1_files_written_status_rubric_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry.discover
    monkeypatch.setattr(registry, "discover", lambda directories=(): real(directories) + [registry.LoadedRubric(_Exploding, "exploding", "tests")])
    write(tmp_path / "in" / "wedoctor.yaml", WEDOCTOR.read_text(encoding="utf-8"))
    write(tmp_path / "in" / "bad.yaml", BAD_PERCENT[1])
    out = tmp_path / "out"
    result = run("batch", tmp_path / "in", "--out", out)
    assert result.exit_code == 1, result.output  # a rubric error is not the input's fault
    assert sorted(p.name for p in out.iterdir()) == expected_files(["wedoctor"])
    assert f"rubric_error: {tmp_path / 'in' / 'wedoctor.yaml'}: exploding: RuntimeError: boom" in result.stderr
    assert "Not scored:** RuntimeError: boom" in (out / "wedoctor.md").read_text(encoding="utf-8")
    data = json.loads((out / "wedoctor.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in data["rubrics"] if r["id"] == "exploding"] == ["error"]
    header, rows = read_csv(out / "summary.csv")
    assert "score_exploding" in header
    row = next(r for r in rows if r["id"] == "wedoctor")
    assert row["status"] == "rubric_error"
    assert row["error"] == "exploding: RuntimeError: boom"
    assert row["score_exploding"] == ""
    assert float(row["score_customer_concentration"]) == 100.0  # the others still scored


RAISING_RUBRIC = '''
from riskscore.scoring.contract import Rubric, RubricResult


class Raising(Rubric):
    """A local rubric that raises, loaded from --rubrics-dir.

    It fails on purpose.
    """

    id = "raising"
    title = "Raising"
    version = "0.1"
    default_weight = 5
    contract_version = 1

    def score(self, profile, params) -> RubricResult:
        raise ValueError("no luck")
'''


@pytest.mark.parametrize("workers", ["1", "2"])
def test_raising_rubric_from_rubrics_dir(tmp_path: Path, workers: str) -> None:
    rubrics_dir = tmp_path / "local_rubrics"
    write(rubrics_dir / "raising.py", RAISING_RUBRIC)
    copy(GOLDEN, tmp_path / "in" / "golden.yaml")
    write(tmp_path / "in" / "base.yaml", base_profile())
    out = tmp_path / "out"
    result = run("batch", tmp_path / "in", "--out", out, "--rubrics-dir", rubrics_dir, "--workers", workers)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == expected_files(["golden-co", "testco"])
    _, rows = read_csv(out / "summary.csv")
    assert [(r["id"], r["status"], r["error"]) for r in rows] == [
        ("testco", "rubric_error", "raising: ValueError: no luck"), ("golden-co", "rubric_error", "raising: ValueError: no luck")]


def test_rubric_error_and_invalid_input_exit_1(tmp_path: Path) -> None:
    rubrics_dir = tmp_path / "local_rubrics"
    write(rubrics_dir / "raising.py", RAISING_RUBRIC)
    write(tmp_path / "in" / "good.yaml", base_profile())
    write(tmp_path / "in" / "bad.yaml", BAD_REVENUE[1])
    report = api.batch([tmp_path / "in"], tmp_path / "out", rubrics_dirs=[rubrics_dir])
    assert sorted(o.status for o in report.outcomes) == ["invalid", "rubric_error"]
    assert report.exit_code == 1


# --------------------------------------------------------------------------- inputs


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for rel in ("a/x.yaml", "a/y.yml", "a/sub/w.yaml", "b/v.yaml", "b/u.yaml"):
        write(root / rel, base_profile(Path(rel).stem))
    write(root / "a" / "z.txt", "not yaml")
    return root


def test_expand_inputs_mixes_dirs_globs_files_dedupes_in_command_line_order(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    inputs = [
        "b/v.yaml",                      # a file
        "a",                             # a directory: its *.yaml and *.yml, not sub-directories, not .txt
        str(tree / "a" / "x.yaml"),      # the same file as one found in "a", spelt absolutely
        "a/./y.yml",                     # the same file again, spelt differently
        "**/w.yaml",                     # a recursive glob
        "b/*.yaml",                      # a glob overlapping the file above
        "nothing/*.yaml",                # a glob that matches nothing
        "missing.yaml",                  # a file that does not exist
    ]
    paths, missing = expand_inputs(inputs)
    # In the order named; a directory's or a glob's files by name; a file found again keeps its first place.
    assert [str(p.resolve().relative_to(tree)) for p in paths] == ["b/v.yaml", "a/x.yaml", "a/y.yml", "a/sub/w.yaml", "b/u.yaml"]
    assert len({p.resolve() for p in paths}) == len(paths)
    assert [m.input for m in missing] == ["nothing/*.yaml", "missing.yaml"]
    assert all(m.reason == "no such file, directory or matching pattern" for m in missing)


def test_cli_mixed_inputs_and_unmatched_input_reported(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    out = tmp_path / "out"
    result = run("batch", "b/v.yaml", "a", "b/*.yaml", "a/x.yaml", "nothing*.yaml", "--out", out)
    assert result.exit_code == 2, result.output  # everything found was written; one input matched nothing
    assert "invalid: nothing*.yaml: no such file, directory or matching pattern" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == expected_files(["u", "v", "x", "y"])
    _, rows = read_csv(out / "summary.csv")
    assert [r["file"] for r in rows] == ["b/v.yaml", "a/x.yaml", "a/y.yml", "b/u.yaml", "nothing*.yaml"]
    assert rows[-1]["status"] == "invalid" and rows[-1]["id"] == ""


def test_format_json_writes_only_json_and_summaries(mixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out, "--format", "json", "--quiet")
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in out.iterdir()) == expected_files(GOOD_IDS, ("json",))


def test_unknown_format_is_invalid_and_writes_nothing(mixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out, "--format", "md,pdf")
    assert result.exit_code == 2
    assert "unknown format 'pdf'" in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- summaries


def _check_summary_rows(out: Path, header: list[str], rows: list[dict[str, Any]], as_text: bool) -> None:
    def num(value: Any) -> float | None:
        if value is None or value == "":
            return None
        return float(value)

    def text(value: Any) -> str | None:
        return None if value is None or value == "" else str(value)

    assert header == SUMMARY_COLUMNS + [f"score_{r}" for r in BUILTIN_RUBRICS]
    for row in rows:
        assert list(row) == header
        if row["status"] != "ok":
            assert text(row["id"]) is None and text(row["company"]) is None and text(row["adjusted_score"]) is None
            assert text(row["error"])
            continue
        result = json.loads((out / f"{row['id']}.json").read_text(encoding="utf-8"))
        assert text(row["error"]) is None
        assert row["company"] == result["company"]
        assert row["as_of"] == result["as_of"]
        for key in ("adjusted_score", "indicated_score", "coverage"):
            assert num(row[key]) == pytest.approx(result[key], abs=1e-9), key
        for key in ("adjusted_band", "indicated_band", "confidence"):
            assert text(row[key]) == result[key], key
        assert num(row["score_low"]) == pytest.approx(result["score_range"]["low"], abs=1e-9)
        assert num(row["score_high"]) == pytest.approx(result["score_range"]["high"], abs=1e-9)
        if row["adjusted_score"] not in (None, ""):
            assert num(row["score_low"]) <= num(row["adjusted_score"]) <= num(row["score_high"])  # type: ignore[operator]
        assert int(row["red_flags"]) == len(result["red_flags"])
        if not as_text:
            assert isinstance(row["red_flags"], int)
        for r in result["rubrics"]:
            assert num(row[f"score_{r['id']}"]) == pytest.approx(r["score"], abs=1e-9) if r["score"] is not None else num(row[f"score_{r['id']}"]) is None


def test_summary_csv_and_json_one_row_per_input_in_sorted_order(mixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    missing = str(tmp_path / "nothing-*.yaml")
    report = api.batch([mixed_dir, missing], out)
    expected_files_order = sorted(str(p) for p in mixed_dir.iterdir() if p.suffix in (".yaml", ".yml")) + [missing]
    expected_status = ["invalid", "invalid", "invalid", "ok", "ok", "ok", "invalid"]  # bad_*, base, golden, wedoctor, missing

    header, csv_rows = read_csv(out / "summary.csv")
    assert [r["file"] for r in csv_rows] == expected_files_order
    assert [r["status"] for r in csv_rows] == expected_status
    assert [r["id"] for r in csv_rows] == ["", "", "", "testco", "golden-co", "wedoctor", ""]
    _check_summary_rows(out, header, csv_rows, as_text=True)

    json_rows = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(json_rows, list)
    assert [r["file"] for r in json_rows] == expected_files_order
    assert [r["status"] for r in json_rows] == expected_status
    _check_summary_rows(out, list(json_rows[0]), json_rows, as_text=False)
    # The error column carries file, line, field and reason, as stderr does.
    bad = json_rows[0]
    assert bad["error"].startswith(f"{mixed_dir / 'bad_percent.yaml'}:")
    assert "periods[FY2025].gross_margin[0].value" in bad["error"]
    assert report.exit_code == 2


def test_result_json_validates_against_result_schema(mixed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_run = run("schema", "result")
    assert schema_run.exit_code == 0
    schema = json.loads(schema_run.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    real = registry.discover
    monkeypatch.setattr(registry, "discover", lambda directories=(): real(directories) + [registry.LoadedRubric(_Exploding, "exploding", "tests")])
    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out, "--format", "json", "--quiet")
    assert result.exit_code == 1, result.output
    results = [p for p in sorted(out.glob("*.json")) if p.name != "summary.json"]
    assert [p.stem for p in results] == GOOD_IDS
    for path in results:
        errors = sorted(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))), key=lambda e: list(e.path))
        assert not errors, f"{path.name}: {[(list(e.path), e.message) for e in errors[:5]]}"


# --------------------------------------------------------------------------- determinism


def test_workers_2_byte_identical_to_workers_1(mixed_dir: Path, tmp_path: Path) -> None:
    for i in range(4):  # enough jobs for the pool to spread them
        write(mixed_dir / f"extra{i}.yaml", base_profile(f"extra{i}", f"Extra {i}"))
    out1, out2 = tmp_path / "out1", tmp_path / "out2"
    r1 = run("batch", mixed_dir, "--out", out1, "--workers", "1", "--quiet")
    r2 = run("batch", mixed_dir, "--out", out2, "--workers", "2", "--quiet")
    assert r1.exit_code == r2.exit_code == 2
    one, two = snapshot(out1), snapshot(out2)
    assert sorted(one) == expected_files(GOOD_IDS + [f"extra{i}" for i in range(4)])
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name] == two[name], name
    assert r1.stderr.replace(str(out1), "OUT") == r2.stderr.replace(str(out2), "OUT")


def test_rerun_is_idempotent_and_leaves_no_temporary_files(mixed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run("batch", mixed_dir, "--out", out, "--quiet")
    before = snapshot(out)
    second = run("batch", mixed_dir, "--out", out, "--quiet")
    assert first.exit_code == second.exit_code == 2
    assert snapshot(out) == before
    assert temporaries(out) == []
    assert first.stderr == second.stderr


# --------------------------------------------------------------------------- duplicate ids and file names


@pytest.mark.parametrize("names", [("a-first.yaml", "b-second.yaml"), ("b-first.yaml", "a-second.yaml")])
def test_duplicate_id_the_one_named_first_wins(tmp_path: Path, names: tuple[str, str]) -> None:
    first = write(tmp_path / "in" / names[0], base_profile("dup", "First Co"))
    second = write(tmp_path / "in" / names[1], base_profile("dup", "Second Co"))
    out = tmp_path / "out"
    result = run("batch", first, second, "--out", out)  # the command line's order, whatever the names sort to
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == expected_files(["dup"])
    for fmt in ("md", "html"):
        text = (out / f"dup.{fmt}").read_text(encoding="utf-8")
        assert "First Co" in text and "Second Co" not in text
    assert json.loads((out / "dup.json").read_text(encoding="utf-8"))["company"] == "First Co"
    assert f"duplicate: {second}: profile id 'dup' is already used by {first}; nothing written for this file" in result.stderr
    _, rows = read_csv(out / "summary.csv")
    assert [(r["file"], r["status"]) for r in rows] == [(str(first), "ok"), (str(second), "duplicate")]
    # The duplicate's row names what collided and carries no scores: none of its files were written.
    assert (rows[1]["id"], rows[1]["company"]) == ("dup", "Second Co")
    assert rows[0]["confidence"] and rows[0]["red_flags"] != ""
    assert all(rows[1][c] == "" for c in rows[1] if c.startswith("score_") or c in ("adjusted_score", "indicated_score", "red_flags", "coverage", "confidence"))
    assert temporaries(out) == []


def test_duplicate_id_does_not_overwrite_on_rerun(tmp_path: Path) -> None:
    first = write(tmp_path / "in" / "a.yaml", base_profile("dup", "First Co"))
    out = tmp_path / "out"
    api.batch([first], out)
    written = snapshot(out)
    write(tmp_path / "in" / "b.yaml", base_profile("dup", "Second Co"))
    report = api.batch([tmp_path / "in"], out)
    assert [o.status for o in report.outcomes] == ["ok", "duplicate"]
    after = snapshot(out)
    for name in ("dup.md", "dup.html", "dup.json"):
        assert after[name] == written[name]


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the delay is injected into forked workers")
def test_duplicate_id_first_wins_with_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    real = batch._write_temp

    def slow_first(out: Path, name: str, text: str, token: str, index: int) -> str:
        if "First Co" in text:
            tmp = real(out, name, text, token, index)
            time.sleep(1.0)  # the first profile's worker is slow to hand its result back...
            return tmp
        time.sleep(0.3)  # ...and the duplicate's worker writes its temporary file meanwhile
        return real(out, name, text, token, index)

    monkeypatch.setattr(batch, "_write_temp", slow_first)  # inherited by the forked workers
    write(tmp_path / "in" / "a.yaml", base_profile("dup", "First Co"))
    write(tmp_path / "in" / "b.yaml", base_profile("dup", "Second Co"))
    report = api.batch([tmp_path / "in"], tmp_path / "out", formats=["json"], workers=2)
    assert [o.status for o in report.outcomes] == ["ok", "duplicate"]
    assert json.loads((tmp_path / "out" / "dup.json").read_text(encoding="utf-8"))["company"] == "First Co"


@pytest.mark.parametrize("profile_id", ["../../etc/passwd", ".hidden", "", "a/b", "a\\b", "..", "/abs", "x\x00y", "-", "a" * 300, "summary/../../x"])
def test_safe_name_cannot_escape_out(tmp_path: Path, profile_id: str) -> None:
    stem = batch.safe_name(profile_id)
    assert stem and len(stem) <= 64
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", stem), stem
    assert not stem.startswith(".")
    for fmt in ("md", "html", "json"):
        target = (tmp_path / f"{stem}.{fmt}").resolve()
        assert target.parent == tmp_path.resolve()


def test_safe_name_examples() -> None:
    assert batch.safe_name("../../etc/passwd") == "etc-passwd"
    assert batch.safe_name(".hidden") == "hidden"
    assert batch.safe_name("") == "profile"
    assert batch.safe_name("a/b") == "a-b"
    assert batch.safe_name("wedoctor") == "wedoctor"


@pytest.mark.parametrize("profile_id", ["../../etc/passwd", ".hidden", "", "a/b", "A", "-x", "a" * 65, "x\x00y"])
def test_profile_model_refuses_unsafe_ids(make_profile_data, profile_id: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        Profile.model_validate(make_profile_data({"id": profile_id}))
    assert [e["loc"] for e in info.value.errors()] == [("id",)]


def test_ids_with_the_same_file_name_do_not_overwrite(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a1.yaml", base_profile("acme", "Acme One"))
    write(tmp_path / "in" / "a2.yaml", base_profile("acme-", "Acme Two"))
    out = tmp_path / "out"
    report = api.batch([tmp_path / "in"], out, formats=["json"])
    companies = {json.loads(p.read_text(encoding="utf-8"))["company"] for p in out.glob("*.json") if p.name != "summary.json"}
    assert "Acme One" in companies  # the first in sorted order is never overwritten
    # ...and the second is either written under its own name or reported.
    assert "Acme Two" in companies or [o.status for o in report.outcomes] == ["ok", "duplicate"]


def test_profile_id_summary_does_not_collide_with_summary_files(tmp_path: Path) -> None:
    write(tmp_path / "in" / "s.yaml", base_profile("summary", "Summary Co"))
    out = tmp_path / "out"
    report = api.batch([tmp_path / "in"], out, formats=["json"])
    results = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")]
    written = any(isinstance(r, dict) and r.get("profile_id") == "summary" for r in results)
    assert written or report.outcomes[0].status != "ok"
    assert isinstance(json.loads((out / "summary.json").read_text(encoding="utf-8")), list)  # the table, not a result


# --------------------------------------------------------------------------- bad options


def test_out_pointing_to_a_file_exit_2(mixed_dir: Path, tmp_path: Path) -> None:
    out = write(tmp_path / "out.txt", "keep me\n")
    result = run("batch", mixed_dir, "--out", out)
    assert result.exit_code == 2, result.output
    assert "--out must be a directory" in result.stderr and str(out) in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt, module", [("parquet", "pyarrow"), ("xlsx", "openpyxl")])
def test_summary_format_without_its_engine_exit_2(mixed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, module: str) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == module else real(name, *a, **k))
    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out, "--summary-format", fmt)
    assert result.exit_code == 2, result.output
    assert module in result.stderr and f"pip install {module}" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()  # refused before anything is written


@pytest.mark.parametrize("fmt, module", [("parquet", "pyarrow"), ("xlsx", "openpyxl")])
def test_summary_format_with_actual_availability(mixed_dir: Path, tmp_path: Path, fmt: str, module: str) -> None:
    import importlib.util

    out = tmp_path / "out"
    result = run("batch", mixed_dir, "--out", out, "--summary-format", fmt, "--quiet")
    if importlib.util.find_spec(module) is None:
        assert result.exit_code == 2, result.output
        assert f"{fmt} needs the {module} package, which is not installed (pip install {module})" in result.stderr
        assert not out.exists()
    else:
        assert result.exit_code == 2, result.output  # the invalid profiles in mixed_dir
        assert (out / f"summary.{fmt}").is_file()


def test_unknown_summary_format_exit_2(mixed_dir: Path, tmp_path: Path) -> None:
    result = run("batch", mixed_dir, "--out", tmp_path / "out", "--summary-format", "feather")
    assert result.exit_code == 2
    assert "unknown summary format 'feather'" in result.stderr


# --------------------------------------------------------------------------- interruption


def _reference(inputs: list[Path], tmp_path: Path) -> dict[str, bytes]:
    ref = tmp_path / "reference"
    api.batch(inputs, ref)
    return snapshot(ref)


@pytest.fixture
def three_good(tmp_path: Path) -> list[Path]:
    d = tmp_path / "in"
    copy(GOLDEN, d / "a-golden.yaml")
    write(d / "b-base.yaml", base_profile("beta"))
    copy(WEDOCTOR, d / "c-wedoctor.yaml")
    return [d]


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupt_in_settle_leaves_only_complete_files(three_good: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    reference = _reference(three_good, tmp_path)
    real = batch._settle
    calls = []

    def settle_then_interrupt(outcome, out, written_by):  # type: ignore[no-untyped-def]
        calls.append(outcome.path)
        if len(calls) > 1:
            raise KeyboardInterrupt
        real(outcome, out, written_by)

    monkeypatch.setattr(batch, "_settle", settle_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        api.batch(three_good, out, workers=workers)
    files = snapshot(out)
    assert sorted(files) == ["golden-co.html", "golden-co.json", "golden-co.md"]  # renamed before the interrupt
    for name, data in files.items():
        assert data == reference[name], name  # complete, not half-written
    assert temporaries(out) == []


def test_interrupt_while_writing_a_temporary_file_leaves_none(three_good: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _reference(three_good, tmp_path)
    real = batch._write_temp
    calls = []

    def write_then_interrupt(out: Path, name: str, text: str, token: str, index: int) -> str:
        calls.append(name)
        if len(calls) == 5:  # the second profile's second file: one of its temporaries is already on disk
            Path(real(out, name, text[: len(text) // 2], token, index))  # half written
            raise KeyboardInterrupt
        return real(out, name, text, token, index)

    monkeypatch.setattr(batch, "_write_temp", write_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        api.batch(three_good, out)
    files = snapshot(out)
    assert sorted(files) == ["golden-co.html", "golden-co.json", "golden-co.md"]
    assert all(files[n] == reference[n] for n in files)
    assert temporaries(out) == []


def test_interrupt_in_render_leaves_only_complete_files(three_good: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import riskscore.report.render

    reference = _reference(three_good, tmp_path)
    real = riskscore.report.render.render
    calls = []

    def render_then_interrupt(memo, fmt, *rest):  # type: ignore[no-untyped-def]
        calls.append(fmt)
        if len(calls) == 3:  # the second profile's first document
            raise KeyboardInterrupt
        return real(memo, fmt, *rest)

    monkeypatch.setattr(riskscore.report.render, "render", render_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        api.batch(three_good, out)
    files = snapshot(out)
    assert sorted(files) == ["golden-co.html", "golden-co.json", "golden-co.md"]
    assert all(files[n] == reference[n] for n in files)
    assert temporaries(out) == []


# --------------------------------------------------------------------------- progress


def test_progress_plain_lines_on_non_tty(mixed_dir: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "nothing*.yaml")
    result = run("batch", mixed_dir, missing, "--out", tmp_path / "out")
    assert result.exit_code == 2
    lines = [m for m in (PROGRESS_LINE.match(ln) for ln in result.stderr.splitlines()) if m]
    assert [int(m[1]) for m in lines] == list(range(1, 8))
    assert {int(m[2]) for m in lines} == {7}
    seen = {m[5]: (m[3], m[4]) for m in lines}
    assert seen[str(mixed_dir / "wedoctor.yaml")] == ("ok", "wedoctor")
    assert seen[str(mixed_dir / "golden.yaml")] == ("ok", "golden-co")
    assert seen[str(mixed_dir / "bad_percent.yaml")] == ("invalid", "-")
    assert seen[missing] == ("invalid", "-")
    assert "\x1b[" not in result.stderr  # no terminal control codes off a terminal


def test_quiet_prints_no_progress(mixed_dir: Path, tmp_path: Path) -> None:
    result = run("batch", mixed_dir, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 2
    assert not [ln for ln in result.stderr.splitlines() if PROGRESS_LINE.match(ln)]
    assert "invalid:" in result.stderr  # failures are still listed


def test_api_progress_callback(mixed_dir: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    api.batch([mixed_dir], tmp_path / "out", formats=["json"], progress=lambda done, total, o: seen.append((done, total, o.status)))
    assert [(d, t) for d, t, _ in seen] == [(i, 6) for i in range(1, 7)]
    assert sorted(s for _, _, s in seen) == ["invalid"] * 3 + ["ok"] * 3


# --------------------------------------------------------------------------- rough edges


def test_empty_format_list_is_refused(tmp_path: Path) -> None:
    good = write(tmp_path / "in" / "a.yaml", base_profile())
    out = tmp_path / "out"
    result = run("batch", good, "--out", out, "--format", ",")
    assert result.exit_code == 2, result.output
    assert "--format" in result.stderr


def test_summary_columns_do_not_depend_on_which_profiles_scored(tmp_path: Path) -> None:
    bad = write(tmp_path / "in" / "bad.yaml", BAD_REVENUE[1])
    out = tmp_path / "out"
    api.batch([bad], out)
    header, _ = read_csv(out / "summary.csv")
    assert header == SUMMARY_COLUMNS + [f"score_{r}" for r in BUILTIN_RUBRICS]


def test_summary_dtypes_are_the_same_whatever_the_run(tmp_path: Path) -> None:
    """A reporting tool gets one set of column types: all valid, or one invalid row."""
    import pandas as pd

    from riskscore.batch import SUMMARY_DTYPES, read_summary, summary_dtypes

    valid = write(tmp_path / "in" / "a.yaml", base_profile("acme", "Acme"))
    invalid = write(tmp_path / "in" / "bad.yaml", BAD_REVENUE[1])
    golden = copy(GOLDEN, tmp_path / "in" / "golden.yaml")
    api.batch([valid, golden], tmp_path / "all-valid", formats=["json"])
    api.batch([golden, invalid], tmp_path / "one-invalid", formats=["json"])

    frames = {}
    for run_name in ("all-valid", "one-invalid"):
        for name in ("summary.csv", "summary.json"):
            path = tmp_path / run_name / name
            header = list(pd.read_csv(tmp_path / run_name / "summary.csv", nrows=0).columns)
            frames[run_name, name] = read_summary(path)
            plain = pd.read_csv(path, dtype=summary_dtypes(header)) if name.endswith(".csv") else None
            if plain is not None:  # the documented mapping works with pandas' own reader too
                assert plain.dtypes.to_dict() == frames[run_name, name].dtypes.to_dict()
    reference = frames["all-valid", "summary.csv"].dtypes.to_dict()
    for key, frame in frames.items():
        assert frame.dtypes.to_dict() == reference, key
    assert {c: str(reference[c]) for c in SUMMARY_DTYPES} == SUMMARY_DTYPES
    assert all(str(reference[f"score_{r}"]) == "Float64" for r in BUILTIN_RUBRICS)

    valid_rows = frames["all-valid", "summary.csv"]
    assert valid_rows["error"].isna().all() and valid_rows["red_flags"].notna().all()
    mixed = frames["one-invalid", "summary.json"].set_index("status")
    assert pd.isna(mixed.loc["invalid", "red_flags"]) and "revenue cannot be negative" in mixed.loc["invalid", "error"]
    # Every row says which methodology and result schema it belongs to, the invalid one too.
    assert set(mixed["result_schema_version"]) == {3} and mixed["methodology_version"].notna().all()
    # In JSON, counts are integers and scores numbers, never strings.
    records = json.loads((tmp_path / "one-invalid" / "summary.json").read_text(encoding="utf-8"))
    ok = next(r for r in records if r["status"] == "ok")
    assert isinstance(ok["red_flags"], int) and isinstance(ok["result_schema_version"], int) and isinstance(ok["adjusted_score"], float)
    # The CSV writes counts as integers ("0", not "0.0") beside an invalid row.
    _, rows = read_csv(tmp_path / "one-invalid" / "summary.csv")
    assert sorted((r["status"], r["red_flags"]) for r in rows) == [("invalid", ""), ("ok", str(ok["red_flags"]))]
