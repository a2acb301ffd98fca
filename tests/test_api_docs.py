"""docs/api.md, the API reference for rubric authors, is generated from the docstrings by
docs/gen_api.py: it documents every name riskscore.rubric exports, and this test fails when the
file is out of date (regenerate with `python docs/gen_api.py`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import riskscore.rubric as facade

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_api = _generator()


def test_docs_api_md_is_up_to_date() -> None:
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == gen_api.generate(), "docs/api.md is out of date: run `python docs/gen_api.py` and commit the result"


def test_every_exported_name_has_a_docstring() -> None:
    assert gen_api.undocumented() == []


def test_every_exported_name_is_documented_in_a_section() -> None:
    listed = [name for _, _, names in gen_api.SECTIONS for name in names]
    assert sorted(listed) == sorted(facade.__all__)
    text = gen_api.generate()
    for name in facade.__all__:
        assert f"### `{name}" in text or f"### `class {name}`" in text, name


@pytest.mark.parametrize("name", ["value", "series", "latest", "fmt_obs", "Filing", "PartialDate", "Period", "MoneyFigure",
                                  "PercentObservation", "Rubric", "RubricResult", "Grid"])
def test_what_an_author_looks_up_is_there(name: str) -> None:
    text = gen_api.generate()
    section = text.split(f"`class {name}`" if isinstance(getattr(facade, name), type) else f"### `{name}(", 1)[1].split("\n### ", 1)[0]
    doc = (getattr(facade, name).__doc__ or "").strip().splitlines()[0]
    assert gen_api.markdown(doc) in section


def test_a_new_export_without_a_section_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facade, "__all__", [*facade.__all__, "CONTRACT_VERSION_2"])
    with pytest.raises(SystemExit, match=r"not documented \['CONTRACT_VERSION_2'\]"):
        gen_api.generate()


def test_check_fails_on_a_stale_file_and_passes_on_a_fresh_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "api.md"
    stale.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(gen_api, "OUTPUT", stale)
    assert gen_api.main(["--check"]) == 1
    assert gen_api.main([]) == 0
    assert gen_api.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def test_the_script_runs_from_the_command_line() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_api.py"), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_markdown_conversion_of_docstring_roles() -> None:
    assert gen_api.markdown("See :func:`value` and ``x``::") == "See `value` and `x`:"
    assert gen_api.markdown(":class:`~riskscore.rubric.Grid`") == "`riskscore.rubric.Grid`"
