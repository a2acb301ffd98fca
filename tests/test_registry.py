"""Rubric discovery (riskscore/scoring/registry.py): entry points, then `*.py` modules from rubrics
directories, each loaded in isolation; contract checks at load; duplicate ids; the CLI's view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.errors import RubricLoadError
from riskscore.profile.load import load_profile
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.contract import SUPPORTED_CONTRACT_VERSIONS
from riskscore.scoring.engine import assess

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
BUILTINS = {"customer_concentration", "margin", "losses", "governance", "technology_dependence", "redemption_overhang"}
runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def rubric_source(class_name: str = "Steady", rid: str = "steady", *, doc: str | None = None, extra: str = "",
                  metadata: str | None = None) -> str:
    """A plugin module defining one rubric that scores `level` and cites the profile's first source."""
    doc = '"""Steady: a fixed score, for tests.\n\n    Returns `level` with its band and cites the first source.\n    """' if doc is None else doc
    metadata = (f'id = "{rid}"\n    title = "Steady {rid}"\n    version = "1.0"\n    default_weight = 10\n    contract_version = 1'
                if metadata is None else metadata)
    return f'''
from riskscore.scoring.contract import Evidence, Rubric, RubricParams, RubricResult
from riskscore.scoring.scale import band_for


class {class_name}(Rubric):
    {doc}

    {metadata}
    {extra}

    class Params(RubricParams):
        level: float = 30

    def score(self, profile, params):
        return RubricResult(score=params.level, band=band_for(params.level),
                            evidence=[Evidence(statement="fixed", sources=[profile.sources[0].id])])
'''


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def plugins(loaded: list[registry.LoadedRubric]) -> list[registry.LoadedRubric]:
    """The items that came from rubrics directories (not entry points)."""
    return [item for item in loaded if item.name not in BUILTINS or item.origin.endswith(".py")]


def by_origin(loaded: list[registry.LoadedRubric], path: Path) -> list[registry.LoadedRubric]:
    return [item for item in loaded if item.origin == str(path)]


# --------------------------------------------------------------------------- discovery


def test_good_module_is_discovered_with_its_file_origin_and_scores(tmp_path: Path) -> None:
    path = write(tmp_path / "plugins", "steady.py", rubric_source())
    loaded = registry.discover([tmp_path / "plugins"])
    [item] = by_origin(loaded, path)
    assert item.ok and item.name == "steady" and item.error is None
    assert item.rubric is not None and item.rubric.title == "Steady steady"

    config = load_config(None, rubrics_dirs=[tmp_path / "plugins"])
    rubrics = registry.select(config, loaded)
    assert {r.id for r in rubrics} == BUILTINS | {"steady"}
    assessment = assess(load_profile(WEDOCTOR), config, rubrics)
    steady = next(o for o in assessment.rubrics if o.id == "steady")
    assert steady.status == "scored" and steady.score == 30 and steady.configured_weight == 10

    result = run("score", WEDOCTOR, "--json", "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert next(r for r in data["rubrics"] if r["id"] == "steady")["score"] == 30


def test_module_raising_at_import_is_reported_and_others_still_load(tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.py", 'raise RuntimeError("kaput at import")\n')
    good = write(tmp_path, "steady.py", rubric_source())
    loaded = registry.discover([tmp_path])
    [failed] = by_origin(loaded, bad)
    assert not failed.ok and failed.rubric is None
    assert failed.name == "broken"
    assert failed.error == "RuntimeError: kaput at import"
    assert [i.ok for i in by_origin(loaded, good)] == [True]
    assert BUILTINS <= {i.name for i in loaded if i.ok}  # the entry-point built-ins are unaffected


def test_syntax_error_in_a_module_is_reported(tmp_path: Path) -> None:
    bad = write(tmp_path, "typo.py", "def oops(:\n")
    [item] = by_origin(registry.discover([tmp_path]), bad)
    assert not item.ok and item.error is not None and item.error.startswith("SyntaxError")


def test_module_defining_no_rubric_is_reported(tmp_path: Path) -> None:
    # Importing the base class (or a built-in rubric) does not count as defining one.
    path = write(tmp_path, "helpers.py", "from riskscore.scoring.contract import Rubric\nfrom rubrics.margin import Margin\nX = 1\n")
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok and item.name == "helpers"
    assert item.error == "defines no Rubric subclass"


def test_each_rubric_a_module_defines_is_loaded(tmp_path: Path) -> None:
    text = rubric_source("Beta", "beta") + rubric_source("Alpha", "alpha").split("\n\n\n", 1)[1]
    path = write(tmp_path, "two.py", text)
    assert [i.name for i in by_origin(registry.discover([tmp_path]), path)] == ["alpha", "beta"]  # sorted by class name


@pytest.mark.parametrize("name", ["_private.py", "test_steady.py", "__init__.py"])
def test_private_and_test_modules_are_skipped(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, rubric_source(rid="skipped") + "\nraise RuntimeError('must not be imported')\n")
    assert plugins(registry.discover([tmp_path])) == []


def test_non_python_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "# not a rubric\n")
    write(tmp_path, "steady.py.bak", "raise RuntimeError\n")
    assert plugins(registry.discover([tmp_path])) == []


# --------------------------------------------------------------------------- contract checks at load


def test_unsupported_contract_version_is_refused_naming_the_supported_versions(tmp_path: Path) -> None:
    path = write(tmp_path, "future.py", rubric_source(extra="contract_version = 2"))
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok and item.name == "steady"
    assert "built for rubric contract 2" in (item.error or "")
    supported = ", ".join(str(v) for v in SUPPORTED_CONTRACT_VERSIONS)
    assert f"supports contract version {supported}" in (item.error or "")


def test_a_string_contract_version_is_refused_showing_values_with_repr(tmp_path: Path) -> None:
    path = write(tmp_path, "stringy.py", rubric_source(extra='contract_version = "1"'))
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok
    assert item.error == ("built for rubric contract '1'; this riskscore supports contract version 1 "
                          "(write contract_version = 1, an int, not the string '1')")


def test_a_params_field_without_default_is_reported_against_the_plugin_and_the_others_run(tmp_path: Path) -> None:
    text = rubric_source().replace("level: float = 30", "level: float\n        cap: float")
    path = write(tmp_path, "nodefault.py", text)
    good = write(tmp_path, "other.py", rubric_source("Other", "other"))
    loaded = registry.discover([tmp_path])
    [item] = by_origin(loaded, path)
    assert not item.ok and item.name == "steady"
    assert item.error == "Params.level, Params.cap have no default; every parameter needs one"
    assert [i.ok for i in by_origin(loaded, good)] == [True]

    result = run("score", WEDOCTOR, "--json", "--rubrics-dir", tmp_path)
    assert result.exit_code == 1, result.output  # a plugin did not load: not the input's fault
    assert (f"warning: rubric plugin steady ({path}) not loaded: Params.level, Params.cap have no default; "
            "every parameter needs one") in result.stderr
    assert "defaults.toml" not in result.stderr
    scored = {r["id"] for r in json.loads(result.stdout)["rubrics"] if r["status"] == "scored"}
    assert "other" in scored and "customer_concentration" in scored


def test_a_builtin_s_parameters_may_default_from_the_packaged_defaults(tmp_path: Path) -> None:
    """The built-ins keep their defaults in riskscore/defaults.toml; that counts as a default."""
    from rubrics.margin import Margin

    assert any(info.is_required() for info in Margin.Params.model_fields.values())
    registry.check_params(Margin)


def test_rubric_without_docstring_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "nodoc.py", rubric_source(doc="# no docstring"))
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok and "no docstring" in (item.error or "")


@pytest.mark.parametrize("missing", ["id", "title", "version", "default_weight", "contract_version"])
def test_missing_metadata_is_refused(tmp_path: Path, missing: str) -> None:
    values = {"id": '"steady"', "title": '"Steady"', "version": '"1.0"', "default_weight": "10", "contract_version": "1"}
    del values[missing]
    metadata = "\n    ".join(f"{k} = {v}" for k, v in values.items())
    path = write(tmp_path, "partial.py", rubric_source(metadata=metadata))
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok
    hint = " (set contract_version = 1, the version of the rubric contract the class was written for)" if missing == "contract_version" else ""
    assert item.error == f"missing metadata: {missing}{hint}"
    assert item.name == ("Steady" if missing == "id" else "steady")  # the class name stands in for a missing id


def test_params_not_a_rubric_params_model_is_refused(tmp_path: Path) -> None:
    text = rubric_source().replace("class Params(RubricParams):", "class Params:")
    path = write(tmp_path, "plainparams.py", text)
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert not item.ok and "Params must subclass riskscore.rubric.RubricParams" in (item.error or "")


def test_check_rubric_class_refuses_non_rubrics() -> None:
    with pytest.raises(RubricLoadError, match="not a subclass of riskscore.rubric.Rubric"):
        registry.check_rubric_class(object)
    with pytest.raises(RubricLoadError, match="not a subclass"):
        registry.check_rubric_class(len)


# --------------------------------------------------------------------------- duplicates


def test_duplicate_of_a_builtin_id_fails_select_naming_both_origins(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.py", rubric_source("Dup", "margin"))
    loaded = registry.discover([tmp_path])
    builtin_origin = next(i.origin for i in loaded if i.name == "margin" and i.origin != str(path))
    assert registry.duplicates(loaded) == {"margin": [builtin_origin, str(path)]}
    with pytest.raises(RubricLoadError) as info:
        registry.select(load_config(None, rubrics_dirs=[tmp_path]), loaded)
    message = str(info.value)
    assert "'margin'" in message and builtin_origin in message and str(path) in message


def test_duplicate_shown_by_rubrics_command_with_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.py", rubric_source("Dup", "margin"))
    result = run("rubrics", "--rubrics-dir", tmp_path)
    assert result.exit_code == 1
    dup_lines = [line for line in result.stdout.splitlines() if line.startswith("margin ")]
    assert len(dup_lines) == 2 and all("DUPLICATE" in line for line in dup_lines)
    builtin_origin = next(i.origin for i in registry.discover() if i.name == "margin")
    assert "two rubrics share the id 'margin'" in result.stderr
    assert builtin_origin in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.output


def test_duplicate_makes_scoring_fail_with_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.py", rubric_source("Dup", "margin"))
    result = run("score", WEDOCTOR, "--rubrics-dir", tmp_path)
    assert result.exit_code == 1
    assert "two rubrics share the id 'margin'" in result.stderr and str(path) in result.stderr


def test_duplicate_within_rubrics_directories(tmp_path: Path) -> None:
    first = write(tmp_path / "one", "steady.py", rubric_source())
    second = write(tmp_path / "two", "steady_again.py", rubric_source())
    loaded = registry.discover([tmp_path / "one", tmp_path / "two"])
    assert registry.duplicates(loaded) == {"steady": [str(first), str(second)]}


# --------------------------------------------------------------------------- directories


def test_nonexistent_directory_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    loaded = registry.discover([missing])
    [item] = plugins(loaded)
    assert not item.ok and item.origin == str(missing) and item.error == "not a directory"
    assert BUILTINS <= {i.name for i in loaded if i.ok}

    result = runner.invoke(app, ["rubrics", "--rubrics-dir", str(missing)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert re.search(rf"^nope\s+ERROR\s+{re.escape(str(missing))}\s+not a directory$", result.stdout, re.M), result.stdout
    listed = json.loads(run("rubrics", "--rubrics-dir", missing, "--json").stdout)
    assert {"name": "nope", "status": "error", "origin": str(missing), "error": "not a directory"}.items() <= listed[-1].items()


def test_a_file_given_as_directory_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "steady.py", rubric_source())
    [item] = plugins(registry.discover([path]))
    assert not item.ok and item.error == "not a directory"


def test_two_directories_load_in_the_order_given_files_sorted_by_name(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "zeta.py", rubric_source("Zeta", "zeta"))
    write(first, "eta.py", rubric_source("Eta", "eta"))
    write(second, "alpha.py", rubric_source("Alpha", "alpha"))
    assert [i.name for i in plugins(registry.discover([first, second]))] == ["eta", "zeta", "alpha"]
    assert [i.name for i in plugins(registry.discover([second, first]))] == ["alpha", "eta", "zeta"]
    # the entry points come first
    names = [i.name for i in registry.discover([second, first])]
    assert set(names[:len(BUILTINS)]) == BUILTINS

    result = runner.invoke(app, ["rubrics", "--rubrics-dir", str(first), "--rubrics-dir", str(second)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed[-3:] == ["eta", "zeta", "alpha"]
    assert str(second / "alpha.py") in result.stdout
    as_json = json.loads(run("rubrics", "--rubrics-dir", first, "--rubrics-dir", second, "--json").stdout)
    assert [r["id"] for r in as_json[-3:]] == ["eta", "zeta", "alpha"] and as_json[-1]["origin"] == str(second / "alpha.py")


def test_same_module_name_in_two_directories_does_not_clash(tmp_path: Path) -> None:
    write(tmp_path / "one", "plugin.py", rubric_source("One", "one"))
    write(tmp_path / "two", "plugin.py", rubric_source("Two", "two"))
    loaded = plugins(registry.discover([tmp_path / "one", tmp_path / "two"]))
    assert [(i.name, i.ok) for i in loaded] == [("one", True), ("two", True)]


def test_score_with_a_broken_plugin_still_scores_and_warns(tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.py", 'raise RuntimeError("kaput")\n')
    write(tmp_path, "steady.py", rubric_source())
    result = run("score", WEDOCTOR, "--json", "--rubrics-dir", tmp_path)
    assert result.exit_code != 2, result.output
    data = json.loads(result.stdout)  # stdout is still only JSON
    assert {r["id"] for r in data["rubrics"]} == BUILTINS | {"steady"}
    assert all(r["status"] != "error" for r in data["rubrics"])
    assert f"warning: rubric plugin broken ({bad}) not loaded: RuntimeError: kaput" in result.stderr
    # The table form scores too.
    table = run("score", WEDOCTOR, "--rubrics-dir", tmp_path)
    assert "Adjusted score" in table.stdout and "Steady steady" in table.stdout


def test_rubrics_listing_shows_errors_with_origin_and_exits_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.py", 'raise RuntimeError("kaput")\n')
    good = write(tmp_path, "steady.py", rubric_source())
    result = runner.invoke(app, ["rubrics", "--rubrics-dir", str(tmp_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert re.search(rf"^broken\s+ERROR\s+{re.escape(str(bad))}\s+RuntimeError: kaput$", result.stdout, re.M), result.stdout
    steady = next(line for line in result.stdout.splitlines() if line.startswith("steady "))
    assert "enabled" in steady and str(good) in steady and "v1.0" in steady


# --------------------------------------------------------------------------- known problems


def test_a_plugin_can_import_its_private_helper_module(tmp_path: Path) -> None:
    write(tmp_path, "_helpers.py", "LEVEL = 42\n")
    importing = "try:\n    from ._helpers import LEVEL\nexcept ImportError:\n    from _helpers import LEVEL\n"
    path = write(tmp_path, "steady.py", importing + rubric_source())
    [item] = by_origin(registry.discover([tmp_path]), path)
    assert item.ok, item.error


def test_the_same_directory_given_twice_is_loaded_once(tmp_path: Path) -> None:
    write(tmp_path / "plugins", "steady.py", rubric_source())
    cfg = write(tmp_path, "riskscore.toml", 'rubrics_dirs = ["plugins"]\n')
    config = load_config(cfg, rubrics_dirs=[tmp_path / "plugins"])
    assert "steady" in [r.id for r in registry.select(config)]


# --------------------------------------------------------------------------- failures are values, visible and recoverable


def test_discover_returns_a_value_with_the_failures(tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.py", 'raise RuntimeError("kaput")\n')
    write(tmp_path, "steady.py", rubric_source())
    discovery = registry.discover([tmp_path])
    assert isinstance(discovery, registry.Discovery)
    assert [f.model_dump() for f in discovery.failures] == [{"name": "broken", "origin": str(bad), "error": "RuntimeError: kaput"}]
    assert "steady" in [r.id for r in discovery.rubrics]
    assert list(discovery) == list(discovery.items) and len(discovery) == len(discovery.items)  # still a sequence of LoadedRubric
    [item] = by_origin(discovery, bad)
    assert item.traceback is not None and 'raise RuntimeError("kaput")' in item.traceback
    assert registry.discover([tmp_path]).failures == discovery.failures  # no state carried between calls


def test_score_json_and_memo_list_the_plugins_that_failed_to_load(tmp_path: Path) -> None:
    bad = write(tmp_path / "plugins", "broken.py", 'raise RuntimeError("kaput")\n')
    result = run("score", WEDOCTOR, "--json", "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["plugin_failures"] == [{"name": "broken", "origin": str(bad), "error": "RuntimeError: kaput"}]

    out = tmp_path / "out"
    result = run("memo", WEDOCTOR, "--rubrics-dir", tmp_path / "plugins", "--out", out)
    assert result.exit_code == 1
    md = (out / "wedoctor.md").read_text(encoding="utf-8")
    methodology = md.split("## Methodology", 1)[1].split("## Sources", 1)[0]
    assert f"Rubric plugins that failed to load, so were not run:\n- broken ({bad}): RuntimeError: kaput\n" in methodology
    html = (out / "wedoctor.html").read_text(encoding="utf-8")
    assert f"<li>broken ({bad}): RuntimeError: kaput</li>" in html.split("<h2>Methodology</h2>", 1)[1]


def test_without_failures_the_json_says_so_and_the_memo_says_nothing(tmp_path: Path) -> None:
    result = run("score", WEDOCTOR, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["plugin_failures"] == []
    assert run("memo", WEDOCTOR, "--out", tmp_path, "--format", "md").exit_code == 0
    assert "failed to load" not in (tmp_path / "wedoctor.md").read_text(encoding="utf-8")


def test_api_reports_plugin_failures_too(tmp_path: Path) -> None:
    from riskscore import api

    bad = write(tmp_path, "broken.py", 'raise RuntimeError("kaput")\n')
    result = api.score(WEDOCTOR, rubrics_dirs=[tmp_path])
    assert [(f.name, f.origin) for f in result.plugin_failures] == [("broken", str(bad))]
    assert f"broken ({bad}): RuntimeError: kaput" in api.render(WEDOCTOR, "md", rubrics_dirs=[tmp_path])


@pytest.mark.parametrize("setting, field", [
    ('[weights]\nsteady = 5\n', "weights.steady"),
    ('[rubrics.steady]\nlevel = 40\n', "rubrics.steady"),
    ('enabled = ["margin", "steady"]\n', "enabled"),
])
def test_configuring_a_plugin_that_failed_to_load_says_so(tmp_path: Path, setting: str, field: str) -> None:
    path = write(tmp_path / "plugins", "steady.py", rubric_source().replace("class Params(RubricParams):", "class Params(RubricParams):\n        broken: int\n"))
    cfg = write(tmp_path, "riskscore.toml", setting)
    result = run("score", WEDOCTOR, "--config", cfg, "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 2
    assert f"warning: rubric plugin steady ({path}) not loaded: Params.broken has no default" in result.stderr
    assert f"{cfg}: {field}: rubric 'steady' failed to load (see above): {path}" in result.stderr
    assert "no rubric has the id" not in result.stderr and "unknown rubric" not in result.stderr


def test_an_unknown_id_is_still_called_unknown(tmp_path: Path) -> None:
    cfg = write(tmp_path, "riskscore.toml", '[weights]\nnope = 5\n')
    result = run("score", WEDOCTOR, "--config", cfg)
    assert result.exit_code == 2 and "no rubric has the id 'nope'" in result.stderr


def test_a_duplicate_id_blocks_only_runs_that_enable_it(tmp_path: Path) -> None:
    dup = write(tmp_path / "plugins", "dup.py", rubric_source("Dup", "margin"))
    write(tmp_path / "plugins", "steady.py", rubric_source())
    without = write(tmp_path, "without.toml", 'enabled = ["losses", "steady"]\n')
    result = run("score", WEDOCTOR, "--json", "--config", without, "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)["rubrics"]] == ["losses", "steady"]

    with_it = write(tmp_path, "with.toml", 'enabled = ["margin", "steady"]\n')
    result = run("score", WEDOCTOR, "--config", with_it, "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 1
    message = result.stderr
    assert "two rubrics share the id 'margin': riskscore 0.1.0 and " + str(dup) in message
    assert "uninstall one (pip uninstall <package>) or rename its id" in message
    assert "or leave 'margin' out of `enabled` in riskscore.toml to run without it" in message
    assert "Traceback" not in result.output


def test_trace_lists_every_entry_point_and_module_and_what_became_of_it(tmp_path: Path) -> None:
    plugins_dir = tmp_path / "plugins"
    write(plugins_dir, "_helpers.py", "X = 1\n")
    broken = write(plugins_dir, "broken.py", 'raise RuntimeError("kaput")\n')
    dup = write(plugins_dir, "dup.py", rubric_source("Dup", "margin"))
    steady = write(plugins_dir, "steady.py", rubric_source())
    tests = write(plugins_dir, "test_steady.py", "raise RuntimeError('never imported')\n")
    write(plugins_dir, "notes.md", "not a module\n")
    result = run("rubrics", "--trace", "--rubrics-dir", plugins_dir)
    assert result.exit_code == 1, result.output  # one failed, one duplicate
    lines = result.stdout.splitlines()
    entry_points = [line for line in lines if "entry point" in line]
    assert len(entry_points) == len(BUILTINS)
    assert "loaded     entry point  customer_concentration = rubrics.customer_concentration:CustomerConcentration (riskscore 0.1.0) → customer_concentration" in lines
    assert "duplicate  entry point  margin = rubrics.margin:Margin (riskscore 0.1.0) → margin: id also defined by " + str(dup) in lines
    assert lines[len(BUILTINS):] == [
        f"skipped    module       {plugins_dir / '_helpers.py'}: a private helper (name starts with '_'), imported only by the plugins that use it",
        f"failed     module       {broken}: RuntimeError: kaput",
        f"duplicate  module       {dup} → margin: id also defined by riskscore 0.1.0",
        f"loaded     module       {steady} → steady",
        f"skipped    module       {tests}: a test module (name starts with 'test_')",
    ]
    assert result.stderr.strip() == f"{len(BUILTINS) - 1 + 1} loaded, 1 failed, 2 duplicate, 2 skipped"


def test_trace_of_a_clean_installation_exits_0() -> None:
    result = run("rubrics", "--trace")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(BUILTINS)
    assert all(line.startswith("loaded     entry point  ") for line in result.stdout.splitlines())


def test_under_riskscore_debug_a_raising_rubric_s_traceback_is_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raising = rubric_source().replace("        return RubricResult(", "        raise KeyError('revenue')\n        return RubricResult(")
    path = write(tmp_path, "raising.py", raising)
    monkeypatch.delenv("RISKSCORE_DEBUG", raising=False)
    quiet = run("score", WEDOCTOR, "--rubrics-dir", tmp_path)
    assert quiet.exit_code == 1
    assert "warning: rubric steady was not scored: KeyError: 'revenue' (set RISKSCORE_DEBUG=1 for the traceback)" in quiet.stderr
    assert "Traceback" not in quiet.stderr

    monkeypatch.setenv("RISKSCORE_DEBUG", "1")
    loud = run("score", WEDOCTOR, "--rubrics-dir", tmp_path)
    assert loud.exit_code == 1
    assert "RISKSCORE_DEBUG: rubric steady raised:\nTraceback (most recent call last):" in loud.stderr
    assert f'File "{path}", line ' in loud.stderr and "raise KeyError('revenue')" in loud.stderr
    assert "warning: rubric steady was not scored: KeyError: 'revenue'\n" in loud.stderr  # no hint: the traceback is there


def test_under_riskscore_debug_a_plugin_import_traceback_is_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = write(tmp_path, "broken.py", 'import json\n\n\ndef boom():\n    raise RuntimeError("kaput")\n\n\nboom()\n')
    monkeypatch.setenv("RISKSCORE_DEBUG", "1")
    result = run("score", WEDOCTOR, "--rubrics-dir", tmp_path)
    assert result.exit_code == 1
    assert f"warning: rubric plugin broken ({bad}) not loaded: RuntimeError: kaput\nTraceback (most recent call last):" in result.stderr
    assert f'File "{bad}", line 5, in boom' in result.stderr


def test_entry_point_origin_is_its_distribution_name_and_version_read_once_per_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry point's origin is ``name version`` of its distribution, whose METADATA is parsed once, not twice per entry point."""
    import importlib.metadata

    real = importlib.metadata.entry_points
    found = list(real(group=registry.GROUP))
    dists = {id(ep.dist): ep.dist for ep in found}
    assert len(found) >= 6 and len(dists) == 1  # the built-ins share riskscore's distribution
    expected = {ep.name: f"{ep.dist.name} {ep.dist.version}" for ep in found}
    reads: list[str] = []
    dist_type = type(next(iter(dists.values())))
    read_text = dist_type.read_text

    def counting(self, filename):  # type: ignore[no-untyped-def]
        reads.append(filename)
        return read_text(self, filename)

    monkeypatch.setattr(dist_type, "read_text", counting)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **params: importlib.metadata.EntryPoints(found))
    loaded = registry.discover()
    assert {item.name: item.origin for item in loaded} == expected
    assert reads.count("METADATA") == len(dists)
