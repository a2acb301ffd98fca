"""`riskscore rubrics new` (riskscore/cli/scaffold.py and riskscore/cli/templates/*.tmpl): the generated
rubric works as written — it passes the contract kit, its own tests, discovery and the memo."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.cli.scaffold import rubric_id
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.testing import check_rubric

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
FILES = ["cash_runway.md", "cash_runway.py", "test_cash_runway.py"]
runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def import_path(path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`riskscore rubrics new cash_runway` once, for the tests that only read what it wrote."""
    directory = tmp_path_factory.mktemp("scaffold") / "local_rubrics"
    result = run("rubrics", "new", "cash_runway", "--dir", directory)
    assert result.exit_code == 0, result.output
    return directory


def test_new_writes_three_files(scaffold: Path) -> None:
    assert sorted(p.name for p in scaffold.iterdir()) == FILES


def test_new_reports_what_it_wrote_and_what_next(tmp_path: Path) -> None:
    result = run("rubrics", "new", "cash_runway", "--dir", tmp_path / "r")
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert f"wrote {tmp_path / 'r' / name}" in result.stderr
    assert f"riskscore rubrics --rubrics-dir {tmp_path / 'r'}" in result.stderr
    assert result.stdout == ""


def test_generated_module_passes_the_contract_kit_unchanged(scaffold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = import_path(scaffold / "cash_runway.py", "scaffolded_cash_runway", monkeypatch)
    cls = module.CashRunway
    assert (cls.id, cls.title, cls.version, cls.default_weight) == ("cash_runway", "Cash runway", "0.1", 10)
    assert cls.method()  # a docstring with a method paragraph
    check_rubric(cls)
    check_rubric(cls, [WEDOCTOR])
    registry.check_rubric_class(cls)


def test_generated_doc_names_the_rubric_and_its_parameters(scaffold: Path) -> None:
    doc = (scaffold / "cash_runway.md").read_text(encoding="utf-8")
    assert doc.startswith("# Cash runway (`cash_runway`)")
    assert "[rubrics.cash_runway]" in doc and "growth_grid" in doc
    assert f"--rubrics-dir {scaffold}" in doc
    assert "${" not in doc


def test_generated_tests_pass(scaffold: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(scaffold)],
                          capture_output=True, text=True, cwd=scaffold, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "8 passed" in proc.stdout


def test_listed_by_rubrics_with_its_file_origin(scaffold: Path) -> None:
    result = runner.invoke(app, ["rubrics", "--rubrics-dir", str(scaffold)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("cash_runway "))
    assert re.match(rf"^cash_runway\s+v0\.1\s+10\s+enabled\s+{re.escape(str(scaffold / 'cash_runway.py'))}\s+Cash runway$", line), line
    # the generated test module is not taken for a rubric
    assert "test_cash_runway" not in result.stdout


def test_memo_shows_its_section_and_weight(scaffold: Path, tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--rubrics-dir", scaffold, "--out", tmp_path, "--format", "md")
    assert result.exit_code == 0, result.output
    md = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    assert "### Cash runway:" in md
    assert "Cash runway: how revenue moved between the two latest fiscal years." in md
    assert "| Cash runway (`cash_runway`) | 0.1 | 10 |" in md  # version and configured weight
    assert "### Cash runway — method" in md
    row = next(line for line in md.splitlines() if line.startswith("| Cash runway |"))
    total = sum(load_config(None).weights.values()) + 10
    assert row.split("|")[2].strip() == f"{100 * 10 / total:.1f}%"  # its 10 over all configured weight (9.1% of 110)


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    directory = tmp_path / "r"
    assert run("rubrics", "new", "cash_runway", "--dir", directory).exit_code == 0
    module = directory / "cash_runway.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# my edits\n", encoding="utf-8")
    before = {p.name: p.read_text(encoding="utf-8") for p in directory.iterdir()}
    result = run("rubrics", "new", "cash_runway", "--dir", directory)
    assert result.exit_code == 2
    assert str(module) in result.stderr and "already exists" in result.stderr
    assert {p.name: p.read_text(encoding="utf-8") for p in directory.iterdir()} == before


def test_new_refuses_when_only_one_of_the_files_exists(tmp_path: Path) -> None:
    (tmp_path / "cash_runway.md").write_text("my notes\n", encoding="utf-8")
    result = run("rubrics", "new", "cash_runway", "--dir", tmp_path)
    assert result.exit_code == 2
    assert str(tmp_path / "cash_runway.md") in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cash_runway.md"]  # nothing written
    assert (tmp_path / "cash_runway.md").read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.parametrize("name", ["9lives", "a/b", "", "cash runway!", "_private", "é"])
def test_invalid_names_are_exit_2(tmp_path: Path, name: str) -> None:
    result = run("rubrics", "new", name, "--dir", tmp_path / "r")
    assert result.exit_code == 2
    assert "a rubric name is letters, digits, '_' or '-', starting with a letter" in result.stderr
    assert not (tmp_path / "r").exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name,expected", [("Cash-Runway", "cash_runway"), ("cash runway", "cash_runway"), (" Cash--Runway ", "cash_runway"), ("debt2", "debt2")])
def test_name_becomes_a_lower_case_id(name: str, expected: str) -> None:
    assert rubric_id(name) == expected


def test_cash_dash_runway_generates_cash_runway(tmp_path: Path) -> None:
    result = run("rubrics", "new", "Cash-Runway", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES
    assert 'id = "cash_runway"' in (tmp_path / "cash_runway.py").read_text(encoding="utf-8")
    assert "class CashRunway(Rubric):" in (tmp_path / "cash_runway.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- names `new` accepts but cannot serve


def test_an_accepted_name_starting_with_test_is_discoverable(tmp_path: Path) -> None:
    result = run("rubrics", "new", "test_coverage", "--dir", tmp_path)
    if result.exit_code == 0:
        loaded = registry.discover(load_config(None, rubrics_dirs=[tmp_path]).rubrics_dirs)
        assert "test_coverage" in [item.name for item in loaded if item.ok]
    else:
        assert result.exit_code == 2


def test_an_accepted_keyword_name_yields_importable_tests(tmp_path: Path) -> None:
    result = run("rubrics", "new", "return", "--dir", tmp_path)
    if result.exit_code == 0:
        path = tmp_path / "test_return.py"
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    else:
        assert result.exit_code == 2


def test_an_accepted_name_does_not_shadow_the_templates_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("rubrics", "new", "metric", "--dir", tmp_path)
    if result.exit_code == 0:
        module = import_path(tmp_path / "metric.py", "scaffolded_metric", monkeypatch)
        check_rubric(module.MetricRubric)
    else:
        assert result.exit_code == 2


def test_generated_module_imports_only_the_author_facade(scaffold: Path) -> None:
    text = (scaffold / "cash_runway.py").read_text(encoding="utf-8")
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", "from riskscore.rubric import ("]
    assert "contract_version = 1" in text
