"""The Python API's documented examples run as tests (documentation that cannot drift)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import riskscore.api
from riskscore import api
from riskscore.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_api_docstring_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(riskscore.api, extraglobs={"api": api}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0


def test_api_invalid_input_raises_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        api.load(bad)
    assert info.value.file == str(bad)
    assert any(p.field == "as_of" for p in info.value.problems)


def test_api_accepts_paths_and_config_objects() -> None:
    config = api.configure(rubric_set="conduct")
    result = api.score(ROOT / "companies" / "wedoctor.yaml", config=config)
    assert [r.id for r in result.rubrics] == ["governance", "technology_dependence"]
