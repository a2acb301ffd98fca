"""Batch runs: many profiles to memos, JSON results and a summary table, for reporting tools.

Guarantees:

* **One bad profile never stops a batch.** Each profile is loaded, scored and rendered on
  its own; an invalid one is listed with file, field and reason, a failed one with the error.
* **No half-written files.** Every output is written to a temporary file in the output
  directory and renamed into place only when complete (:mod:`riskscore.io`); temporary
  files of an interrupted run are removed. Re-running over the same inputs rewrites
  identical files.
* **No overwrites between profiles.** File names come from profile ids (slugs, sanitised
  again here), so no name escapes ``--out``; a second profile with an id already written in
  this run is an error naming the first, not an overwrite.
* **Streaming.** Workers write each profile's files as they finish; only one small summary
  row per profile is kept in memory.
* **Deterministic.** Results are taken in input order (sorted paths), so the summary and
  duplicate decisions do not depend on which worker finished first.
* **The same memos as ``riskscore memo``.** Each worker runs one
  :class:`riskscore.pipeline.Pipeline`, so the configuration's ``[memo]`` settings (peer set,
  precedents, calibration) apply to every memo.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from riskscore import io
from riskscore.errors import InputError, Problem
from riskscore.profile.load import expand_inputs

FORMATS = ("md", "html", "json")
RESERVED_STEMS = frozenset({"summary"})
SUMMARY_FORMATS = ("parquet", "xlsx")
_SUMMARY_ENGINES = {"parquet": ("pyarrow", "pip install pyarrow"), "xlsx": ("openpyxl", "pip install openpyxl")}


@dataclass(frozen=True)
class BatchSettings:
    out: Path
    formats: tuple[str, ...] = FORMATS
    config_path: str | None = None
    rubric_set: str | None = None
    rubrics_dirs: tuple[str, ...] = ()
    max_bytes: int | None = None
    discover_config: bool = True  # look for riskscore.toml when config_path is None (the CLI does)


@dataclass(slots=True)
class Outcome:
    """What became of one input."""

    index: int
    path: str
    status: str  # ok | rubric_error | invalid | failed | duplicate
    profile_id: str | None = None
    row: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    temps: dict[str, str] = field(default_factory=dict)  # final name -> temporary path


@dataclass
class BatchReport:
    out: Path
    outcomes: list[Outcome]
    summary_files: list[Path]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def exit_code(self) -> int:
        """0 all written; 2 only invalid inputs failed; 1 anything else failed."""
        statuses = {o.status for o in self.outcomes}
        if statuses <= {"ok"}:
            return 0
        return 2 if statuses <= {"ok", "invalid"} else 1


def safe_name(profile_id: str) -> str:
    """A file-name stem from a profile id: no separators, no dot-files, no escaping ``--out``."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", profile_id).strip("-.")
    return stem[:64] or "profile"


# --------------------------------------------------------------------------- worker side

_STATE: dict[str, Any] = {}


def _init_worker(settings: BatchSettings, token: str) -> None:
    """Load configuration and rubrics once per worker process."""
    from riskscore.pipeline import Pipeline

    pipeline = Pipeline.open(settings.config_path, rubric_set=settings.rubric_set, rubrics_dirs=settings.rubrics_dirs,
                             discover=settings.discover_config)
    _STATE.update(settings=settings, token=token, pipeline=pipeline, rubrics=pipeline.rubrics)


def _process(job: tuple[int, str]) -> Outcome:
    index, path = job
    settings: BatchSettings = _STATE["settings"]
    try:
        return _render_one(index, path, settings)
    except InputError as exc:
        return Outcome(index, path, "invalid", error=str(exc))
    except Exception as exc:  # one broken profile must not stop the batch
        return Outcome(index, path, "failed", error=f"{type(exc).__name__}: {exc}")


def _render_one(index: int, path: str, settings: BatchSettings) -> Outcome:
    from riskscore.pipeline import Pipeline

    pipeline: Pipeline = _STATE["pipeline"]
    profile = pipeline.load(path, settings.max_bytes)
    if safe_name(profile.id) in RESERVED_STEMS:
        raise InputError(path, [Problem("id", f"{profile.id!r} is reserved for the batch's own files ({', '.join(sorted(RESERVED_STEMS))}); choose another id")])
    assessment = pipeline.assess(profile)
    documents = pipeline.render(profile, assessment, [f for f in FORMATS if f in settings.formats], source=Path(path))
    stem = safe_name(profile.id)
    temps = {}
    for fmt, text in documents.items():
        temps[f"{stem}.{fmt}"] = _write_temp(settings.out, f"{stem}.{fmt}", text, _STATE["token"], index)
    status = "rubric_error" if assessment.failed else "ok"
    error = "; ".join(f"{o.id}: {o.error}" for o in assessment.failed) or None
    return Outcome(index, path, status, profile.id, summary_row(assessment), error, temps)


def _write_temp(out: Path, name: str, text: str, token: str, index: int) -> str:
    # The tag is unique per input: two inputs never share a temporary file.
    return str(io.write_temp(out / name, text, tag=f"{token}-{index}"))


def summary_row(assessment: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": assessment.profile_id,
        "company": assessment.company,
        "as_of": assessment.as_of.isoformat(),
        "adjusted_score": assessment.adjusted_score,
        "adjusted_band": assessment.adjusted_band,
        "indicated_score": assessment.indicated_score,
        "indicated_band": assessment.indicated_band,
        "red_flags": len(assessment.red_flags),
        "coverage": assessment.coverage,
        "confidence": assessment.confidence,
        "score_low": assessment.score_range.low,
        "score_high": assessment.score_range.high,
    }
    for outcome in assessment.rubrics:
        row[f"score_{outcome.id}"] = outcome.score if outcome.status != "error" else None
    return row


# --------------------------------------------------------------------------- main side

def run_batch(
    inputs: Iterable[str],
    settings: BatchSettings,
    workers: int = 1,
    summary_formats: Iterable[str] = (),
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> BatchReport:
    """Process every input; write memos, results and ``summary.csv``/``summary.json`` into ``settings.out``."""
    extra = list(summary_formats)
    for fmt in extra:
        _check_summary_engine(fmt)
    if not settings.formats:
        raise InputError("--format", [_problem(f"no output format given; choose from {', '.join(FORMATS)}")])
    for fmt in settings.formats:
        if fmt not in FORMATS:
            raise InputError("--format", [_problem(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")])
    out = settings.out
    if out.exists() and not out.is_dir():
        raise InputError(str(out), [_problem("--out must be a directory")])
    out.mkdir(parents=True, exist_ok=True)
    # Validate configuration and rubrics up front: a bad --config is one error, not N.
    token = uuid.uuid4().hex[:12]
    _init_worker(settings, token)

    paths, unmatched = expand_inputs(inputs)
    outcomes = [Outcome(-1, u.input, "invalid", error=str(u)) for u in unmatched]
    total = len(paths) + len(outcomes)
    for done, outcome in enumerate(outcomes, start=1):
        if progress:
            progress(done, total, outcome)
    written_by: dict[str, tuple[str, str]] = {}
    jobs = [(i, str(p)) for i, p in enumerate(paths)]
    del paths  # the jobs carry the names; keep one copy
    missing = sorted(outcomes, key=lambda o: o.path)
    # Summary rows stream to a file as profiles finish: memory stays flat however many there are.
    rows_path = out / f".summary-rows.{token}-rows.tmp"
    try:
        with open(rows_path, "w", encoding="utf-8") as rows:
            for outcome in _results(jobs, settings, token, workers):
                _settle(outcome, out, written_by)
                rows.write(_row_json(outcome))
                outcome.row, outcome.temps = {}, {}
                outcomes.append(outcome)
                if progress:
                    progress(len(outcomes), total, outcome)
            for outcome in missing:  # inputs that matched nothing come last, by name
                rows.write(_row_json(outcome))
        summary_files = write_summary(out, rows_path, extra, [r.id for r in _STATE["rubrics"]])
    finally:
        for leftover in out.glob(f".*.{token}-*.tmp"):
            leftover.unlink(missing_ok=True)
    return BatchReport(out, outcomes, summary_files)


def _row_json(outcome: Outcome) -> str:
    import json

    return json.dumps({"file": outcome.path, "status": outcome.status, "error": outcome.error, **outcome.row}, ensure_ascii=False) + "\n"


def _results(jobs: list[tuple[int, str]], settings: BatchSettings, token: str, workers: int) -> Iterator[Outcome]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _process(job)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(64, len(jobs) // (workers * 8) or 1))
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings, token)) as pool:
        try:
            yield from pool.map(_process, jobs, chunksize=chunk)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _settle(outcome: Outcome, out: Path, written_by: dict[str, tuple[str, str]]) -> None:
    """Rename a finished profile's files into place, unless its file name was already written.

    The check is on the file name, not the id, so two ids that sanitise to one name
    (``acme`` and ``acme-``) cannot overwrite each other either.
    """
    if outcome.profile_id is not None and outcome.temps:
        stem = safe_name(outcome.profile_id)
        first = written_by.get(stem)
        if first is not None:
            first_path, first_id = first
            for tmp in outcome.temps.values():
                Path(tmp).unlink(missing_ok=True)
            outcome.status = "duplicate"
            if first_id == outcome.profile_id:
                outcome.error = f"profile id {outcome.profile_id!r} is already used by {first_path}; nothing written for this file"
            else:
                outcome.error = (f"profile id {outcome.profile_id!r} gives the file names {stem}.* already written for "
                                 f"{first_path} (id {first_id!r}); nothing written for this file")
            outcome.temps = {}
            return
        written_by[stem] = (outcome.path, outcome.profile_id)
        for name, tmp in outcome.temps.items():
            io.commit(Path(tmp), out / name)


def _problem(message: str) -> Problem:
    return Problem("", message)


def _check_summary_engine(fmt: str) -> None:
    if fmt not in _SUMMARY_ENGINES:
        raise InputError("--summary-format", [_problem(f"unknown summary format {fmt!r}; choose from {', '.join(SUMMARY_FORMATS)}")])
    module, hint = _SUMMARY_ENGINES[fmt]
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InputError("--summary-format", [_problem(f"{fmt} needs the {module} package, which is not installed ({hint})")])


SUMMARY_COLUMNS = ["file", "id", "company", "as_of", "status", "error", "adjusted_score", "adjusted_band",
                   "indicated_score", "indicated_band", "red_flags", "coverage", "confidence", "score_low", "score_high"]


def write_summary(out: Path, rows_path: Path, extra_formats: list[str], rubric_ids: list[str] = ()) -> list[Path]:  # type: ignore[assignment]
    """``summary.csv`` and ``summary.json`` from the streamed rows (one per input, input order),
    plus parquet/xlsx when asked for.

    Columns are fixed by the run (every selected rubric has its ``score_<id>`` column even
    when nothing scored), so a reporting tool can rely on them. CSV and JSON are written
    chunk by chunk, so memory does not grow with the number of profiles.
    """
    import json

    import pandas as pd

    columns = SUMMARY_COLUMNS + [f"score_{rid}" for rid in sorted(rubric_ids)]

    def chunks():  # type: ignore[no-untyped-def]
        with open(rows_path, encoding="utf-8") as fh:
            batch: list[dict[str, Any]] = []
            for line in fh:
                batch.append(json.loads(line))
                if len(batch) == 500:  # small chunks: the summary's memory does not grow with the batch
                    yield _frame(pd, batch, columns)
                    batch = []
            if batch:
                yield _frame(pd, batch, columns)

    def write_csv(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            first = True
            for frame in chunks():
                csv_frame = frame.copy()
                for column in ("file", "id", "company", "error"):
                    # A text cell starting with = + - @ would run as a formula in a spreadsheet.
                    csv_frame[column] = csv_frame[column].map(lambda v: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v)
                csv_frame.to_csv(fh, index=False, header=first, lineterminator="\n")
                first = False
            if first:
                pd.DataFrame(columns=columns).to_csv(fh, index=False, lineterminator="\n")

    def write_json(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("[")
            count = 0
            for frame in chunks():
                for record in frame.astype(object).to_dict(orient="records"):
                    record = {k: (None if pd.isna(v) else v) for k, v in record.items()}
                    text = json.dumps(record, indent=2, ensure_ascii=False, default=_jsonable)
                    fh.write((",\n  " if count else "\n  ") + text.replace("\n", "\n  "))
                    count += 1
            fh.write("\n]\n" if count else "]\n")

    def whole() -> Any:
        return pd.concat(list(chunks()), ignore_index=True)

    written = []
    for name, write in (
        ("summary.csv", write_csv),
        ("summary.json", write_json),
        ("summary.parquet", lambda p: whole().to_parquet(p, index=False)),
        ("summary.xlsx", lambda p: whole().to_excel(p, index=False)),
    ):
        if name.split(".")[1] not in ("csv", "json", *extra_formats):
            continue
        final = out / name
        with io.replacing(final) as tmp:
            write(tmp)
        written.append(final)
    return written


def _frame(pd: Any, records: list[dict[str, Any]], columns: list[str]) -> Any:
    frame = pd.DataFrame(records).reindex(columns=columns)
    frame["red_flags"] = frame["red_flags"].astype("Int64")  # counts stay integers beside failed rows
    return frame


def _jsonable(value: Any) -> Any:
    """numpy scalars from pandas as plain JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)
