"""Configuration (riskscore/scoring/config.py, riskscore/cli/showconfig.py): file discovery, layers and
their origins, rubric sets, rubrics directories, and errors naming the file and the key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.scoring import registry
from riskscore.scoring.config import DEFAULTS_LABEL, find_config_file, load_config

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
FINANCIAL = ["customer_concentration", "margin", "losses", "redemption_overhang"]
DEFAULT = f"default ({DEFAULTS_LABEL})"
runner = CliRunner()

PLUGIN = '''
from riskscore.scoring.contract import Rubric, RubricParams, RubricResult
from riskscore.scoring.scale import band_for


class Steady(Rubric):
    """Steady: a fixed score, for tests.

    Returns `level` with its band.
    """

    id = "steady"
    title = "Steady"
    version = "1.0"
    default_weight = 10
    contract_version = 1

    class Params(RubricParams):
        level: float = 30

    def score(self, profile, params):
        return RubricResult(score=params.level, band=band_for(params.level))
'''


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def score_json(*args: object) -> dict:  # type: ignore[type-arg]
    result = run("score", WEDOCTOR, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rubric(data: dict, rid: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in data["rubrics"] if r["id"] == rid)


# --------------------------------------------------------------------------- discovery


def test_riskscore_toml_in_the_working_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "riskscore.toml", "[weights]\nmargin = 42\n")
    monkeypatch.chdir(tmp_path)
    assert find_config_file() == cfg.resolve()
    config = load_config(discover=True)
    assert config.weights["margin"] == 42
    assert config.origin("weights.margin") == f"file ({cfg.resolve()})"
    assert rubric(score_json(), "margin")["configured_weight"] == 42


def test_discovery_is_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "riskscore.toml", "[weights]\nmargin = 42\n")
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.files == (DEFAULTS_LABEL,) and config.weights == load_config(None).weights


def test_pyproject_with_tool_riskscore_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.riskscore.weights]\nlosses = 33\n')
    monkeypatch.chdir(tmp_path)
    assert find_config_file() == cfg.resolve()
    config = load_config(discover=True)
    assert config.weights["losses"] == 33 and config.files[-1] == str(cfg.resolve())
    assert rubric(score_json(), "losses")["configured_weight"] == 33


def test_error_in_pyproject_names_tool_riskscore_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "pyproject.toml", "[tool.riskscore]\nweigths = { margin = 1 }\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        load_config(discover=True)
    assert info.value.file == str(cfg.resolve())
    assert [p.field for p in info.value.problems] == ["tool.riskscore.weigths"]
    result = run("score", WEDOCTOR)
    assert result.exit_code == 2
    assert f"{cfg.resolve()}: tool.riskscore.weigths:" in result.stderr


@pytest.mark.parametrize("table,body,key", [
    ("engine", 'missing_data = "guess"', "tool.riskscore.engine.missing_data"),
    ("rubrics.margin", "core_wieght = 0.5", "tool.riskscore.rubrics.margin.core_wieght"),
    ("weights", "no_such_rubric = 3", "tool.riskscore.weights.no_such_rubric"),
])
def test_every_error_in_pyproject_names_the_tool_riskscore_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, body: str, key: str) -> None:
    write(tmp_path / "pyproject.toml", f"[tool.riskscore.{table}]\n{body}\n")
    monkeypatch.chdir(tmp_path)
    result = run("score", WEDOCTOR)
    assert result.exit_code == 2
    assert f": {key}:" in result.stderr


def test_pyproject_without_the_table_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = write(tmp_path / "riskscore.toml", "[weights]\nmargin = 7\n")
    inner = write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "x"\n\n[tool.black]\nline-length = 100\n')
    monkeypatch.chdir(inner.parent)
    assert find_config_file() == outer.resolve()  # searched past the pyproject without [tool.riskscore]
    assert load_config(discover=True).weights["margin"] == 7


def test_found_in_a_parent_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "riskscore.toml", "[weights]\nmargin = 9\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_config_file() == cfg.resolve()
    assert find_config_file(deep) == cfg.resolve()
    assert rubric(score_json(), "margin")["configured_weight"] == 9


def test_the_nearest_file_wins_and_riskscore_toml_before_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "riskscore.toml", "")
    sub = tmp_path / "sub"
    pyproject = write(sub / "pyproject.toml", "[tool.riskscore]\n")
    assert find_config_file(sub) == pyproject.resolve()
    toml = write(sub / "riskscore.toml", "")
    assert find_config_file(sub) == toml.resolve()


def test_config_option_wins_over_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "riskscore.toml", "[weights]\nmargin = 42\n")
    explicit = write(tmp_path / "other" / "explicit.toml", "[weights]\nmargin = 5\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(explicit, discover=True)
    assert config.weights["margin"] == 5 and config.files == (DEFAULTS_LABEL, str(explicit))
    assert rubric(score_json("--config", explicit), "margin")["configured_weight"] == 5


def test_missing_config_file_is_invalid_input(tmp_path: Path) -> None:
    result = run("score", WEDOCTOR, "--config", tmp_path / "nope.toml")
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.toml'}: no such file" in result.stderr


# --------------------------------------------------------------------------- origins


def test_origins_default_file_and_command_line(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write(plugins / "steady.py", PLUGIN)
    cfg = write(tmp_path / "riskscore.toml", '[engine]\nmissing_data = "neutral"\n\n[rubrics.margin]\ncore_weight = 0.5\n')

    config = load_config(cfg, rubric_set="financial", rubrics_dirs=[plugins])
    assert config.origin("engine.neutral_score") == DEFAULT
    assert config.origin("weights.margin") == DEFAULT
    assert config.origin("engine.missing_data") == f"file ({cfg})"
    assert config.origin("rubrics.margin.core_weight") == f"file ({cfg})"
    assert config.origin("rubrics.margin.consolidated_weight") == DEFAULT
    assert config.origin("rubric_set") == "command line (--rubric-set)"
    assert config.origin("rubrics_dirs") == "command line (--rubrics-dir)"
    assert config.origin("enabled") == "command line (--rubric-set) → rubric set 'financial'"
    assert config.origin("no.such.key") == ""
    assert config.rubrics_dirs == (plugins,)


def test_config_show_toml_carries_each_origin(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write(plugins / "steady.py", PLUGIN)
    cfg = write(tmp_path / "riskscore.toml", '[engine]\nmissing_data = "neutral"\n')
    result = run("config", "show", "--config", cfg, "--rubric-set", "financial", "--rubrics-dir", plugins)
    assert result.exit_code == 0, result.output
    lines = {line.split("=", 1)[0].strip(): line for line in result.stdout.splitlines() if "=" in line and not line.startswith("#")}
    assert f"# file ({cfg})" in lines["missing_data"]
    assert f"# {DEFAULT}" in lines["neutral_score"]
    assert "# command line (--rubric-set)" in lines["rubric_set"]
    assert "# command line (--rubrics-dir)" in lines["rubrics_dirs"]
    assert "# command line (--rubric-set) → rubric set 'financial'" in lines["enabled"]
    assert "steady" not in result.stdout.split("[engine]")[0]  # found, but not in the chosen set

    data = tomllib.loads(result.stdout)  # comments are TOML comments: the output parses as is
    assert data["enabled"] == FINANCIAL
    assert data["engine"]["missing_data"] == "neutral"
    assert data["rubric_set"] == "financial" and data["rubrics_dirs"] == [str(plugins)]
    assert data["rubrics"]["margin"]["gross_margin_grid"][0] == [0, 100]


def test_config_show_output_can_be_used_as_a_config_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[weights]\nmargin = 30\n\n[rubrics.losses]\ntrend_points = 7\n')
    shown = run("config", "show", "--config", cfg)
    assert shown.exit_code == 0, shown.output
    copy = write(tmp_path / "copy" / "riskscore.toml", shown.stdout)
    again = run("config", "show", "--json", "--config", copy)
    assert again.exit_code == 0, again.output
    first = json.loads(run("config", "show", "--json", "--config", cfg).stdout)
    second = json.loads(again.stdout)
    assert {k: v["value"] for k, v in first.items()} == {k: v["value"] for k, v in second.items()}


def test_config_show_json(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[weights]\nmargin = 30\n')
    result = run("config", "show", "--json", "--config", cfg, "--rubric-set", "conduct")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert all(set(entry) == {"value", "origin"} for entry in data.values())
    assert data["weights.governance"] == {"value": 15, "origin": DEFAULT}
    assert data["rubric_set"] == {"value": "conduct", "origin": "command line (--rubric-set)"}
    assert data["enabled"]["value"] == ["governance", "technology_dependence"]
    assert data["engine.missing_data"] == {"value": "reallocate", "origin": DEFAULT}
    assert "weights.margin" not in data  # not enabled in this set
    plain = json.loads(run("config", "show", "--json", "--config", cfg).stdout)
    assert plain["weights.margin"] == {"value": 30, "origin": f"file ({cfg})"}
    assert plain["enabled"]["origin"] == "default (every rubric found)"


def test_config_show_origin_of_dict_valued_settings_set_in_a_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml",
                "[engine]\nred_flag_floors = { largest_customer_majority = 80 }\n\n"
                "[rubrics.governance.base_severity]\nwarning_letter = 40\n")
    data = json.loads(run("config", "show", "--json", "--config", cfg).stdout)
    assert data["engine.red_flag_floors"]["value"] == {"largest_customer_majority": 80}
    assert data["rubrics.governance.base_severity"]["value"]["warning_letter"] == 40
    assert data["engine.red_flag_floors"]["origin"] == f"file ({cfg})"
    assert data["rubrics.governance.base_severity"]["origin"].startswith(f"file ({cfg})")


# --------------------------------------------------------------------------- rubric sets


def test_builtin_financial_set_enables_exactly_the_four_financial_rubrics() -> None:
    config = load_config(None, rubric_set="financial")
    assert config.rubric_set == "financial" and config.enabled == FINANCIAL
    assert [r.id for r in registry.select(config)] == FINANCIAL
    data = score_json("--rubric-set", "financial")
    assert [r["id"] for r in data["rubrics"]] == FINANCIAL
    assert sum(r["weight"] for r in data["rubrics"]) == pytest.approx(100.0, abs=1e-2)  # percent in JSON
    listing = run("rubrics", "--rubric-set", "financial")
    assert "disabled" in next(line for line in listing.stdout.splitlines() if line.startswith("governance "))
    assert "enabled" in next(line for line in listing.stdout.splitlines() if line.startswith("margin "))


def test_set_defined_in_a_file_with_weights_and_params(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", """
[rubric_sets.lean]
description = "Margin and losses only"
enabled = ["margin", "losses"]
weights = { margin = 70, losses = 30 }

[rubric_sets.lean.rubrics.margin]
core_weight = 0.9
consolidated_weight = 0.1
""")
    config = load_config(cfg, rubric_set="lean")
    assert config.enabled == ["margin", "losses"]
    assert config.weights["margin"] == 70 and config.weights["losses"] == 30
    assert config.rubric_params["margin"]["core_weight"] == 0.9
    defaults = load_config(None)
    assert config.rubric_params["margin"]["core_revenue_share"] == defaults.rubric_params["margin"]["core_revenue_share"]  # the rest stays
    assert config.rubric_sets["lean"] == "Margin and losses only"
    label = "command line (--rubric-set) → rubric set 'lean'"
    assert config.origin("weights.margin") == label and config.origin("rubrics.margin.core_weight") == label
    assert config.origin("rubrics.margin.core_revenue_share") == DEFAULT
    assert config.weights["customer_concentration"] == defaults.weights["customer_concentration"]  # not in the set: untouched

    data = score_json("--config", cfg, "--rubric-set", "lean")
    assert [r["id"] for r in data["rubrics"]] == ["margin", "losses"]
    assert [r["configured_weight"] for r in data["rubrics"]] == [70, 30]

    # Without selecting the set, nothing of it applies.
    assert load_config(cfg).enabled is None and load_config(cfg).weights == defaults.weights


def test_rubric_set_chosen_in_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", 'rubric_set = "lean"\n\n[rubric_sets.lean]\nenabled = ["losses"]\n')
    config = load_config(cfg)
    assert config.rubric_set == "lean" and config.enabled == ["losses"]
    assert config.origin("rubric_set") == f"file ({cfg})"
    assert config.origin("enabled") == f"file ({cfg}) → rubric set 'lean'"
    assert [r["id"] for r in score_json("--config", cfg)["rubrics"]] == ["losses"]
    # --rubric-set overrides the file's choice.
    other = load_config(cfg, rubric_set="lean")
    assert other.origin("rubric_set") == "command line (--rubric-set)"


def test_builtin_sets_stay_available_when_a_file_defines_its_own(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[rubric_sets.lean]\nenabled = ["losses"]\n')
    assert set(load_config(cfg).rubric_sets) == {"conduct", "financial", "lean"}
    assert load_config(cfg, rubric_set="financial").enabled == FINANCIAL


def test_unknown_rubric_set_on_the_command_line_is_exit_2_listing_defined_sets() -> None:
    result = run("score", WEDOCTOR, "--rubric-set", "nope")
    assert result.exit_code == 2
    assert "no rubric set named 'nope'" in result.stderr
    assert "defined: conduct, financial" in result.stderr
    assert "--rubric-set" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_rubric_set_in_the_file_names_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", 'rubric_set = "nope"\n')
    result = run("config", "show", "--config", cfg)
    assert result.exit_code == 2
    assert f"{cfg}: rubric_set: no rubric set named 'nope'; defined: conduct, financial" in result.stderr


def test_set_enabling_an_unknown_rubric_is_invalid(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[rubric_sets.typo]\nenabled = ["marign"]\n')
    result = run("score", WEDOCTOR, "--config", cfg, "--rubric-set", "typo")
    assert result.exit_code == 2
    assert "unknown rubric 'marign'" in result.stderr and str(cfg) in result.stderr


def test_rubric_set_with_unknown_keys_is_invalid(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[rubric_sets.lean]\nenable = ["losses"]\n')
    with pytest.raises(InputError) as info:
        load_config(cfg)
    assert [p.field for p in info.value.problems] == ["rubric_sets.lean.enable"]


# --------------------------------------------------------------------------- rubrics directories and rubric keys


def test_rubrics_dirs_in_a_config_file_are_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    write(project / "plugins" / "steady.py", PLUGIN)
    cfg = write(project / "conf" / "riskscore.toml", 'rubrics_dirs = ["../plugins"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(cfg)
    assert [d.resolve() for d in config.rubrics_dirs] == [(project / "plugins").resolve()]
    assert config.origin("rubrics_dirs") == f"file ({cfg})"
    assert "steady" in [r["id"] for r in score_json("--config", cfg)["rubrics"]]


def test_rubrics_dirs_from_the_file_come_before_the_command_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", 'rubrics_dirs = ["from_file"]\n')
    config = load_config(cfg, rubrics_dirs=[tmp_path / "from_cli"])
    assert config.rubrics_dirs == (tmp_path / "from_file", tmp_path / "from_cli")


def test_discovered_config_resolves_rubrics_dirs_next_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "plugins" / "steady.py", PLUGIN)
    write(tmp_path / "riskscore.toml", 'rubrics_dirs = ["plugins"]\n')
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert "steady" in [r["id"] for r in score_json()["rubrics"]]


def test_param_typo_is_exit_2_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "riskscore.toml", "[rubrics.margin]\ncore_wieght = 0.5\n")
    monkeypatch.chdir(tmp_path)
    result = run("score", WEDOCTOR)  # discovered
    assert result.exit_code == 2
    assert f"{cfg.resolve()}: rubrics.margin.core_wieght: margin has no parameter 'core_wieght'" in result.stderr
    assert "Traceback" not in result.output


def test_param_of_the_wrong_type_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", '[rubrics.margin]\ncore_weight = "heavy"\n')
    result = run("score", WEDOCTOR, "--config", cfg)
    assert result.exit_code == 2
    assert "rubrics.margin.core_weight" in result.stderr


def test_section_for_an_unknown_rubric_is_an_error(tmp_path: Path) -> None:
    cfg = write(tmp_path / "riskscore.toml", "[rubrics.nope]\nx = 1\n")
    with pytest.raises(InputError) as info:
        registry.select(load_config(cfg))
    assert info.value.file == str(cfg)
    assert [p.field for p in info.value.problems] == ["rubrics.nope"]
    result = run("score", WEDOCTOR, "--config", cfg)
    assert result.exit_code == 2
    assert "rubrics.nope: no rubric has the id 'nope'" in result.stderr


def test_weights_and_params_for_a_plugin_rubric(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write(plugins / "steady.py", PLUGIN)
    cfg = write(tmp_path / "riskscore.toml", "[weights]\nsteady = 40\n\n[rubrics.steady]\nlevel = 70\n")
    data = score_json("--config", cfg, "--rubrics-dir", plugins)
    steady = rubric(data, "steady")
    assert steady["configured_weight"] == 40 and steady["score"] == 70

    shown = json.loads(run("config", "show", "--json", "--config", cfg, "--rubrics-dir", plugins).stdout)
    assert shown["weights.steady"] == {"value": 40, "origin": f"file ({cfg})"}
    assert shown["rubrics.steady.level"] == {"value": 70, "origin": f"file ({cfg})"}

    defaults = json.loads(run("config", "show", "--json", "--rubrics-dir", plugins).stdout)
    plugin_default = f"rubric default ({plugins / 'steady.py'})"
    assert defaults["weights.steady"] == {"value": 10, "origin": plugin_default}
    assert defaults["rubrics.steady.level"] == {"value": 30, "origin": plugin_default}

    # Without the plugin directory, the same file names a rubric nobody defines.
    result = run("score", WEDOCTOR, "--config", cfg)
    assert result.exit_code == 2
    assert f"{cfg}: weights.steady: no rubric has the id 'steady'" in result.stderr


def test_param_typo_for_a_plugin_rubric_is_named(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write(plugins / "steady.py", PLUGIN)
    cfg = write(tmp_path / "riskscore.toml", "[rubrics.steady]\nlevle = 70\n")
    result = run("score", WEDOCTOR, "--config", cfg, "--rubrics-dir", plugins)
    assert result.exit_code == 2
    assert "rubrics.steady.levle: steady has no parameter 'levle'" in result.stderr


def test_packaged_defaults_are_read_once_and_every_caller_gets_its_own_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """load_config and rubric discovery share one parse of defaults.toml; changing a copy changes nothing else."""
    from riskscore.scoring import config as config_module

    on_disk = tomllib.loads(config_module.DEFAULTS.read_text(encoding="utf-8"))
    mine = config_module.packaged_defaults()
    assert mine == on_disk
    mine["weights"]["margin"] = 999
    mine["rubrics"].clear()
    assert config_module.packaged_defaults() == on_disk
    assert load_config(None).weights["margin"] == on_disk["weights"]["margin"]
    monkeypatch.setattr(config_module, "_parse", lambda *args: pytest.fail("defaults.toml parsed again"))
    assert load_config(None).rubric_params == on_disk["rubrics"]
