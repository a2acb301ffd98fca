"""Table-driven rubric cases: every ``rubric_cases/<rubric_id>.yaml`` run by one generic test.

A case file holds ``rubric: <id>`` and ``cases:``, each case a mapping with

* ``name`` (unique in the file) and optionally ``note``;
* ``profile``: a fragment merged over ``rubric_cases/_base.yaml`` (see ``make_profile_data``);
* ``params``: overrides of the rubric's default parameters (dict-valued params merge);
* expectations: ``score`` (required; a number, compared with abs 0.01, or null), and
  optionally ``band``, ``coverage``, ``metric_scores`` ({metric id: score or null}),
  ``data_gaps`` (a count, or the list of gap fields), ``adjustments`` (the list of points),
  ``scenarios`` ({scenario id: score}); ``red_flags`` (list of ids) defaults to none;
* ``xfail``: the reason, for a case that documents a known bug (strict).

Expected values are worked out by hand from the grids in ``riskscore/defaults.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from riskscore.profile.model import Profile
from riskscore.scoring import registry
from riskscore.scoring.config import Config, load_config
from riskscore.scoring.contract import Rubric, RubricParams

CASES_DIR = Path(__file__).parent / "rubric_cases"
CASE_KEYS = {
    "name", "note", "profile", "params", "xfail",
    "score", "band", "coverage", "red_flags", "metric_scores", "data_gaps", "adjustments", "scenarios",
}
RUBRICS: dict[str, type[Rubric]] = {r.id: r for r in registry.select(load_config(None))}


def _case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.yaml") if not p.name.startswith("_"))


def _collect() -> list[Any]:
    params = []
    for path in _case_files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        rubric_id = doc["rubric"]
        for case in doc["cases"]:
            marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
            params.append(pytest.param(rubric_id, path.name, case, id=f"{rubric_id}:{case['name']}", marks=marks))
    return params


def _params(rubric: type[Rubric], config: Config, overrides: dict[str, Any]) -> RubricParams:
    raw = dict(config.rubric_params.get(rubric.id, {}))
    for key, value in overrides.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) and isinstance(raw.get(key), dict) else value
    return rubric.Params.model_validate(raw)


def _approx(expected: float | None) -> Any:
    return None if expected is None else pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("rubric_id, file_name, case", _collect())
def test_rubric_case(rubric_id: str, file_name: str, case: dict[str, Any], make_profile_data, default_config: Config) -> None:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{file_name}: case {case.get('name')!r} has unknown keys {sorted(unknown)}"
    assert "score" in case, f"{file_name}: case {case['name']!r} must state `score` (a number or null)"

    rubric = RUBRICS[rubric_id]
    profile = Profile.model_validate(make_profile_data(case.get("profile")))
    result = rubric().score(profile, _params(rubric, default_config, case.get("params", {})))

    assert result.score == _approx(case["score"])
    if case["score"] is None:
        assert result.band is None
    if "band" in case:
        assert result.band == case["band"]
    if "coverage" in case:
        assert result.coverage == pytest.approx(case["coverage"], abs=1e-4)
    assert sorted(f.id for f in result.red_flags) == sorted(case.get("red_flags", []))
    if "metric_scores" in case:
        got = {m.id: m.score for m in result.metrics}
        for metric_id, expected in case["metric_scores"].items():
            assert metric_id in got, f"no metric {metric_id!r}; metrics: {sorted(got)}"
            assert got[metric_id] == _approx(expected), metric_id
    if "data_gaps" in case:
        expected_gaps = case["data_gaps"]
        if isinstance(expected_gaps, int):
            assert len(result.data_gaps) == expected_gaps, [g.field for g in result.data_gaps]
        else:
            assert sorted(g.field for g in result.data_gaps) == sorted(expected_gaps)
    if "adjustments" in case:
        assert [a.points for a in result.adjustments] == [pytest.approx(p) for p in case["adjustments"]]
    if "scenarios" in case:
        got_scenarios = {s.id: s.score for s in result.scenarios}
        assert got_scenarios == {k: _approx(v) for k, v in case["scenarios"].items()}


def test_every_rubric_has_a_case_file() -> None:
    assert {p.stem for p in _case_files()} == set(RUBRICS)


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_case_file_is_well_formed(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(doc) == {"rubric", "cases"}
    assert doc["rubric"] == path.stem
    names = [case["name"] for case in doc["cases"]]
    assert len(names) == len(set(names)), "case names must be unique within a file"
