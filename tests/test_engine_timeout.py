"""The engine's isolation of one rubric (riskscore/scoring/engine.py run_rubric / assess): a rubric that
overruns `engine.rubric_timeout_seconds` or returns an invalid result is reported as an error
and the others still score. The time limits here check behaviour, they are not speed targets."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore.cli.app import app
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.scoring import registry
from riskscore.scoring.config import Config, load_config
from riskscore.scoring.contract import Rubric, RubricResult
from riskscore.scoring.engine import Assessment, assess, run_rubric
from riskscore.testing import sample_profiles

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
SLEEP = 3.0
OVERRAN = "did not finish within 0.2 s (engine.rubric_timeout_seconds)"
runner = CliRunner()


class Sleepy(Rubric):
    """Sleepy: never finishes in time.

    Sleeps far longer than the configured timeout, then scores 10.
    """

    id = "sleepy"
    title = "Sleepy"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        time.sleep(SLEEP)
        return RubricResult(score=10, band="Low")


class Stubborn(Sleepy):
    """Stubborn: swallows every Exception while it sleeps.

    Must still be stopped by the timeout.
    """

    id = "stubborn"

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        try:
            time.sleep(SLEEP)
        except Exception:
            pass
        return RubricResult(score=10, band="Low")


class OutOfRange(Rubric):
    """Out of range: a result built without validation.

    Returns a score of 150 via model_construct.
    """

    id = "out_of_range"
    title = "Out of range"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        return RubricResult.model_construct(score=150.0, band="Severe")


class Exits(Rubric):
    """Exits: calls sys.exit.

    A rubric must not be able to stop the run.
    """

    id = "exits"
    title = "Exits"
    version = "0.1"
    default_weight = 10

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        sys.exit(3)


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(WEDOCTOR)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "riskscore.toml"
    path.write_text("[engine]\nrubric_timeout_seconds = 0.2\n", encoding="utf-8")
    return load_config(path)


def outcome(assessment: Assessment, rid: str):  # type: ignore[no-untyped-def]
    return next(o for o in assessment.rubrics if o.id == rid)


def assert_others_scored(assessment: Assessment, failed: str) -> None:
    others = [o for o in assessment.rubrics if o.id != failed]
    assert len(others) == 6 and all(o.status in ("scored", "no_data") for o in others), [(o.id, o.error) for o in others]
    assert assessment.adjusted_score is not None


def test_timeout_is_read_from_the_config_file(config: Config) -> None:
    assert config.engine.rubric_timeout_seconds == 0.2
    assert load_config(None).engine.rubric_timeout_seconds == 30


@pytest.mark.parametrize("slow", [Sleepy, Stubborn], ids=lambda r: r.id)
def test_rubric_overrunning_the_timeout_is_an_error_and_assess_returns_promptly(profile: Profile, config: Config, slow: type[Rubric]) -> None:
    rubrics = registry.select(config) + [slow]
    start = time.monotonic()
    assessment = assess(profile, config, rubrics)
    elapsed = time.monotonic() - start
    assert elapsed < 2, f"assess took {elapsed:.1f} s; the {SLEEP} s rubric was not cut off"
    failed = outcome(assessment, slow.id)
    assert failed.status == "error" and failed.error == OVERRAN
    assert failed.score is None and failed.weight == 0 and failed.result is None
    assert f"Not scored: {OVERRAN}" in [g.reason for g in assessment.data_gaps if g.rubric == slow.id]
    assert [o.id for o in assessment.failed] == [slow.id]
    assert_others_scored(assessment, slow.id)


def test_timeout_leaves_no_alarm_handler_behind(profile: Profile, config: Config) -> None:
    before = signal.getsignal(signal.SIGALRM) if hasattr(signal, "SIGALRM") else None
    assess(profile, config, [Sleepy])
    if hasattr(signal, "SIGALRM"):
        assert signal.getsignal(signal.SIGALRM) is before
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_also_applies_off_the_main_thread(profile: Profile, config: Config) -> None:
    box: list[Assessment] = []
    worker = threading.Thread(target=lambda: box.append(assess(profile, config, registry.select(config) + [Sleepy])))
    start = time.monotonic()
    worker.start()
    worker.join(10)
    assert box, "assess did not return"
    assert time.monotonic() - start < 2
    assert outcome(box[0], "sleepy").error == OVERRAN
    assert_others_scored(box[0], "sleepy")


def test_fast_rubrics_are_unaffected_by_a_timeout(profile: Profile, config: Config) -> None:
    default = load_config(None)
    with_timeout = assess(profile, config, registry.select(config))
    without = assess(profile, default, registry.select(default))
    assert with_timeout.model_dump() == without.model_dump()


def test_cli_reports_the_timeout_and_exits_1(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "sleepy.py").write_text(
        "import time\n"
        "from riskscore.scoring.contract import Rubric, RubricResult\n\n\n"
        "class Sleepy(Rubric):\n"
        '    """Sleepy.\n\n    Sleeps too long.\n    """\n\n'
        '    id = "sleepy"\n    title = "Sleepy"\n    version = "0.1"\n    default_weight = 10\n    contract_version = 1\n\n'
        "    def score(self, profile, params):\n"
        f"        time.sleep({SLEEP})\n"
        "        return RubricResult()\n", encoding="utf-8")
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text("[engine]\nrubric_timeout_seconds = 0.2\n", encoding="utf-8")
    start = time.monotonic()
    result = runner.invoke(app, ["score", str(WEDOCTOR), "--json", "--config", str(cfg), "--rubrics-dir", str(plugins)])
    assert time.monotonic() - start < 2
    assert result.exit_code == 1
    assert f"warning: rubric sleepy was not scored: {OVERRAN}" in result.stderr
    data = json.loads(result.stdout)
    assert next(r for r in data["rubrics"] if r["id"] == "sleepy")["status"] == "error"
    assert data["adjusted_score"] is not None


def test_invalid_result_is_an_error_and_the_others_score(profile: Profile, config: Config) -> None:
    assessment = assess(profile, config, registry.select(config) + [OutOfRange])
    failed = outcome(assessment, "out_of_range")
    assert failed.status == "error" and failed.result is None
    assert failed.error is not None and failed.error.startswith("returned an invalid result: ")
    assert "100" in failed.error  # "Input should be less than or equal to 100"
    assert_others_scored(assessment, "out_of_range")


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_run_rubric_reports_an_invalid_result_with_or_without_timeout(timeout: float | None) -> None:
    sample = sample_profiles()[0]
    result, error = run_rubric(OutOfRange, sample, OutOfRange.Params(), timeout)
    assert result is None and error is not None and error.startswith("returned an invalid result")


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_timeout_does_not_cancel_the_callers_interval_timer(profile: Profile) -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        cfg = load_config(None)
        assess(profile, cfg, registry.select(cfg))
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert remaining > 20
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_rubric_calling_sys_exit_is_reported(profile: Profile, config: Config) -> None:
    assessment = assess(profile, config, registry.select(config) + [Exits])
    assert "SystemExit" in (outcome(assessment, "exits").error or "")
    assert_others_scored(assessment, "exits")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_rubric_calling_sys_exit_off_the_main_thread_is_not_called_a_timeout() -> None:
    sample = sample_profiles()[0]
    box: list[tuple[RubricResult | None, str | None]] = []
    worker = threading.Thread(target=lambda: box.append(run_rubric(Exits, sample, Exits.Params(), 5.0)))
    worker.start()
    worker.join(10)
    assert box
    _, error = box[0]
    assert error is not None and "did not finish" not in error and "SystemExit" in error


@pytest.mark.parametrize("score", [150.0, -1.0, float("nan"), "high"])
def test_run_rubric_without_revalidation_still_refuses_an_invalid_score(score: object) -> None:
    """The searches' cheaper run (revalidate=False) checks the score they read."""

    class Bad(OutOfRange):
        def score(self, profile, params):  # type: ignore[no-untyped-def]
            return RubricResult.model_construct(score=score, band="Severe")

    result, error = run_rubric(Bad, sample_profiles()[0], Bad.Params(), revalidate=False)
    assert result is None and error is not None and "score" in error


def test_run_rubric_without_revalidation_returns_a_valid_result_unchanged() -> None:
    config = load_config(None)
    (rubric,) = [r for r in registry.select(config) if r.id == "losses"]
    profile = load_profile(WEDOCTOR)
    params = registry.params_for(rubric, config)
    checked, _ = run_rubric(rubric, profile, params)
    quick, error = run_rubric(rubric, profile, params, revalidate=False)
    assert error is None and quick == checked


def test_the_verdict_search_stops_a_rubric_that_hangs_on_a_changed_figure(profile: Profile, config: Config) -> None:
    """The memo's 'what would change the verdict' re-runs rubrics on changed copies of the profile;
    each re-run has the engine's timeout, so a rubric that hangs there cannot hang the memo."""
    from riskscore.analysis.whatif import WHATIF_SOURCE, verdict_change

    rubrics = registry.select(config)
    hanging: list[type[Rubric]] = []
    for rubric in rubrics:
        class HangsOnWhatIf(rubric):  # type: ignore[valid-type,misc]
            def score(self, profile, params):  # type: ignore[no-untyped-def]
                if any(s.id == WHATIF_SOURCE for s in profile.sources):
                    time.sleep(30)
                return super().score(profile, params)

        hanging.append(HangsOnWhatIf)
    assessment = assess(profile, config, hanging)
    assert not assessment.failed
    start = time.monotonic()
    change = verdict_change(profile, assessment, config, hanging)
    assert time.monotonic() - start < 15
    assert change is not None and change.evaluations > 0
    assert all(edge.move is None for edge in change.edges)  # every re-run was stopped, so no change was found
