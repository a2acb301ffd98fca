"""`riskscore rubrics new NAME --package DIR` (riskscore/cli/scaffold.py): the generated plugin package
installs with pip, is listed by `riskscore rubrics` with its origin, and its own tests pass as generated.

Like tests/test_example_plugin.py, pip installs the package into a temporary directory (never
into the project's virtualenv) and each command runs in a subprocess with that directory on
PYTHONPATH, so riskscore finds the rubric through its entry point as it would for a user.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from test_example_plugin import _build_backend_problem
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.testing import ContractError, check_installed

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
FILES = ["README.md", "pyproject.toml", "src/riskscore_cash_runway/__init__.py", "src/riskscore_cash_runway/rubric.py",
         "tests/test_cash_runway.py"]
runner = CliRunner()


def new_package(directory: Path, name: str = "cash_runway"):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["rubrics", "new", name, "--package", str(directory)])


def install(source: Path, base: Path) -> dict[str, str]:
    """pip install ``source`` into ``base/site``; the environment of a Python that has it installed."""
    problem = _build_backend_problem()
    if problem:
        pytest.fail(f"cannot install a plugin package without build isolation: {problem}")
    build = base / "build-src"
    # Build from a copy: setuptools writes build/ and *.egg-info into the tree it builds.
    shutil.copytree(source, build, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    site = base / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-input",
         "--disable-pip-version-check", "--quiet", "--target", str(site), str(build)],
        capture_output=True, text=True, timeout=120,
    )
    assert pip.returncode == 0, f"pip install failed:\n{pip.stdout}\n{pip.stderr}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("RISKSCORE_DEBUG", None)
    return env


def run(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("package") / "riskscore-cash-runway"
    result = new_package(directory)
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="module")
def installed(package: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return install(package, tmp_path_factory.mktemp("installed"))


def test_writes_a_src_layout_package(package: Path) -> None:
    assert sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()) == FILES


def test_the_entry_point_is_named_after_the_rubric_id(package: Path) -> None:
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "riskscore-cash-runway"
    assert project["project"]["entry-points"]["riskscore.rubrics"] == {"cash_runway": "riskscore_cash_runway:CashRunway"}
    assert project["tool"]["setuptools"]["packages"]["find"] == {"where": ["src"]}
    rubric = (package / "src" / "riskscore_cash_runway" / "rubric.py").read_text(encoding="utf-8")
    assert 'id = "cash_runway"' in rubric and "contract_version = 1" in rubric
    assert "from riskscore.rubric import (" in rubric and "riskscore.scoring" not in rubric  # the author's one import
    tests = (package / "tests" / "test_cash_runway.py").read_text(encoding="utf-8")
    assert "check_rubric(CashRunway)" in tests and "check_installed(CashRunway)" in tests
    readme = (package / "README.md").read_text(encoding="utf-8")
    assert "**must**\nequal the rubric's id" in readme and "${" not in readme


def test_reports_what_it_wrote_and_what_next(tmp_path: Path) -> None:
    result = new_package(tmp_path / "pkg")
    assert result.exit_code == 0, result.output
    for name in FILES:
        assert f"wrote {tmp_path / 'pkg' / name}" in result.stderr
    assert f"pip install -e '{tmp_path / 'pkg'}[test]'" in result.stderr
    assert result.stdout == ""


def test_installed_it_is_listed_with_its_origin(installed: dict[str, str]) -> None:
    result = run({**installed, "COLUMNS": "200"}, "-m", "riskscore", "rubrics")
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.split(maxsplit=1)[:1] == ["cash_runway"]]
    assert re.match(r"^cash_runway\s+v0\.1\.0\s+10\s+enabled\s+riskscore-cash-runway 0\.1\.0\s+Cash runway$", line), line
    trace = run(installed, "-m", "riskscore", "rubrics", "--trace")
    assert ("loaded     entry point  cash_runway = riskscore_cash_runway:CashRunway (riskscore-cash-runway 0.1.0) → cash_runway"
            in trace.stdout.splitlines())


def test_installed_it_scores_beside_the_built_ins(installed: dict[str, str]) -> None:
    result = run(installed, "-m", "riskscore", "score", str(WEDOCTOR), "--json")
    assert result.returncode == 0, result.stderr
    outcome = next(o for o in json.loads(result.stdout)["rubrics"] if o["id"] == "cash_runway")
    assert outcome["status"] in ("scored", "no_data") and outcome["version"] == "0.1.0"


def test_its_generated_tests_pass(package: Path, installed: dict[str, str]) -> None:
    result = run(installed, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests"), cwd=package)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "9 passed" in result.stdout and "skipped" not in result.stdout


def test_not_installed_the_generated_entry_point_test_says_what_to_do(package: Path) -> None:
    """In this process the package is not installed: check_installed fails with the remedy."""
    sys.path.insert(0, str(package / "src"))
    try:
        generated = importlib.import_module("riskscore_cash_runway")
        with pytest.raises(ContractError) as info:
            check_installed(generated.CashRunway)
    finally:
        sys.path.remove(str(package / "src"))
        for name in [m for m in sys.modules if m.startswith("riskscore_cash_runway")]:
            del sys.modules[name]
    message = str(info.value)
    assert "no entry point in the group 'riskscore.rubrics' loads riskscore_cash_runway.rubric:CashRunway" in message
    assert "pip install -e ." in message and 'cash_runway = "<module>:CashRunway"' in message


def test_an_entry_point_not_named_after_the_id_is_reported_clearly(package: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "renamed"
    shutil.copytree(package, renamed)
    pyproject = renamed / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('cash_runway = "riskscore_cash_runway', 'runway = "riskscore_cash_runway'),
                         encoding="utf-8")
    env = install(renamed, tmp_path)
    result = run(env, "-m", "riskscore", "rubrics", "--trace")
    assert result.returncode == 1
    expected = ("failed     entry point  runway = riskscore_cash_runway:CashRunway (riskscore-cash-runway 0.1.0): the entry point is named "
                "'runway' but the rubric's id is 'cash_runway'; an entry point's name must equal the id: register it as "
                'cash_runway = "riskscore_cash_runway:CashRunway" under [project.entry-points."riskscore.rubrics"]')
    assert expected in result.stdout.splitlines()
    tests = run(env, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(renamed / "tests"), cwd=renamed)
    assert tests.returncode == 1 and "1 failed, 8 passed" in tests.stdout
    assert "the entry point runway = riskscore_cash_runway:CashRunway (riskscore-cash-runway 0.1.0) did not load" in tests.stdout


def test_refuses_to_overwrite_any_file(package: Path, tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    (target / "tests").mkdir(parents=True)
    (target / "tests" / "test_cash_runway.py").write_text("mine\n", encoding="utf-8")
    result = new_package(target)
    assert result.exit_code == 2
    assert f"{target / 'tests' / 'test_cash_runway.py'}: already exists" in result.stderr
    assert [p.name for p in target.rglob("*") if p.is_file()] == ["test_cash_runway.py"]  # nothing written


def test_refuses_a_name_whose_import_package_exists(tmp_path: Path) -> None:
    """The generated tests would import the existing module instead; refused before anything is written."""
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "riskscore_taken.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(tmp_path / "mods"))
    try:
        result = new_package(tmp_path / "pkg", "taken")
    finally:
        sys.path.remove(str(tmp_path / "mods"))
    assert result.exit_code == 2
    assert "'riskscore_taken' is already the name of an importable module" in result.stderr
    assert not (tmp_path / "pkg").exists()
