"""riskscore/pipeline.py: one run, assembled once, used by every entry point.

The configuration's ``[memo]`` settings (peer set, precedents, calibration) reach the memo
whichever way it is made: ``riskscore memo``, ``riskscore batch``, ``api.render``,
``api.batch`` and the trend memo.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

from riskscore import api
from riskscore.analysis import peers as pr
from riskscore.analysis.calibration import calibration_line, load_calibration, probability
from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.pipeline import MemoOptions, Pipeline

ROOT = Path(__file__).resolve().parent.parent
COMPANIES = ROOT / "companies"
WEDOCTOR = COMPANIES / "wedoctor.yaml"
CALIBRATION = ROOT / "reports" / "calibration.json"
PEER_LINE = "Peer set: tag:health-tech (23 companies"
MEMO_FORMATS: tuple[Literal["md", "html"], ...] = ("md", "html")


def run(*args: object) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def memo_config(tmp_path: Path) -> Path:
    """A riskscore.toml whose [memo] table asks for peers, two precedents and a calibration file (next to it)."""
    folder = tmp_path / "settings"
    folder.mkdir()
    shutil.copy(CALIBRATION, folder / "fitted.json")
    cfg = folder / "riskscore.toml"
    cfg.write_text('[memo]\npeers = "tag:health-tech"\nprecedents = 2\ncalibration = "fitted.json"\n', encoding="utf-8")
    return cfg


def expected_calibration_line() -> str:
    """The calibration line's opening, worked out from the calibration file, independently of the memo code.

    A model without demonstrated skill (the committed history's case) gives the base rate in
    force instead of a probability; a skilful one gives the company's probability.
    """
    calibration = load_calibration(CALIBRATION)
    if calibration["validation"]["demonstrated_skill"]:
        return f"Estimated probability that the listing fails: {100 * probability(calibration, api.score(WEDOCTOR)):.0f}%"
    return f"Base rate of failure: {100 * calibration['base_rate']['prior_rate']:.1f}%, not a probability for this company"


def check_memo(text: str) -> None:
    """The memo carries the [memo] settings: the calibration line, the peer ranks and two precedents."""
    assert expected_calibration_line() in text
    assert PEER_LINE in text
    assert "Closest precedents" in text
    if text.startswith("#"):  # Markdown: `precedents = 2` rows, the two closest
        section = text[text.index("## Peers and precedents"):]
        header = "| Company | Distance | Rubrics compared | Adjusted score | What became of the listing |"
        rows = section[section.index(header):].split("\n\n")[0].splitlines()[2:]
        assert [r.split(" | ")[0] for r in rows] == ["| QingSong Health Corporation", "| Dingdang Health"]


# --------------------------------------------------------------------------- every entry point applies [memo]


def test_cli_memo_applies_memo_settings(tmp_path: Path, memo_config: Path) -> None:
    result = run("memo", WEDOCTOR, "--config", memo_config, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name in ("wedoctor.md", "wedoctor.html"):
        check_memo((tmp_path / "out" / name).read_text(encoding="utf-8"))


def test_api_render_applies_memo_settings(memo_config: Path) -> None:
    for fmt in MEMO_FORMATS:
        check_memo(api.render(WEDOCTOR, fmt, config=memo_config))


def test_api_render_of_a_profile_object_looks_for_peers_in_the_working_directory(memo_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(COMPANIES)
    check_memo(api.render(api.load(WEDOCTOR), "md", config=memo_config))


def test_batch_applies_memo_settings(tmp_path: Path, memo_config: Path) -> None:
    report = api.batch([WEDOCTOR], tmp_path / "api", formats=["md", "html"], config=memo_config)
    assert report.exit_code == 0, [o.error for o in report.outcomes]
    for name in ("wedoctor.md", "wedoctor.html"):
        check_memo((tmp_path / "api" / name).read_text(encoding="utf-8"))
    result = run("batch", WEDOCTOR, "--out", tmp_path / "cli", "--format", "md", "--config", memo_config, "--quiet")
    assert result.exit_code == 0, result.output
    check_memo((tmp_path / "cli" / "wedoctor.md").read_text(encoding="utf-8"))


def test_batch_with_a_config_found_upwards_applies_memo_settings(tmp_path: Path, memo_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(memo_config.parent)  # riskscore.toml discovered, as for `riskscore memo`
    result = run("batch", WEDOCTOR, "--out", tmp_path / "out", "--format", "md", "--quiet")
    assert result.exit_code == 0, result.output
    check_memo((tmp_path / "out" / "wedoctor.md").read_text(encoding="utf-8"))


def test_every_entry_point_writes_the_same_memo(tmp_path: Path, memo_config: Path) -> None:
    assert run("memo", WEDOCTOR, "--config", memo_config, "--out", tmp_path / "memo").exit_code == 0
    api.batch([WEDOCTOR], tmp_path / "batch", formats=["md", "html"], config=memo_config)
    for fmt in MEMO_FORMATS:
        by_memo = (tmp_path / "memo" / f"wedoctor.{fmt}").read_text(encoding="utf-8")
        assert (tmp_path / "batch" / f"wedoctor.{fmt}").read_text(encoding="utf-8") == by_memo
        assert api.render(WEDOCTOR, fmt, config=memo_config) == by_memo


def test_trend_applies_memo_settings(tmp_path: Path, memo_config: Path) -> None:
    result = run("trend", WEDOCTOR, "--config", memo_config, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "wedoctor-trend.md").read_text(encoding="utf-8")
    html = (tmp_path / "wedoctor-trend.html").read_text(encoding="utf-8")
    assert "## Peers and calibration" in md and "<h2>Peers and calibration</h2>" in html
    pipeline = Pipeline.open(memo_config)
    trend = pipeline.trend(pipeline.load(WEDOCTOR), source=WEDOCTOR)
    fitted = load_calibration(CALIBRATION)
    assert not fitted["validation"]["demonstrated_skill"]  # the committed history: the base-rate sentence, not a probability per point
    for text in (md, html_lib.unescape(html)):
        assert calibration_line(fitted, trend.points[-1].assessment) in text
        assert "Estimated probability" not in text
        assert PEER_LINE in text
    assert len(trend.points) > 1
    # the ranks are the latest point's, which is the profile as of its own date: the memo's ranks
    assert "| Losses and cash burn (score) | 53.2 | 38 | 21 |" in md


def test_without_memo_settings_nothing_is_added(tmp_path: Path) -> None:
    """No [memo] peers or calibration: the pipeline's documents are the committed reports."""
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    documents = pipeline.render(profile, pipeline.assess(profile), ["md", "html"], source=WEDOCTOR)
    for fmt, text in documents.items():
        assert text == (ROOT / "reports" / f"wedoctor.{fmt}").read_text(encoding="utf-8")
    trend = pipeline.render_trend(pipeline.trend(profile, source=WEDOCTOR), ["md"])["md"]
    assert trend == (ROOT / "reports" / "wedoctor-trend.md").read_text(encoding="utf-8")
    assert "Peers and calibration" not in trend


# --------------------------------------------------------------------------- options and values


def test_command_line_choices_override_the_memo_table(memo_config: Path) -> None:
    pipeline = Pipeline.open(memo_config)
    configured = pipeline.memo_options()
    assert configured == MemoOptions(peers="tag:health-tech", precedents=2, calibration=str(memo_config.parent / "fitted.json"))
    chosen = pipeline.memo_options(peers="jd-health", precedents=0, calibration="other.json", sensitivity=True)
    assert chosen == MemoOptions(peers="jd-health", precedents=0, calibration="other.json", sensitivity=True)
    assert Pipeline.open().memo_options() == MemoOptions(peers=None, precedents=3, calibration=None)


def test_render_gives_each_format_asked_for_in_order() -> None:
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    documents = pipeline.render(profile, pipeline.assess(profile), ["json", "md"])
    assert list(documents) == ["json", "md"]
    assert documents["json"].startswith("{") and documents["md"].startswith("# IPO listing-risk memo")
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        pipeline.render(profile, pipeline.assess(profile), ["pdf"])


def test_each_peer_is_loaded_and_scored_once_per_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = pr.load

    def counting(paths: list[Path], *args: Any, **kwargs: Any) -> list[pr.Peer]:
        calls.extend(p.name for p in paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(pr, "load", counting)
    pipeline = Pipeline.open()
    profile = pipeline.load(WEDOCTOR)
    first = pipeline.peers("tag:health-tech", profile, WEDOCTOR)
    again = pipeline.peers("jd-health,zhiyun-health", profile, WEDOCTOR)
    assert len(first) == 23 and [p.profile.id for p in again] == ["jd-health", "zhiyun-health"]
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 23  # the two named again were not reloaded


def test_a_company_is_never_its_own_peer_even_from_the_cache() -> None:
    pipeline = Pipeline.open()
    jd = pipeline.load(COMPANIES / "jd-health.yaml")
    assert [p.profile.id for p in pipeline.peers("jd-health,zhiyun-health", jd, COMPANIES / "jd-health.yaml")] == ["zhiyun-health"]
    wedoctor = pipeline.load(WEDOCTOR)
    assert "jd-health" in [p.profile.id for p in pipeline.peers("jd-health,zhiyun-health", wedoctor, WEDOCTOR)]


BROKEN = "raise RuntimeError('kaput')\n"


def test_plugin_load_failures_are_a_value(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN, encoding="utf-8")
    seen: list[str] = []
    pipeline = Pipeline.open(rubrics_dirs=[tmp_path], on_load_failure=lambda item: seen.append(item.name))
    assert [(f.name, f.error) for f in pipeline.load_failures] == [("broken", "RuntimeError: kaput")]
    assert seen == ["broken"]
    assert "broken" not in [r.id for r in pipeline.rubrics] and len(pipeline.rubrics) == 6
    assert Pipeline.open().load_failures == []  # nothing carried over between pipelines


def test_load_failures_are_reported_before_a_selection_error_they_cause(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN, encoding="utf-8")
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text("[weights]\nbroken = 10\n", encoding="utf-8")
    seen: list[str] = []
    with pytest.raises(InputError, match="broken"):
        Pipeline.open(cfg, rubrics_dirs=[tmp_path], on_load_failure=lambda item: seen.append(item.name))
    assert seen == ["broken"]
    result = run("score", WEDOCTOR, "--config", cfg, "--rubrics-dir", tmp_path)
    assert result.exit_code == 2
    warning, error = result.stderr.index("not loaded: RuntimeError: kaput"), result.stderr.index("error:")
    assert warning < error


@pytest.mark.parametrize("command", [("score", WEDOCTOR), ("memo", WEDOCTOR, "--out", "{out}"), ("trend", WEDOCTOR, "--out", "{out}")])
def test_commands_exit_1_and_warn_when_a_plugin_failed_to_load(tmp_path: Path, command: tuple[Any, ...]) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "broken.py").write_text(BROKEN, encoding="utf-8")
    args = [str(a).replace("{out}", str(tmp_path / "out")) for a in command]
    result = run(*args, "--rubrics-dir", tmp_path / "plugins")
    assert result.exit_code == 1, result.output
    assert re.search(r"warning: rubric plugin broken \(.*broken\.py\) not loaded: RuntimeError: kaput", result.stderr)
