"""The CLI through typer's runner: outputs, exit codes, error messages, no partial files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.scoring import registry
from riskscore.cli.app import app
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


@pytest.mark.parametrize("command", [["score", str(WEDOCTOR)], ["validate", str(WEDOCTOR)]])
def test_scoring_path_stays_light(command: list[str]) -> None:
    """pandas, scikit-learn and Jinja2 are not imported by commands that do not need them."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", *command], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"pandas", "sklearn", "jinja2", "rich"}, imported & {"pandas", "sklearn", "jinja2", "rich"}


def test_memo_without_peers_imports_neither_pandas_nor_sklearn(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", "memo", str(WEDOCTOR), "--out", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"pandas", "sklearn", "numpy", "scipy"}, imported & {"pandas", "sklearn", "numpy", "scipy"}
