"""Defence in depth against misbehaving rubric plugins (trusted code, but code with bugs) and the
engine's own invariant: what a rubric prints never reaches stdout, a rubric that mutates the
profile is a contract failure and cannot steer output file names, a red flag a rubric does
not declare is refused, a NaN never gets a band, and `batch` reports a broken plugin as
`score` does. Also `whatif --set` values that are not valid YAML or not a valid profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore import api
from riskscore.cli.app import app
from riskscore.profile.load import load_profile
from riskscore.scoring import engine as engine_module
from riskscore.scoring.config import Config

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
runner = CliRunner()

HEADER = '''
from riskscore.rubric import DataGap, RedFlag, Rubric, RubricResult


class Plugin(Rubric):
    """A misbehaving rubric, for tests.

    What it does is in its score method.
    """

    id = "{rid}"
    title = "Plugin"
    version = "1.0"
    default_weight = 5
    contract_version = 1
    red_flag_ids = {flags}

    def score(self, profile, params):
'''
PRINTS = '''        print("hello from a rubric")
        import sys
        sys.stdout.write("more noise\\n")
        return RubricResult(coverage=0.0, data_gaps=[DataGap(field="x", reason="nothing")])
'''
MUTATES = '''        object.__setattr__(profile, "id", "../../mutated-evil")
        profile.sources.clear()
        return RubricResult(coverage=0.0, data_gaps=[DataGap(field="x", reason="nothing")])
'''
UNDECLARED_FLAG = '''        return RubricResult(coverage=0.0, data_gaps=[DataGap(field="x", reason="nothing")],
                            red_flags=[RedFlag(id="surprise", title="Surprise", detail="not declared")])
'''


def plugin_dir(tmp_path: Path, body: str, rid: str = "plugin", flags: str = "None") -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir(exist_ok=True)
    (directory / f"{rid}.py").write_text(HEADER.format(rid=rid, flags=flags) + body, encoding="utf-8")
    return directory


def builtin_json() -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--json"])
    assert result.exit_code == 0
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_what_a_rubric_prints_goes_to_stderr_and_score_json_stays_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--json", "--rubrics-dir", str(plugin_dir(tmp_path, PRINTS))])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the whole of stdout is the assessment
    assert data["adjusted_score"] == builtin_json()["adjusted_score"]
    assert "hello from a rubric" in result.stderr and "more noise" in result.stderr
    assert "hello" not in result.stdout


def test_a_printing_rubric_in_whatif_json_and_sensitivity(tmp_path: Path) -> None:
    plugins = plugin_dir(tmp_path, PRINTS)
    result = runner.invoke(app, ["whatif", str(WEDOCTOR), "--set", "periods[2025H1].customers.largest_share=40%", "--json",
                                 "--rubrics-dir", str(plugins)])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert "hello from a rubric" in result.stderr


def test_a_rubric_that_mutates_the_profile_is_a_contract_failure_and_cannot_steer_file_names(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    result = runner.invoke(app, ["memo", str(WEDOCTOR), "--format", "all", "--out", str(out),
                                 "--rubrics-dir", str(plugin_dir(tmp_path, MUTATES))])
    assert result.exit_code == 1, result.output  # a rubric failed; the memo is still written
    assert "warning: rubric plugin was not scored: mutated the profile it was given" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["wedoctor.html", "wedoctor.md"]
    assert not list(tmp_path.rglob("mutated-evil*"))
    memo = (out / "wedoctor.md").read_text(encoding="utf-8")
    assert "mutated the profile" in memo  # shown as not scored, with the reason


def test_after_a_mutating_rubric_the_profile_is_restored_and_the_others_score_as_usual(tmp_path: Path) -> None:
    profile = load_profile(WEDOCTOR)
    before = profile.model_dump_json()
    clean = api.score(profile)
    result = api.score(profile, rubrics_dirs=[plugin_dir(tmp_path, MUTATES)])
    assert profile.model_dump_json() == before  # the caller's object, restored in place
    assert profile.id == "wedoctor" and result.profile_id == "wedoctor"
    failed = {o.id: o.error for o in result.rubrics if o.status == "error"}
    assert list(failed) == ["plugin"] and "mutated the profile" in (failed["plugin"] or "")
    others = [o for o in result.rubrics if o.id != "plugin"]
    for mine, theirs in zip(others, clean.rubrics, strict=True):  # every other rubric saw the profile intact
        assert (mine.id, mine.score, mine.status) == (theirs.id, theirs.score, theirs.status)
    assert result.adjusted_score == clean.adjusted_score
    # The written precision of every figure survives the restore (memo output is byte-identical).
    assert api.render(profile, "md") == api.render(load_profile(WEDOCTOR), "md")


def test_a_red_flag_the_rubric_does_not_declare_is_a_contract_failure(tmp_path: Path) -> None:
    declared = plugin_dir(tmp_path, UNDECLARED_FLAG, flags='("plugin_cliff",)')
    result = api.score(WEDOCTOR, rubrics_dirs=[declared])
    (plugin,) = [o for o in result.rubrics if o.id == "plugin"]
    assert plugin.status == "error"
    assert plugin.error == "raised red flags it does not declare in red_flag_ids: surprise"
    assert "surprise" not in [f.id for f in result.red_flags]


def test_an_undeclared_rubric_s_flags_must_start_with_its_id(tmp_path: Path) -> None:
    result = api.score(WEDOCTOR, rubrics_dirs=[plugin_dir(tmp_path, UNDECLARED_FLAG, rid="nodecl")])
    (plugin,) = [o for o in result.rubrics if o.id == "nodecl"]
    assert plugin.status == "error" and "surprise" in (plugin.error or "")


def test_a_nan_never_gets_a_band_the_engine_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscore.scoring import registry

    monkeypatch.setattr(registry, "check_against_rubrics", lambda *args: None)  # a bug past the configuration checks...
    monkeypatch.setattr(Config, "weight_for", lambda self, rid, default: float("nan"))  # ...slips a NaN weight in
    result = runner.invoke(app, ["score", str(WEDOCTOR)])
    assert result.exit_code == 1
    assert "breaks its invariant (every score a finite number within 0-100, or unscored)" in result.stderr
    assert "nan" in result.stderr
    assert result.stdout == ""  # no table, no band
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("field, value", [("indicated_score", float("nan")), ("adjusted_score", 100.5), ("adjusted_score", -1.0),
                                          ("floor_applied", float("inf")), ("coverage", float("nan"))])
def test_check_invariant_refuses_each_out_of_range_figure(field: str, value: float) -> None:
    good = api.score(WEDOCTOR)
    assert engine_module.check_invariant(good) is good
    bad = good.model_copy(update={field: value})
    with pytest.raises(engine_module.InvariantError, match=field):
        engine_module.check_invariant(bad)


def test_check_invariant_refuses_a_band_without_a_score() -> None:
    good = api.score(WEDOCTOR)
    with pytest.raises(engine_module.InvariantError, match="adjusted_score None but adjusted_band 'Severe'"):
        engine_module.check_invariant(good.model_copy(update={"adjusted_score": None}))


@pytest.mark.parametrize("assignment, message", [
    ("sources=[a", "sources: the value '[a' is not valid YAML"),
    ("sources=null", "sources: Input should be a valid list"),
    ("sources='[a'", "sources: Input should be a valid list"),
    ("company={name: [}", "company: the value '{name: [}' is not valid YAML"),
])
def test_whatif_set_with_a_bad_value_exits_2(assignment: str, message: str) -> None:
    result = runner.invoke(app, ["whatif", str(WEDOCTOR), "--set", assignment])
    assert result.exit_code == 2, result.output
    assert f"error: --set: {message}" in result.stderr
    assert "Traceback" not in result.stderr and "TypeError" not in result.stderr


@pytest.mark.parametrize("kind", ["broken", "missing"])
def test_batch_with_a_broken_or_missing_plugin_warns_and_exits_1(tmp_path: Path, kind: str) -> None:
    plugins = tmp_path / "plugins"
    if kind == "broken":
        plugins.mkdir()
        (plugins / "broken.py").write_text("raise ImportError('cannot import this')\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(WEDOCTOR), "--out", str(out), "--format", "json", "--quiet", "--rubrics-dir", str(plugins)])
    assert result.exit_code == 1, result.output
    expected = (f"warning: rubric plugin broken ({plugins / 'broken.py'}) not loaded: ImportError: cannot import this" if kind == "broken"
                else f"warning: rubric plugin plugins ({plugins}) not loaded: not a directory")
    assert expected in result.stderr
    assert (out / "wedoctor.json").is_file() and (out / "summary.csv").is_file()  # the batch ran without it
    score = runner.invoke(app, ["score", str(WEDOCTOR), "--rubrics-dir", str(plugins)])
    assert score.exit_code == 1  # as score does
