"""The example plugin (examples/riskscore-going-concern), installed for real and used end to end.

pip installs a copy of the example into a temporary directory (never into the project's
virtualenv); every command then runs in a subprocess with that directory on PYTHONPATH, so
riskscore discovers the rubric through its ``riskscore.rubrics`` entry point exactly as it
would for a user who ran ``pip install ./examples/riskscore-going-concern``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "riskscore-going-concern"
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
ORIGIN = "riskscore-going-concern 0.1.0"


def _build_backend_problem() -> str | None:
    """Why ``pip install --no-build-isolation`` cannot build a wheel here, or None.

    Without build isolation the wheel is built with this environment's setuptools, which
    builds wheels on its own from 70.1 on; older releases need the ``wheel`` package.
    """
    try:
        found = version("setuptools")
    except PackageNotFoundError:
        return "setuptools is not installed"
    major, minor = (int(part) for part in found.split(".")[:2])
    if (major, minor) >= (70, 1):
        return None
    try:
        version("wheel")
    except PackageNotFoundError:
        return f"setuptools {found} cannot build a wheel without the 'wheel' package (setuptools >= 70.1 can)"
    return None


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Python that has the example plugin installed (pip runs once)."""
    problem = _build_backend_problem()
    if problem:
        pytest.fail(f"cannot install the example plugin without build isolation: {problem}; "
                    "add 'setuptools>=70.1' to the test extra in pyproject.toml")
    base = tmp_path_factory.mktemp("example-plugin")
    source, site = base / "src", base / "site"
    # Build from a copy: setuptools writes build/ and *.egg-info into the tree it builds.
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-input",
         "--disable-pip-version-check", "--quiet", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=120,
    )
    assert pip.returncode == 0, f"pip install failed:\n{pip.stdout}\n{pip.stderr}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep examples/ free of __pycache__
    env.pop("RISKSCORE_DEBUG", None)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def assessment(plugin_env: dict[str, str]) -> dict:
    result = run(plugin_env, "-m", "riskscore", "score", str(WEDOCTOR), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_rubrics_lists_the_plugin_with_its_origin(plugin_env: dict[str, str]) -> None:
    result = run({**plugin_env, "COLUMNS": "200"}, "-m", "riskscore", "rubrics")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.split(maxsplit=1)[:1] == ["going_concern"]]
    assert len(lines) == 1, result.stdout
    assert ORIGIN in lines[0]
    assert "Going concern" in lines[0] and "v0.1.0" in lines[0] and "enabled" in lines[0]


def test_the_plugin_scores_wedoctor(assessment: dict) -> None:
    outcomes = {o["id"]: o for o in assessment["rubrics"]}
    going = outcomes["going_concern"]
    assert going["status"] == "scored", going
    assert going["version"] == "0.1.0"
    assert going["configured_weight"] == 10
    total = sum(o["configured_weight"] for o in outcomes.values() if o["status"] == "scored")
    assert going["weight"] == pytest.approx(100 * 10 / total, abs=1e-4)  # percent in the result JSON
    assert 0 <= going["score"] <= 100 and going["band"]
    assert going["result"]["evidence"], "the rubric cites its evidence"
    # The built-ins still score beside it.
    assert {"customer_concentration", "losses", "redemption_overhang"} <= {i for i, o in outcomes.items() if o["status"] == "scored"}


def test_the_memo_has_a_going_concern_section(plugin_env: dict[str, str], assessment: dict, tmp_path: Path) -> None:
    result = run(plugin_env, "-m", "riskscore", "memo", str(WEDOCTOR), "--format", "md", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    memo = (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    going = next(o for o in assessment["rubrics"] if o["id"] == "going_concern")
    weight, score = f"{going['weight']:.1f}%", f"{going['score']:.1f}"
    assert f"### Going concern: {score} ({going['band']})" in memo
    assert f"| Going concern | {weight} | {score} | {going['band']} |" in memo
    assert f"| Going concern (`going_concern`) | 0.1.0 | 10 | {weight} |" in memo
    assert "### Going concern — method" in memo


def test_the_example_s_own_tests_pass(plugin_env: dict[str, str]) -> None:
    result = run(plugin_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_the_chinese_memo_uses_the_plugin_s_own_catalogue(plugin_env: dict[str, str], assessment: dict, tmp_path: Path) -> None:
    """The plugin ships locale/zh.po beside its module: its title and description appear in Chinese,
    and a message it did not translate still renders (in English) rather than failing."""
    result = run(plugin_env, "-m", "riskscore", "memo", str(WEDOCTOR), "--format", "md", "--lang", "zh", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    memo = (tmp_path / "wedoctor.zh.md").read_text(encoding="utf-8")
    going = next(o for o in assessment["rubrics"] if o["id"] == "going_concern")
    assert f"### 持续经营：{going['score']:.1f}" in memo or f"### 持续经营: {going['score']:.1f}" in memo
    assert "| 持续经营（`going_concern`） | 0.1.0 |" in memo or "| 持续经营 (`going_concern`) | 0.1.0 |" in memo
    assert "### Going concern" not in memo
    assert "ISA 570所述" in memo  # the description, from the plugin's catalogue
    # Everything the plugin says is in its catalogue: its section and its method read in Chinese.
    section = memo.split("### 持续经营：", 1)[1].split("\n#", 1)[0]
    method = memo.split("### 持续经营——方法", 1)[1].split("\n#", 1)[0]
    for text in (section, method):
        words = set(re.findall(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`|\[\^?q?\d+\]", " ", text)))
        assert words <= {"ISA", "IFRS"}, words
    assert "现金可支撑" in section and "净负债" in section


def test_the_plugin_s_catalogue_passes_the_contract_kit_s_language_checks(plugin_env: dict[str, str]) -> None:
    """The kit renders every message of the plugin in English and Chinese and finds nothing untranslated."""
    code = ("from riskscore.testing import check_rubric; from riskscore_going_concern import GoingConcern; "
            f"check_rubric(GoingConcern, [{str(WEDOCTOR)!r}]); print('ok')")
    result = run(plugin_env, "-c", code)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout + result.stderr
