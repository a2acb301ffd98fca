"""The ``riskscore`` command line.

Exit codes: 0 ok; 1 a failure that is not the input's fault (including a rubric that
failed while the others scored — the output is still written); 2 invalid input (the
message names the file, the field and the reason).

``--json`` writes only JSON to stdout; everything meant for a person goes to stderr.
Heavy modules (Jinja2, the charts) are imported only by the commands that render.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal, Optional, TypeVar

import typer

from riskscore.errors import BusyError, InputError, RubricLoadError, WriteError
from riskscore.report import format as formatting

if TYPE_CHECKING:
    from riskscore.pipeline import Pipeline
    from riskscore.profile.model import Profile
    from riskscore.scoring.engine import Assessment
    from riskscore.scoring.registry import Discovery, LoadedRubric

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic's model_json_schema writes

app = typer.Typer(
    name="riskscore",
    help="Score the listing risk of IPO candidates from sourced company profiles.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
schema_app = typer.Typer(help="Print JSON Schemas.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(schema_app, name="schema")

ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="TOML configuration (default: riskscore.toml or [tool.riskscore] in pyproject.toml, searched upwards).", show_default=False)]
RubricSetOption = Annotated[Optional[str], typer.Option("--rubric-set", help="Named rubric set from the configuration.", show_default=False)]
RubricsDirOption = Annotated[Optional[list[Path]], typer.Option("--rubrics-dir", help="Directory of local rubric modules (repeatable).", show_default=False)]
T = TypeVar("T")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``; turn input errors into exit 2 and anything else into exit 1, without a traceback."""
    try:
        return action()
    except InputError as exc:
        _err(f"error: {exc}" if len(exc.problems) == 1 else f"error: {len(exc.problems)} problems\n{exc}")
        raise typer.Exit(EXIT_INVALID) from None
    except (RubricLoadError, WriteError, BusyError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_FAILURE) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("RISKSCORE_DEBUG"):
            raise
        _err(f"error: {type(exc).__name__}: {exc} (set RISKSCORE_DEBUG=1 for a traceback)")
        raise typer.Exit(EXIT_FAILURE) from None


def _config(config_path: Path | None, rubric_set: str | None = None, rubrics_dirs: list[Path] | None = None):  # type: ignore[no-untyped-def]
    from riskscore.scoring.config import load_config

    return load_config(config_path, rubric_set=rubric_set, rubrics_dirs=rubrics_dirs or (), discover=True)


def _pipeline(config_path: Path | None, rubric_set: str | None = None, rubrics_dirs: list[Path] | None = None) -> "Pipeline":
    """The run's pipeline (configuration discovered as documented); each plugin that failed to load is warned about."""
    from riskscore.pipeline import Pipeline

    return Pipeline.open(config_path, rubric_set=rubric_set, rubrics_dirs=rubrics_dirs or (), discover=True,
                         on_load_failure=_warn_load_failure)


def _warn_load_failure(item: LoadedRubric) -> None:
    """A warning for a plugin that failed to load; its traceback too under RISKSCORE_DEBUG=1."""
    _err(f"warning: rubric plugin {item.name} ({item.origin}) not loaded: {item.error}")
    if os.environ.get("RISKSCORE_DEBUG") and item.traceback:
        _err(item.traceback.rstrip())


def _prepare(profile_path: Path, config_path: Path | None, rubric_set: str | None = None,
             rubrics_dirs: list[Path] | None = None) -> "tuple[Pipeline, Profile, Assessment]":
    pipeline = _pipeline(config_path, rubric_set, rubrics_dirs)
    profile = pipeline.load(profile_path)
    return pipeline, profile, pipeline.assess(profile)


def _report_failures(pipeline: "Pipeline", assessment: "Assessment | None" = None) -> int:
    """Exit code 1 when a rubric failed, or a plugin failed to load; the output was still written."""
    debug = bool(os.environ.get("RISKSCORE_DEBUG"))
    failed = assessment.failed if assessment is not None else []
    for outcome in failed:
        error = outcome.error or ""
        raised = not error.startswith(("returned", "did not finish", "ended without"))  # the others have no traceback to show
        _err(f"warning: rubric {outcome.id} was not scored: {error}" + (" (set RISKSCORE_DEBUG=1 for the traceback)" if raised and not debug else ""))
    return EXIT_FAILURE if failed or pipeline.load_failures else EXIT_OK


@app.command()
def score(
    profile: Annotated[Path, typer.Argument(help="Company profile (YAML).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Write the full assessment as JSON to stdout.")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Score on what had been disclosed by this date (YYYY-MM-DD); the rule trend and calibrate use.", show_default=False)] = None,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Score a profile and print the result (a table, or JSON with --json)."""
    def run() -> "tuple[Pipeline, Assessment]":
        pipeline = _pipeline(config, rubric_set, rubrics_dir)
        prof = pipeline.load(profile)
        return pipeline, pipeline.assess(prof if as_of is None else _view_as_of(profile, prof, as_of))

    pipeline, assessment = _guard(run)
    if as_json:
        typer.echo(assessment.model_dump_json(indent=2))
    else:
        typer.echo(_score_table(assessment))
    raise typer.Exit(_report_failures(pipeline, assessment))


def _view_as_of(profile_path: Path, profile: "Profile", as_of: str) -> "Profile":
    """The profile as known on ``as_of`` (riskscore.profile.pointintime: the rule trend and calibrate use)."""
    import datetime as dt

    from riskscore.errors import Problem
    from riskscore.profile.pointintime import profile_as_of

    try:
        date = dt.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(str(profile_path), [Problem("--as-of", f"expected a date as YYYY-MM-DD; got {as_of!r}")]) from None
    if date > profile.as_of:
        raise InputError(str(profile_path), [Problem("--as-of", f"{date} is after the profile's as_of {profile.as_of}")])
    return profile_as_of(profile, date)


def _score_table(a) -> str:  # type: ignore[no-untyped-def]
    rows = [("Rubric", "Weight", "Score", "Band", "Contrib.")]
    for o in a.rubrics:
        rows.append((o.title if o.status != "error" else f"{o.title} (error)", formatting.share(o.weight, 1), _num(o.score), o.band or "—", _num(o.contribution)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    fmt = lambda r: "  ".join(c.ljust(widths[i]) if i in (0, 3) else c.rjust(widths[i]) for i, c in enumerate(r))  # noqa: E731
    lines = [f"{a.company} — as of {a.as_of}", *_insufficient_headline(a), "", fmt(rows[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows[1:]]
    lines += ["", f"Indicated score  {_num(a.indicated_score)} ({a.indicated_band or 'not scored'})",
              f"Adjusted score   {_num(a.adjusted_score)} ({a.adjusted_band or 'not scored'})"
              + (f" — floored by red flags at {formatting.plain(a.floor_applied)}" if a.floor_applied is not None else ""),
              f"Coverage         {formatting.share(a.coverage)} of weight backed by evidence ({a.missing_data_policy})"]
    lines += _honesty_lines(a)
    if a.red_flags:
        lines += ["", "Red flags:"] + [f"  - {f.title}: {f.detail}" for f in a.red_flags]
    if a.conflicts:
        lines += ["", f"Source conflicts: {len(a.conflicts)} (see the memo or --json)"]
    return "\n".join(lines)


def _honesty_lines(a: "Assessment") -> list[str]:
    """Score range and confidence under the score table; an insufficient assessment says so first."""
    r = a.score_range
    span = "—" if r.low is None else f"{formatting.score(r.low)}–{formatting.score(r.high)} ({' to '.join(dict.fromkeys([r.bands[0], r.bands[-1]]))})"
    why = f"if the {len(r.unscored)} unscored rubric(s) scored anywhere from 0 to 100" if r.unscored else "every rubric scored"
    lines = [f"Score range      {span}, {why}", f"Confidence       {a.confidence}: {' '.join(a.confidence_reasons)}"]
    alt = a.other_policy
    if alt.adjusted_score != a.adjusted_score:
        lines.append(f"Other policy     {_num(alt.adjusted_score)} ({alt.adjusted_band or 'not scored'}) with missing data {alt.missing_data_policy}")
    return lines


def _insufficient_headline(a: "Assessment") -> list[str]:
    if a.confidence != "insufficient":
        return []
    missing = ", ".join(o.title for o in a.rubrics if o.id in a.score_range.unscored) or "none"
    return ["", f"INSUFFICIENT EVIDENCE: {formatting.share(a.coverage)} of the weight is backed by evidence; the overall score below is provisional.",
            f"Not scored: {missing} (`riskscore memo` lists the facts that would fill them)."]


def _write_documents(documents: dict[Path, str]) -> None:
    """Write rendered documents (all rendered before any is written) as one set: all or nothing."""
    from riskscore.io import write_set

    for path in _guard(lambda: write_set(documents)):
        _err(f"wrote {path}")


def _num(v: float | None) -> str:
    return formatting.score(v)


@app.command()
def memo(
    profile: Annotated[Path, typer.Argument(help="Company profile (YAML).", show_default=False)],
    fmt: Annotated[Literal["md", "html", "all"], typer.Option("--format", help="Memo format.")] = "all",
    out: Annotated[Path, typer.Option("--out", help="Directory to write <id>.md / <id>.html into.")] = Path("reports"),
    with_sensitivity: Annotated[bool, typer.Option("--sensitivity", help="Add a table: how far each rubric's key figure must move to change its band.")] = False,
    peers: Annotated[Optional[str], typer.Option("--peers", help="Peer set: ids (a,b), a directory, or tag:NAME; adds percentile ranks and closest precedents.", show_default=False)] = None,
    precedents: Annotated[Optional[int], typer.Option("--precedents", min=0, max=20, help="How many closest precedents (default: memo.precedents, 3).", show_default=False)] = None,
    calibration: Annotated[Optional[Path], typer.Option("--calibration", help="Calibration file from `riskscore calibrate`: show the estimated probability of failure.", show_default=False)] = None,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Write the risk memo for a profile as Markdown and/or self-contained HTML."""

    def build() -> "tuple[Pipeline, Assessment, dict[Path, str]]":
        pipeline, prof, assessment = _prepare(profile, config, rubric_set, rubrics_dir)
        options = pipeline.memo_options(peers=peers, precedents=precedents, calibration=calibration, sensitivity=with_sensitivity)
        formats = ("md", "html") if fmt == "all" else (fmt,)
        # Render everything before writing anything: a failure leaves no partial output.
        documents = pipeline.render(prof, assessment, formats, options, source=profile)
        return pipeline, assessment, {out / f"{assessment.profile_id}.{f}": text for f, text in documents.items()}  # the id as loaded

    pipeline, assessment, documents = _guard(build)
    if out.exists() and not out.is_dir():
        _err(f"error: {out}: --out must be a directory")
        raise typer.Exit(EXIT_INVALID)
    _write_documents(documents)
    raise typer.Exit(_report_failures(pipeline, assessment))


@app.command()
def validate(
    profiles: Annotated[list[Path], typer.Argument(help="Profiles to check.", show_default=False)],
    max_bytes: Annotated[Optional[int], typer.Option("--max-bytes", min=1, help="Refuse larger files (default: limits.max_profile_bytes).", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Also run the data-quality checks; warnings make the profile invalid.")] = False,
    sources: Annotated[Optional[Path], typer.Option("--sources", help="Folder of the sources' stored copies (their `file:`): check every quote occurs in its source.", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Check profiles against the schema and their cross-references; report every problem.

    Every quote's number must match its figure. With --sources DIR, every quote must also
    occur in its source's stored copy under DIR, and figures without a quote are listed.
    With --strict, also check the figures' arithmetic (segments add up, stated growth and
    margins match, cumulative claims match their periods) and list where sources disagree.
    """
    from riskscore.profile.load import load_profile_with_lines
    from riskscore.profile.quotes import report_quotes

    limit = max_bytes or _guard(lambda: _config(config)).limits.max_profile_bytes
    if sources is not None and not sources.is_dir():
        _err(f"error: --sources {sources}: not a directory")
        raise typer.Exit(EXIT_INVALID)
    bad = 0
    for path in profiles:
        try:
            profile, node = load_profile_with_lines(path, max_bytes=limit)
        except InputError as exc:
            bad += 1
            _err(str(exc))
            continue
        lines, failed = report_quotes(str(path), profile, node, sources)
        for line in lines:
            _err(line)
        if failed:
            bad += 1
            continue
        if strict:
            from riskscore.profile.quality import check_profile

            findings = check_profile(profile)
            for f in findings:
                _err(f"{path}: {f.field}: {f.severity}: {f.message} [{', '.join(f.sources)}]")
            if any(f.severity == "warning" for f in findings):
                bad += 1
                continue
        _err(f"ok: {path}")
    if bad:
        _err(f"{bad} of {len(profiles)} profile(s) invalid")
        raise typer.Exit(EXIT_INVALID)


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(help="Profiles: files, directories (their *.yaml) or globs.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Output directory.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: md, html, json.")] = "md,html,json",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    summary_format: Annotated[Optional[list[str]], typer.Option("--summary-format", help="Also write the summary as parquet or xlsx (repeatable).", show_default=False)] = None,
    max_bytes: Annotated[Optional[int], typer.Option("--max-bytes", min=1, help="Refuse larger profile files (default: limits.max_profile_bytes).", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress output.")] = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Score many profiles: one memo/result per profile plus summary.csv and summary.json.

    A bad profile never stops the batch; every failure is listed with file, field and
    reason. Exit code 0 when everything was written, 2 when only invalid inputs failed, 1
    when anything else failed.
    """
    from riskscore.batch import BatchSettings, run_batch

    formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
    settings = BatchSettings(out=out, formats=formats, config_path=str(config) if config else None, rubric_set=rubric_set,
                             rubrics_dirs=tuple(str(d) for d in rubrics_dir or ()), max_bytes=max_bytes)
    progress, finish = _batch_progress(quiet)
    try:
        report = _guard(lambda: run_batch(inputs, settings, workers, summary_format or (), progress))
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: workers stopped, temporary files removed
        finish()
        signum = getattr(exc, "signum", signal.SIGINT)
        _err(f"interrupted ({signal.Signals(signum).name}): workers stopped, temporary files removed; "
             f"profiles already written are complete; the summary was not updated")
        raise typer.Exit(128 + signum) from None
    finally:
        finish()
    for failure in report.load_failures:
        _err(f"warning: rubric plugin {failure}")
    ok = sum(1 for o in report.outcomes if o.status == "ok")
    for o in report.failed:
        _err(f"{o.status}: {o.error}" if o.status == "invalid" else f"{o.status}: {o.path}: {o.error}")
    _err(f"{ok} of {len(report.outcomes)} profile(s) written to {out}; summary: {', '.join(p.name for p in report.summary_files)}")
    raise typer.Exit(report.exit_code)


def _batch_progress(quiet: bool):  # type: ignore[no-untyped-def]
    """A rich progress bar on a terminal, plain lines otherwise, nothing with --quiet."""
    if quiet:
        return None, lambda: None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
        bar.start()
        task = bar.add_task("batch", total=None)

        def update(done: int, total: int, outcome) -> None:  # type: ignore[no-untyped-def]
            bar.update(task, completed=done, total=total)

        return update, bar.stop

    def line(done: int, total: int, outcome) -> None:  # type: ignore[no-untyped-def]
        _err(f"[{done}/{total}] {outcome.status} {outcome.profile_id or '-'} {outcome.path}")

    return line, lambda: None


@app.command()
def trend(
    company: Annotated[str, typer.Argument(help="A profile path, or a company id (companies/<id>.yaml).", show_default=False)],
    fmt: Annotated[Literal["md", "html", "all"], typer.Option("--format", help="Memo format.")] = "all",
    out: Annotated[Path, typer.Option("--out", help="Directory to write <id>-trend.md / .html into.")] = Path("reports"),
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Score a company at each of its filings on what was known then, and explain each move."""
    path = Path(company)
    if not path.exists() and "/" not in company and not company.endswith((".yaml", ".yml")):
        path = Path("companies") / f"{company}.yaml"

    def build() -> "tuple[Pipeline, dict[Path, str]]":
        pipeline = _pipeline(config, rubric_set, rubrics_dir)
        prof = pipeline.load(path)
        stem = prof.id  # as loaded, before any rubric runs: output names never come from a mutated profile
        formats: tuple[Literal["md", "html"], ...] = ("md", "html") if fmt == "all" else (fmt,)
        documents = pipeline.render_trend(pipeline.trend(prof, source=path), formats)
        return pipeline, {out / f"{stem}-trend.{f}": text for f, text in documents.items()}

    pipeline, documents = _guard(build)
    _write_documents(documents)
    raise typer.Exit(_report_failures(pipeline))


@app.command()
def calibrate(
    history: Annotated[list[str], typer.Argument(help="Profiles (files, directories, globs) with final filing statuses, or one CSV of rubric scores with an outcome column.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Calibration file to write (JSON).")] = Path("calibration.json"),
    min_cases: Annotated[int, typer.Option("--min-cases", min=2, help="Refuse with fewer labelled cases.")] = 8,
    min_per_class: Annotated[int, typer.Option("--min-per-class", min=2, help="Refuse with fewer failed or listed cases (2 is the least a stratified cross-validation can test).")] = 2,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Fit a logistic model from a labelled history; validate it by company against the base rate; write the calibration file.

    Cross-validation never puts a company's filings on both sides of a fold. The output gives
    the base rates (history and market), the Brier score of always predicting the base rate,
    the skill score and AUC with their spread, and the same for the best one-rubric model; with
    no demonstrated skill, memos show the base rate instead of a probability.
    """
    from riskscore.analysis import calibration as cal
    from riskscore.io import write_atomic

    def run() -> dict:  # type: ignore[type-arg]
        cfg = _config(config, rubric_set, rubrics_dir)
        if len(history) == 1 and history[0].lower().endswith(".csv"):
            hist = cal.history_from_csv(history[0])
        else:
            pipeline = _pipeline(config, rubric_set, rubrics_dir)
            hist = cal.history_from_profiles(history, pipeline.config, pipeline.rubrics)
        for line in hist.skipped:
            _err(f"skipped: {line}")
        return cal.fit(hist, min_cases=min_cases, min_per_class=min_per_class, settings=cfg.calibration,
                       settings_origin=cfg.origin("calibration.market_failure_rate"))

    fitted = _guard(run)
    _guard(lambda: write_atomic(out, json.dumps(fitted, indent=2, ensure_ascii=False) + "\n"))
    v, b = fitted["validation"], fitted["base_rate"]

    def fig(f: dict[str, Any], signed: bool = False) -> str:
        if f["value"] is None:
            return "undefined"
        return formatting.number(f["value"], 3, sign=signed) + (f" ± {formatting.number(f['sd'], 3)}" if f["sd"] is not None else "")

    typer.echo(f"cases {fitted['cases']} ({fitted['failed']} failed, {fitted['listed']} listed) from {fitted['companies']} companies; "
               f"{fitted['skipped_count']} left out" + (" (listed on stderr)" if fitted["skipped_count"] else ""))
    typer.echo(f"label rule: {fitted['label_rule']}")
    typer.echo(f"base rate: history {formatting.share(b['history'], 1)} (95% interval {formatting.share(b['history_interval_95'][0], 1)}–"
               f"{formatting.share(b['history_interval_95'][1], 1)}), market {formatting.share(b['market'], 1)} ({b['market_source']}; "
               + ("the packaged default, set calibration.market_failure_rate to change it)" if b["market_origin"].startswith("default") else f"from {b['market_origin']})"))
    typer.echo(f"prior: {b['prior']} {formatting.share(b['prior_rate'], 1)} — {b['prior_reason']}")
    typer.echo(v["method"])
    typer.echo(f"{'':<22} {'Brier':<16} {'skill':<16} AUC")
    typer.echo(f"{'base rate (reference)':<22} {formatting.number(v['model']['brier_reference'], 3):<16} {'0':<16} —")
    for name, f in (("model", v["model"]), (f"best rubric: {v['baseline']['feature']}", v["baseline"])):
        typer.echo(f"{name:<22} {fig(f['brier']):<16} {fig(f['skill'], True):<16} {fig(f['auc'])}")
    typer.echo(f"in-sample Brier of always predicting the history's base rate: {formatting.number(b['brier_of_history_rate'], 4)}")
    typer.echo(("Skill demonstrated: " if v["demonstrated_skill"] else "No demonstrated skill: ") + v["verdict"].split(": ", 1)[-1])
    typer.echo("coefficients of the model fitted on every case (memos of companies in the history use the model fitted without them):")
    for feature, coef in zip(fitted["features"], fitted["final"]["coefficients"]):
        typer.echo(f"  {feature:<24} {formatting.number(coef, 3, sign=True)}")
    _err(f"wrote {out}")


@app.command()
def whatif(
    profile: Annotated[Path, typer.Argument(help="Company profile (YAML).", show_default=False)],
    assignments: Annotated[list[str], typer.Option("--set", help="PATH=VALUE, e.g. periods[2025H1].customers.largest_share=50% (repeatable).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Write before, after and the changes as JSON to stdout.")] = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Re-score a profile with changed facts; print the change per rubric and in total."""
    from riskscore.analysis import whatif as wi

    def run() -> "tuple[Pipeline, Assessment, Assessment]":
        pipeline, prof, before = _prepare(profile, config, rubric_set, rubrics_dir)
        changed = wi.apply(prof, [wi.Assignment.parse(a) for a in assignments])
        return pipeline, before, pipeline.assess(changed)

    pipeline, before, after = _guard(run)
    rows = wi.compare(before, after)
    if as_json:
        typer.echo(json.dumps({
            "profile_id": before.profile_id,
            "assignments": assignments,
            "changes": [{"id": r.id, "title": r.title, "before": r.before, "after": r.after, "delta": r.delta,
                         "band_before": r.band_before, "band_after": r.band_after} for r in rows],
            "before": json.loads(before.model_dump_json()),
            "after": json.loads(after.model_dump_json()),
        }, indent=2, ensure_ascii=False))
        raise typer.Exit(_report_failures(pipeline, after))

    table = [("", "Before", "After", "Change", "Band")]
    for r in rows:
        band = r.band_after or "—" if r.band_before == r.band_after else f"{r.band_before or '—'} → {r.band_after or '—'}"
        delta = formatting.delta(None if r.before is None or r.after is None else r.after - r.before)
        table.append((r.title, _num(r.before), _num(r.after), delta, band))
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    typer.echo(f"{before.company} — what if {'; '.join(assignments)}\n")
    for k, row in enumerate(table):
        if k == len(table) - 2:
            typer.echo("  ".join("-" * w for w in widths))
        typer.echo("  ".join(c.ljust(widths[i]) if i in (0, 4) else c.rjust(widths[i]) for i, c in enumerate(row)))
    raise typer.Exit(_report_failures(pipeline, after))


rubrics_app = typer.Typer(help="List rubrics, or scaffold a new one.", invoke_without_command=True, rich_markup_mode=None)
app.add_typer(rubrics_app, name="rubrics")


@rubrics_app.callback()
def rubrics(
    ctx: typer.Context,
    detail: Annotated[bool, typer.Option("--detail", help="Show each rubric's method and parameters.")] = False,
    trace: Annotated[bool, typer.Option("--trace", help="Show every entry point and module discovery found and what became of each.")] = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """List every rubric found (entry points, then rubrics directories) with origin, version, weight and status."""
    if ctx.invoked_subcommand is not None:
        return
    from riskscore.scoring import registry

    cfg = _guard(lambda: _config(config, rubric_set, rubrics_dir))
    loaded = registry.discover(cfg.rubrics_dirs)
    if trace:
        raise typer.Exit(_print_trace(loaded))
    dupes = registry.duplicates(loaded)
    for item in loaded:
        if not item.ok:
            typer.echo(f"{item.name:<24} {'':<8} {'':<11} ERROR     {item.origin}: {item.error}")
            continue
        cls = item.rubric
        assert cls is not None
        if item.name in dupes:
            status = "DUPLICATE"
        else:
            status = "enabled" if cfg.enabled is None or cls.id in cfg.enabled else "disabled"
        typer.echo(f"{cls.id:<24} {'v' + cls.version:<8} weight {cfg.weight_for(cls.id, cls.default_weight):>4g} {status:<9} {item.origin} — {cls.title}")
        if detail:
            typer.echo("")
            typer.echo(_indent(cls.description()))
            if cls.method():
                typer.echo("")
                typer.echo(_indent(cls.method()))
            from riskscore.cli.showconfig import param_values, toml_value

            params = _guard(lambda: registry.params_for(cls, cfg))
            typer.echo(f"\n    Parameters ([rubrics.{cls.id}] in riskscore.toml):")
            for key, value in param_values(params).items():
                typer.echo(f"      {key} = {toml_value(value)}")
            typer.echo("")
    for rid, where in sorted(dupes.items()):
        _err(f"error: {registry.duplicate_message(rid, where)}")
    if dupes or any(not item.ok for item in loaded):
        raise typer.Exit(EXIT_FAILURE)
    # The listing also checks the configuration against what was found: weights and
    # parameters for unknown rubrics, and parameter typos, are errors here too.
    selected = _guard(lambda: registry.select(cfg, loaded))
    for cls in selected:
        _guard(lambda: registry.params_for(cls, cfg))


def _print_trace(discovery: Discovery) -> int:
    """``rubrics --trace``: one line per entry point and module; exit 1 when any failed or clashed."""
    entries = discovery.trace()
    for e in entries:
        where = e.source if e.origin == e.source else f"{e.source} ({e.origin})"
        if e.status == "loaded":
            line = f"{where} → {e.rubric}"
        elif e.status == "duplicate":
            line = f"{where} → {e.rubric}: {e.detail}"
        else:
            line = f"{where}: {e.detail}"
        typer.echo(f"{e.status:<9}  {e.kind:<11}  {line}")
    counts = {status: sum(1 for e in entries if e.status == status) for status in ("loaded", "failed", "duplicate", "skipped")}
    _err(", ".join(f"{n} {status}" for status, n in counts.items()))
    return EXIT_FAILURE if counts["failed"] or counts["duplicate"] else EXIT_OK


@rubrics_app.command("new")
def rubrics_new(
    name: Annotated[str, typer.Argument(help="Rubric id, e.g. cash_runway.", show_default=False)],
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the module, its tests and its doc.")] = Path("local_rubrics"),
    package: Annotated[Optional[Path], typer.Option(
        "--package", help="Write an installable plugin package into this directory instead (pyproject.toml with the entry point, src/ layout, tests).",
        show_default=False)] = None,
) -> None:
    """Write a working rubric module, its tests and a doc stub (they pass the contract kit as generated).

    With --package DIR, write an installable plugin package instead: pip install it and
    `riskscore rubrics` lists it; its tests pass as generated.
    """
    from riskscore.cli.scaffold import write_package, write_scaffold

    if package is not None:
        written = _guard(lambda: write_package(name, package))
        for path in written:
            _err(f"wrote {path}")
        _err(f"next: pip install -e '{package}[test]'   then   riskscore rubrics   and   python -m pytest {package}")
        return
    written = _guard(lambda: write_scaffold(name, directory))
    for path in written:
        _err(f"wrote {path}")
    _err(f"next: riskscore rubrics --rubrics-dir {directory}   and   python -m pytest {directory}")


config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Write {key: {value, origin}} as JSON.")] = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Print the effective configuration (TOML) and where each value came from."""
    from riskscore.cli.showconfig import effective

    cfg = _guard(lambda: _config(config, rubric_set, rubrics_dir))
    from riskscore.scoring import registry

    loaded = registry.discover(cfg.rubrics_dirs)
    broken = [item for item in loaded if not item.ok]
    for item in broken:
        _err(f"warning: rubric plugin {item.name} ({item.origin}) not loaded: {item.error}")
    entries = _guard(lambda: effective(cfg, loaded))
    if as_json:
        typer.echo(json.dumps({key: {"value": value, "origin": origin} for key, value, origin in entries}, indent=2, ensure_ascii=False))
        raise typer.Exit(EXIT_FAILURE if broken else EXIT_OK)
    from riskscore.cli.showconfig import as_toml

    typer.echo(as_toml(entries))
    if broken:
        raise typer.Exit(EXIT_FAILURE)


def _indent(text: str, width: int = 92) -> str:
    import textwrap

    return "\n\n".join(textwrap.fill(p, width, initial_indent="    ", subsequent_indent="    ") for p in text.split("\n\n"))


@schema_app.command("profile")
def schema_profile() -> None:
    """The JSON Schema of a company profile."""
    from riskscore.profile.model import Profile

    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": "urn:riskscore:schema:profile", **Profile.model_json_schema()}
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


@schema_app.command("result")
def schema_result() -> None:
    """The JSON Schema of `riskscore score --json` output."""
    from riskscore.scoring.engine import RESULT_SCHEMA_ID, Assessment

    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": RESULT_SCHEMA_ID, **Assessment.model_json_schema(mode="serialization")}
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


def main() -> None:
    app(prog_name="riskscore")


if __name__ == "__main__":  # pragma: no cover
    main()
