"""The ``riskscore`` command line.

Exit codes: 0 ok; 1 a failure that is not the input's fault (including a rubric that
failed while the others scored — the output is still written); 2 invalid input (the
message names the file, the field and the reason).

``--json`` writes only JSON to stdout; everything meant for a person goes to stderr.
Heavy modules (Jinja2, the charts) are imported only by the commands that render.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

from riskscore.errors import BusyError, InputError, RubricLoadError, WriteError
from riskscore.report import format as formatting

if TYPE_CHECKING:
    from riskscore.batch import Outcome as BatchOutcome
    from riskscore.pipeline import Pipeline
    from riskscore.profile.model import Profile
    from riskscore.scoring.config import Config
    from riskscore.scoring.engine import Assessment
    from riskscore.scoring.registry import Discovery, LoadedRubric

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic's model_json_schema writes

class _Argument(TyperArgument):
    """An argument shown in help by its metavar (PROFILE), not by a Python type (<list[Path]>)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None if self.metavar else super().display_type_rich(ctx)


class _Command(TyperCommand):
    """Every command: arguments shown by their metavar."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


# -h as well as --help; help wraps to the terminal (up to 120 columns), inherited by every subcommand.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 120}

app = typer.Typer(
    name="riskscore",
    help="Score the listing risk of IPO candidates from sourced company profiles.",
    epilog="\b\nExamples:\n  riskscore score companies/wedoctor.yaml\n  riskscore memo companies/wedoctor.yaml --out reports\n\n"
           "Run 'riskscore COMMAND -h' for a command's options and an example.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)
schema_app = typer.Typer(help="Print JSON Schemas.", no_args_is_help=True, rich_markup_mode=None, context_settings=CONTEXT)
app.add_typer(schema_app, name="schema", short_help="Print the JSON Schema of a profile or of a result.",
              epilog="\b\nExample:\n  riskscore schema result > result.schema.json")


def _example(*commands: str) -> str:
    """A help epilog: example command lines, kept as written (click's \\b stops re-wrapping)."""
    return "\b\nExample" + ("s" if len(commands) > 1 else "") + ":\n" + "\n".join(f"  {c}" for c in commands)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("riskscore")
        except PackageNotFoundError:  # running from a source tree that is not installed
            from riskscore import __version__ as number
        typer.echo(f"riskscore {number}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version)] = False,
) -> None:
    """Score the listing risk of IPO candidates from sourced company profiles."""


ConfigOption = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help="TOML configuration (default: riskscore.toml or [tool.riskscore] in pyproject.toml, searched upwards).",
    show_default=False)]
RubricSetOption = Annotated[str | None, typer.Option("--rubric-set", metavar="NAME", help="Named rubric set from the configuration.", show_default=False)]
RubricsDirOption = Annotated[list[Path] | None, typer.Option("--rubrics-dir", metavar="DIR", help="Directory of local rubric modules (repeatable).",
                                                                show_default=False)]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print no progress (files written, profiles checked); errors and warnings still.")]
ProfileArgument = Annotated[Path, typer.Argument(metavar="PROFILE", help="Company profile (YAML).", show_default=False)]
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


def _config(config_path: Path | None, rubric_set: str | None = None, rubrics_dirs: list[Path] | None = None) -> Config:
    from riskscore.scoring.config import load_config

    return load_config(config_path, rubric_set=rubric_set, rubrics_dirs=rubrics_dirs or (), discover=True)


def _pipeline(config_path: Path | None, rubric_set: str | None = None, rubrics_dirs: list[Path] | None = None) -> Pipeline:
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
             rubrics_dirs: list[Path] | None = None) -> tuple[Pipeline, Profile, Assessment]:
    pipeline = _pipeline(config_path, rubric_set, rubrics_dirs)
    profile = pipeline.load(profile_path)
    return pipeline, profile, pipeline.assess(profile)


def _report_failures(pipeline: Pipeline, assessment: Assessment | None = None) -> int:
    """Exit code 1 when a rubric failed, or a plugin failed to load; the output was still written."""
    debug = bool(os.environ.get("RISKSCORE_DEBUG"))
    failed = assessment.failed if assessment is not None else []
    for outcome in failed:
        error = outcome.error or ""
        raised = not error.startswith(("returned", "did not finish", "ended without"))  # the others have no traceback to show
        _err(f"warning: rubric {outcome.id} was not scored: {error}" + (" (set RISKSCORE_DEBUG=1 for the traceback)" if raised and not debug else ""))
    return EXIT_FAILURE if failed or pipeline.load_failures else EXIT_OK


@app.command(cls=_Command, short_help="Score a profile: a table, or JSON with --json.",
             epilog=_example("riskscore score companies/wedoctor.yaml", "riskscore score companies/wedoctor.yaml --json > wedoctor.json"))
def score(
    profile: ProfileArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Write the full assessment as JSON to stdout (riskscore schema result).")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help="Score on what had been disclosed by this date (YYYY-MM-DD); the rule trend and calibrate use.", show_default=False)] = None,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Score a profile and print the result (a table, or JSON with --json)."""
    def run() -> tuple[Pipeline, Assessment]:
        pipeline = _pipeline(config, rubric_set, rubrics_dir)
        prof = pipeline.load(profile)
        return pipeline, pipeline.assess(prof if as_of is None else _view_as_of(profile, prof, as_of))

    pipeline, assessment = _guard(run)
    if as_json:
        typer.echo(assessment.model_dump_json(indent=2))
    else:
        from riskscore.cli import term  # rich only for the table: --json stays light

        term.print_score(assessment, term.console())
    raise typer.Exit(_report_failures(pipeline, assessment))


def _view_as_of(profile_path: Path, profile: Profile, as_of: str) -> Profile:
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


def _write_documents(documents: dict[Path, str], quiet: bool = False) -> None:
    """Write rendered documents (all rendered before any is written) as one set: all or nothing."""
    from riskscore.io import write_set

    for path in _guard(lambda: write_set(documents)):
        if not quiet:
            _err(f"wrote {path}")


LangOption = Annotated[Literal["en", "zh"] | None, typer.Option(
    "--lang", metavar="[en|zh]", help="Language of the memo: en or zh (default: memo.lang, en); zh writes <id>.zh.md / .html.", show_default=False)]


@app.command(cls=_Command, short_help="Write the risk memo for a profile (Markdown and/or HTML).",
             epilog=_example("riskscore memo companies/wedoctor.yaml --format all --out reports",
                             "riskscore memo companies/wedoctor.yaml --peers tag:health-tech --sensitivity"))
def memo(
    profile: ProfileArgument,
    fmt: Annotated[Literal["md", "html", "all"], typer.Option("--format", metavar="[md|html|all]", help="Memo format.")] = "all",
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write <id>.md / <id>.html into.")] = Path("reports"),
    with_sensitivity: Annotated[bool, typer.Option("--sensitivity", help="Add a table: how far each rubric's key figure must move to change its band.")] = False,
    peers: Annotated[str | None, typer.Option("--peers", metavar="PEERS", help="Peer set: ids (a,b), a directory, or tag:NAME; adds percentile ranks and closest precedents.", show_default=False)] = None,
    precedents: Annotated[int | None, typer.Option("--precedents", metavar="N", min=0, max=20, help="How many closest precedents (default: memo.precedents, 3).", show_default=False)] = None,
    calibration: Annotated[Path | None, typer.Option("--calibration", metavar="FILE", help="Calibration file from `riskscore calibrate`: show the estimated probability of failure.", show_default=False)] = None,
    paper: Annotated[Literal["a4", "letter"] | None, typer.Option("--paper", metavar="[a4|letter]", help="Paper the HTML memo prints on (default: memo.paper, a4).", show_default=False)] = None,
    quiet: QuietOption = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
    lang: LangOption = None,
) -> None:
    """Write the risk memo for a profile as Markdown and/or self-contained HTML."""

    def build() -> tuple[Pipeline, Assessment, dict[Path, str]]:
        pipeline, prof, assessment = _prepare(profile, config, rubric_set, rubrics_dir)
        options = pipeline.memo_options(peers=peers, precedents=precedents, calibration=calibration, sensitivity=with_sensitivity, paper=paper, lang=lang)
        formats = ("md", "html") if fmt == "all" else (fmt,)
        # Render everything before writing anything: a failure leaves no partial output.
        documents = pipeline.render(prof, assessment, formats, options, source=profile)
        return pipeline, assessment, {out / f"{assessment.profile_id}{options.suffix}.{f}": text for f, text in documents.items()}  # the id as loaded

    pipeline, assessment, documents = _guard(build)
    if out.exists() and not out.is_dir():
        _err(f"error: {out}: --out must be a directory")
        raise typer.Exit(EXIT_INVALID)
    _write_documents(documents, quiet)
    raise typer.Exit(_report_failures(pipeline, assessment))


@app.command(cls=_Command, short_help="Check profiles: schema, references and, with --strict, the figures.",
             epilog=_example("riskscore validate companies/*.yaml", "riskscore validate --strict --json companies/wedoctor.yaml"))
def validate(
    profiles: Annotated[list[Path], typer.Argument(metavar="PROFILE", help="Profiles to check.", show_default=False)],
    max_bytes: Annotated[int | None, typer.Option("--max-bytes", metavar="BYTES", min=1, help="Refuse larger files (default: limits.max_profile_bytes).", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Also run the data-quality checks; warnings make the run fail (exit 2).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Write each profile's status, problems and findings as JSON to stdout.")] = False,
    sources: Annotated[Path | None, typer.Option("--sources", metavar="DIR", help="Folder of the sources' stored copies (their `file:`): check every quote occurs in its source.", show_default=False)] = None,
    quiet: QuietOption = False,
    config: ConfigOption = None,
) -> None:
    """Check profiles against the schema and their cross-references; report every problem.

    Every quote's number must match its figure. With --sources DIR, every quote must also
    occur in its source's stored copy under DIR, and figures without a quote are listed.
    With --strict, also check the figures' arithmetic (segments add up, stated growth and
    margins match, cumulative claims match their periods) and list where sources disagree.
    Problems and findings are printed as file:line: field: message. A profile that breaks
    the schema is invalid; one whose figures do not add up has data-quality warnings.
    """
    from riskscore.profile.load import load_profile_with_lines
    from riskscore.profile.quotes import report_quotes

    limit = max_bytes or _guard(lambda: _config(config)).limits.max_profile_bytes
    if sources is not None and not sources.is_dir():
        _err(f"error: --sources {sources}: not a directory")
        raise typer.Exit(EXIT_INVALID)
    reports = []
    for path in profiles:
        report: dict[str, Any] = {"file": str(path), "status": "ok", "problems": [], "findings": []}
        reports.append(report)
        try:
            profile, node = load_profile_with_lines(path, max_bytes=limit)
        except InputError as exc:
            report["status"] = "invalid"
            report["problems"] = [{"line": p.line, "field": p.field, "message": p.message} for p in exc.problems]
            if not as_json:
                _err(str(exc))
            continue
        lines, failed = report_quotes(str(path), profile, node, sources)
        report["quotes"] = lines
        if not as_json:
            for line in lines:
                _err(line)
        if failed:
            report["status"] = "invalid"
            continue
        if strict:
            from riskscore.profile.load import field_lines
            from riskscore.profile.quality import check_profile

            findings = check_profile(profile)
            line_of = field_lines(node, [f.field for f in findings]) if findings else {}  # the tree already read
            for f in findings:
                report["findings"].append({"line": line_of.get(f.field), "field": f.field, "check": f.check, "severity": f.severity,
                                           "message": f.message, "sources": list(f.sources)})
                if not as_json:
                    where = f"{path}:{line_of[f.field]}" if line_of.get(f.field) else str(path)
                    _err(f"{where}: {f.field}: {f.severity}: {f.message} [{', '.join(f.sources)}]")
            if any(f.severity == "warning" for f in findings):
                report["status"] = "warnings"
                continue
        if not (quiet or as_json):
            _err(f"ok: {path}")
    counts = {status: sum(1 for r in reports if r["status"] == status) for status in ("ok", "invalid", "warnings")}
    if as_json:
        typer.echo(json.dumps({"strict": strict, "counts": counts, "profiles": reports}, indent=2, ensure_ascii=False))
    else:
        said = [f"{counts['invalid']} of {len(profiles)} profile(s) invalid"] if counts["invalid"] else []
        said += [f"{counts['warnings']} of {len(profiles)} profile(s) with data-quality warnings (--strict)"] if counts["warnings"] else []
        if said:
            _err("; ".join(said))
    if counts["invalid"] or counts["warnings"]:
        raise typer.Exit(EXIT_INVALID)


@app.command(cls=_Command, short_help="Score many profiles: memos, JSON results and a summary table.",
             epilog=_example("riskscore batch companies/ --out out --format md,html,json --workers 2",
                             "riskscore batch 'companies/*.yaml' --out out --format json --summary-format parquet -q"))
def batch(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help="Profiles: files, directories (their *.yaml) or globs.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Output directory.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", metavar="FORMATS", help="Comma-separated: md, html, json.")] = "md,html,json",
    workers: Annotated[int, typer.Option("--workers", metavar="N", min=1, help="Worker processes.")] = 1,
    summary_format: Annotated[list[str] | None, typer.Option("--summary-format", metavar="FORMAT", help="Also write the summary as parquet or xlsx (repeatable).", show_default=False)] = None,
    max_bytes: Annotated[int | None, typer.Option("--max-bytes", metavar="BYTES", min=1, help="Refuse larger profile files (default: limits.max_profile_bytes).", show_default=False)] = None,
    quiet: QuietOption = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
    lang: LangOption = None,
) -> None:
    """Score many profiles: one memo/result per profile plus summary.csv and summary.json.

    A bad profile never stops the batch; every failure is listed with file, field and
    reason. Ends with one line of scores by band on stdout. Exit code 0 when everything was
    written, 2 when only invalid inputs failed, 1 when anything else failed.
    """
    from riskscore.batch import BatchSettings, run_batch

    formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
    settings = BatchSettings(out=out, formats=formats, config_path=str(config) if config else None, rubric_set=rubric_set,
                             rubrics_dirs=tuple(str(d) for d in rubrics_dir or ()), max_bytes=max_bytes, lang=lang)
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
    if not quiet:
        _err(f"{ok} of {len(report.outcomes)} profile(s) written to {out}; summary: {', '.join(p.name for p in report.summary_files)}")
    from riskscore.cli import term

    term.batch_line(report.scores, len(report.outcomes), term.console())
    raise typer.Exit(report.exit_code)


def _batch_progress(quiet: bool) -> tuple[Callable[[int, int, BatchOutcome], None] | None, Callable[[], None]]:
    """A rich progress bar on a terminal, plain lines otherwise, nothing with --quiet."""
    if quiet:
        return None, lambda: None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
        bar.start()
        task = bar.add_task("batch", total=None)

        def update(done: int, total: int, outcome: BatchOutcome) -> None:
            bar.update(task, completed=done, total=total)

        return update, bar.stop

    def line(done: int, total: int, outcome: BatchOutcome) -> None:
        _err(f"[{done}/{total}] {outcome.status} {outcome.profile_id or '-'} {outcome.path}")

    return line, lambda: None


@app.command(cls=_Command, short_help="Score a company at each filing and explain each move.",
             epilog=_example("riskscore trend wedoctor --out reports", "riskscore trend companies/wedoctor.yaml --format md -q"))
def trend(
    company: Annotated[str, typer.Argument(metavar="COMPANY", help="A profile path, or a company id (companies/<id>.yaml).", show_default=False)],
    fmt: Annotated[Literal["md", "html", "all"], typer.Option("--format", metavar="[md|html|all]", help="Memo format.")] = "all",
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write <id>-trend.md / .html into.")] = Path("reports"),
    quiet: QuietOption = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
    lang: LangOption = None,
) -> None:
    """Score a company at each of its filings on what was known then, and explain each move.

    Ends with one line on stdout: the adjusted score and band at each filing.
    """
    path = Path(company)
    if not path.exists() and "/" not in company and not company.endswith((".yaml", ".yml")):
        path = Path("companies") / f"{company}.yaml"

    def build() -> tuple[Pipeline, Any, dict[Path, str]]:
        pipeline = _pipeline(config, rubric_set, rubrics_dir)
        prof = pipeline.load(path)
        stem = prof.id  # as loaded, before any rubric runs: output names never come from a mutated profile
        formats: tuple[Literal["md", "html"], ...] = ("md", "html") if fmt == "all" else (fmt,)
        options = pipeline.memo_options(lang=lang)
        followed = pipeline.trend(prof, options, source=path)
        documents = pipeline.render_trend(followed, formats, options.lang, prof, path)
        return pipeline, followed, {out / f"{stem}-trend{options.suffix}.{f}": text for f, text in documents.items()}

    pipeline, followed, documents = _guard(build)
    _write_documents(documents, quiet)
    from riskscore.cli import term

    term.summary_line(followed.company, ((p.date.isoformat(), p.assessment.adjusted_score, p.assessment.adjusted_band) for p in followed.points),
                      term.console())
    raise typer.Exit(_report_failures(pipeline))


@app.command(cls=_Command, short_help="Fit and validate a calibration from a labelled history.",
             epilog=_example("riskscore calibrate companies/ --out reports/calibration.json", "riskscore calibrate history.csv --out calibration.json"))
def calibrate(
    history: Annotated[list[str], typer.Argument(metavar="HISTORY", help="Profiles (files, directories, globs) with final filing statuses, or one CSV of rubric scores with an outcome column.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Calibration file to write (JSON).")] = Path("calibration.json"),
    min_cases: Annotated[int, typer.Option("--min-cases", metavar="N", min=2, help="Refuse with fewer labelled cases.")] = 8,
    min_per_class: Annotated[int, typer.Option("--min-per-class", metavar="N", min=2, help="Refuse with fewer failed or listed cases (2 is the least a stratified cross-validation can test).")] = 2,
    quiet: QuietOption = False,
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

    def run() -> dict[str, Any]:
        if len(history) == 1 and history[0].lower().endswith(".csv"):
            cfg = _config(config, rubric_set, rubrics_dir)
            hist = cal.history_from_csv(history[0])
        else:
            pipeline = _pipeline(config, rubric_set, rubrics_dir)
            cfg = pipeline.config
            hist = cal.history_from_profiles(history, cfg, pipeline.rubrics)
        for line in hist.skipped:  # what was left out is information, not progress: shown with --quiet too
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
    for feature, coef in zip(fitted["features"], fitted["final"]["coefficients"], strict=True):
        typer.echo(f"  {feature:<24} {formatting.number(coef, 3, sign=True)}")
    if not quiet:
        _err(f"wrote {out}")


@app.command(cls=_Command, short_help="Re-score a profile with changed facts; show what moved.",
             epilog=_example("riskscore whatif companies/wedoctor.yaml --set 'periods[2025H1].customers.largest_share=40%'",
                             "riskscore whatif companies/wedoctor.yaml --set 'periods[FY2024].revenue.amount=60' --json"))
def whatif(
    profile: ProfileArgument,
    assignments: Annotated[list[str], typer.Option("--set", metavar="PATH=VALUE", help="PATH=VALUE, e.g. periods[2025H1].customers.largest_share=50% (repeatable).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Write before, after and the changes as JSON to stdout.")] = False,
    config: ConfigOption = None,
    rubric_set: RubricSetOption = None,
    rubrics_dir: RubricsDirOption = None,
) -> None:
    """Re-score a profile with changed facts; print the change per rubric and in total, and the red flags raised or cleared."""
    from riskscore.analysis import whatif as wi

    def run() -> tuple[Pipeline, Assessment, Assessment]:
        pipeline, prof, before = _prepare(profile, config, rubric_set, rubrics_dir)
        changed = wi.apply(prof, [wi.Assignment.parse(a) for a in assignments])
        return pipeline, before, pipeline.assess(changed)

    pipeline, before, after = _guard(run)
    rows = wi.compare(before, after)
    raised, cleared = wi.flags_changed(before, after)
    if as_json:
        typer.echo(json.dumps({
            "profile_id": before.profile_id,
            "assignments": assignments,
            "changes": [{"id": r.id, "title": r.title, "before": r.before, "after": r.after, "delta": r.delta,
                         "band_before": r.band_before, "band_after": r.band_after} for r in rows],
            "red_flags_raised": [json.loads(f.model_dump_json()) for f in raised],
            "red_flags_cleared": [json.loads(f.model_dump_json()) for f in cleared],
            "before": json.loads(before.model_dump_json()),
            "after": json.loads(after.model_dump_json()),
        }, indent=2, ensure_ascii=False))
        raise typer.Exit(_report_failures(pipeline, after))

    from riskscore.cli import term

    term.print_whatif(before.company, assignments, rows, raised, cleared, term.console())
    raise typer.Exit(_report_failures(pipeline, after))


rubrics_app = typer.Typer(help="List rubrics, or scaffold a new one.", invoke_without_command=True, rich_markup_mode=None,
                          context_settings=CONTEXT)
app.add_typer(rubrics_app, name="rubrics", short_help="List the rubrics found (or scaffold one: rubrics new).",
              epilog=_example("riskscore rubrics --detail", "riskscore rubrics --json", "riskscore rubrics new cash_runway --dir local_rubrics"))


@rubrics_app.callback()
def rubrics(
    ctx: typer.Context,
    detail: Annotated[bool, typer.Option("--detail", help="Show each rubric's method and parameters.")] = False,
    trace: Annotated[bool, typer.Option("--trace", help="Show every entry point and module discovery found and what became of each.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Write the rubrics (or, with --trace, the trace) as JSON to stdout, method and parameters included.")] = False,
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
        raise typer.Exit(_print_trace(loaded, as_json))
    dupes = registry.duplicates(loaded)
    rows = []
    for item in loaded:
        row: dict[str, Any] = {"name": item.name, "id": None, "title": None, "version": None, "weight": None, "status": "error",
                               "origin": item.origin, "error": item.error}
        rows.append(row)
        if not item.ok:
            continue
        cls = item.rubric
        assert cls is not None
        if item.name in dupes:
            status = "duplicate"
        else:
            status = "enabled" if cfg.enabled is None or cls.id in cfg.enabled else "disabled"
        row.update(id=cls.id, title=cls.title, version=cls.version, weight=cfg.weight_for(cls.id, cls.default_weight), status=status)
        if detail or as_json:
            from riskscore.cli.showconfig import param_values

            params = _guard(functools.partial(registry.params_for, cls, cfg))
            row.update(description=cls.description(), method=cls.method() or None, parameters=param_values(params))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=_jsonable))
    else:
        from riskscore.cli import term

        out = term.console()
        if detail:
            for row in rows:
                if row["status"] == "error":
                    term.print_rubrics([row], out)
                else:
                    term.print_detail(row, out)
        else:
            term.print_rubrics(rows, out)
    for rid, where in sorted(dupes.items()):
        _err(f"error: {registry.duplicate_message(rid, where)}")
    if dupes or any(not item.ok for item in loaded):
        raise typer.Exit(EXIT_FAILURE)
    # The listing also checks the configuration against what was found: weights and
    # parameters for unknown rubrics, and parameter typos, are errors here too.
    selected = _guard(lambda: registry.select(cfg, loaded))
    for cls in selected:
        _guard(functools.partial(registry.params_for, cls, cfg))


def _jsonable(value: Any) -> Any:
    """Parameter values (grids, tuples, paths) as JSON."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _print_trace(discovery: Discovery, as_json: bool = False) -> int:
    """``rubrics --trace``: one line per entry point and module; exit 1 when any failed or clashed."""
    entries = discovery.trace()
    if as_json:
        typer.echo(json.dumps([{"status": e.status, "kind": e.kind, "source": e.source, "origin": e.origin, "rubric": e.rubric,
                                "detail": e.detail} for e in entries], indent=2, ensure_ascii=False))
    for e in entries if not as_json else ():
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


@rubrics_app.command("new", cls=_Command, short_help="Scaffold a rubric module (or plugin package) that passes its tests.",
                     epilog=_example("riskscore rubrics new cash_runway --dir local_rubrics", "riskscore rubrics new cash_runway --package riskscore-cash-runway"))
def rubrics_new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Rubric id, e.g. cash_runway.", show_default=False)],
    directory: Annotated[Path, typer.Option("--dir", metavar="DIR", help="Where to write the module, its tests and its doc.")] = Path("local_rubrics"),
    package: Annotated[Path | None, typer.Option(
        "--package", metavar="DIR", help="Write an installable plugin package into this directory instead (pyproject.toml with the entry point, src/ layout, tests).",
        show_default=False)] = None,
    quiet: QuietOption = False,
) -> None:
    """Write a working rubric module, its tests and a doc stub (they pass the contract kit as generated).

    With --package DIR, write an installable plugin package instead: pip install it and
    `riskscore rubrics` lists it; its tests pass as generated.
    """
    from riskscore.cli.scaffold import write_package, write_scaffold

    if package is not None:
        written = _guard(lambda: write_package(name, package))
        next_step = f"next: pip install -e '{package}[test]'   then   riskscore rubrics   and   python -m pytest {package}"
    else:
        written = _guard(lambda: write_scaffold(name, directory))
        next_step = f"next: riskscore rubrics --rubrics-dir {directory}   and   python -m pytest {directory}"
    if not quiet:
        for path in written:
            _err(f"wrote {path}")
        _err(next_step)


@rubrics_app.command("catalogue", cls=_Command, short_help="Check a rubric catalogue against the English in code (stale, missing entries).",
                     epilog=_example("riskscore rubrics catalogue rubrics/locale/zh.po", "riskscore rubrics catalogue src/my_plugin/locale/zh.po --update"))
def rubrics_catalogue(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The catalogue: <dir>/locale/<lang>.po, checked against the code under <dir>.", show_default=False)],
    update: Annotated[bool, typer.Option("--update", help="Record the current English in each entry (#. en:), mark a stale entry fuzzy, add an empty entry for each message without one.")] = False,
) -> None:
    """List the catalogue's stale entries (their English changed since they were translated), unrecorded ones
    (no #. en: comment), messages without an entry, and entries no message in code has. Exit 1 when any.

    With --update, record the English as gettext's msgmerge would: a stale entry keeps its
    translation but is marked fuzzy (not used until a translator reviews it and removes the mark).
    """
    from riskscore.report import catalogues

    report = _guard(lambda: catalogues.check_file(path))
    if update:
        from riskscore.io import write_atomic

        text = catalogues.update(report)
        _guard(lambda: write_atomic(path, text))
        report = _guard(lambda: catalogues.check_file(path))
    for finding in report.findings:
        typer.echo(str(finding))
    counts = {kind: sum(1 for f in report.findings if f.kind == kind) for kind in ("stale", "fuzzy", "unrecorded", "missing", "untranslated", "unknown", "conflict")}
    _err(f"{path}: " + (", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "up to date with the code"))
    raise typer.Exit(EXIT_FAILURE if report.findings else EXIT_OK)


config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True, rich_markup_mode=None, context_settings=CONTEXT)
app.add_typer(config_app, name="config", short_help="Show the effective configuration and each value's origin.",
              epilog="\b\nExample:\n  riskscore config show --json")


@config_app.command("show", cls=_Command, short_help="Print the effective configuration and where each value came from.",
                    epilog=_example("riskscore config show", "riskscore config show --json --config riskscore.toml"))
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
        _warn_load_failure(item)
    entries = _guard(lambda: effective(cfg, loaded))
    if as_json:
        typer.echo(json.dumps({key: {"value": value, "origin": origin} for key, value, origin in entries}, indent=2, ensure_ascii=False))
        raise typer.Exit(EXIT_FAILURE if broken else EXIT_OK)
    from riskscore.cli.showconfig import as_toml

    typer.echo(as_toml(entries))
    if broken:
        raise typer.Exit(EXIT_FAILURE)


@schema_app.command("profile", cls=_Command, epilog=_example("riskscore schema profile > profile.schema.json"))
def schema_profile() -> None:
    """The JSON Schema of a company profile."""
    from riskscore.profile.model import Profile

    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": "urn:riskscore:schema:profile", **Profile.model_json_schema()}
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


@schema_app.command("result", cls=_Command, epilog=_example("riskscore schema result > result.schema.json"))
def schema_result() -> None:
    """The JSON Schema of `riskscore score --json` output and of batch <id>.json files."""
    from riskscore.scoring.engine import RESULT_SCHEMA_ID, Assessment

    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": RESULT_SCHEMA_ID, **Assessment.model_json_schema(mode="serialization")}
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


def main() -> None:
    app(prog_name="riskscore")


if __name__ == "__main__":  # pragma: no cover
    main()
