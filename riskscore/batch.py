"""Batch runs: many profiles to memos, JSON results and a summary table, for reporting tools.

Guarantees:

* **One bad profile never stops a batch.** Each profile is loaded, scored and rendered on
  its own; an invalid one is listed with file, field and reason, a failed one with the error.
* **No half-written files, no half-written sets.** Every output is written to a temporary
  file in the output directory and renamed into place only when complete
  (:mod:`riskscore.io`). A profile whose
  files cannot all be written (disk full, a directory in the way) is ``write_error``: none
  of its files is left, the others go on, and the summary is written.
* **No litter.** Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the workers and remove every
  temporary file before the run exits (exit code 128 + the signal's number); workers exit
  when the batch process dies, whatever kills it; a run first removes temporary files of
  this naming pattern (``.<name>.batch-<hex>….tmp``) left in ``--out`` by a killed run.
  Re-running over the same inputs rewrites identical files.
* **One batch per directory.** A run holds an ``fcntl`` lock on ``--out/.riskscore-batch.lock``
  (released by the kernel however the run ends; the file is removed when the run ends);
  a second run into the same ``--out`` is refused (:class:`~riskscore.errors.BusyError`,
  exit code 1).
* **No stale verdicts.** When an input listed in the previous run's ``summary.csv`` fails
  now (invalid, failed, write_error, or no longer found), the files that run wrote for it
  (``<id>.md``/``.html``/``.json``) are removed, and its summary row says so.
* **No overwrites between profiles.** File names come from profile ids (slugs, sanitised
  again here), so no name escapes ``--out``; a second profile with an id already written in
  this run is an error naming the first, not an overwrite.
* **Streaming.** Workers write each profile's files as they finish; only one small summary
  row per profile is kept in memory.
* **Deterministic.** Results are taken in command-line order (the files of a directory or a
  glob sorted by name), so the profile named first wins a shared id, and the summary and
  duplicate decisions do not depend on which worker finished first.
* **The same memos as ``riskscore memo``.** Each worker runs one
  :class:`riskscore.pipeline.Pipeline`, so the configuration's ``[memo]`` settings (peer set,
  precedents, calibration) apply to every memo.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskscore import io
from riskscore.errors import BusyError, InputError, Problem
from riskscore.pipeline import DOCUMENT_FORMATS, MEMO_FORMATS, Pipeline
from riskscore.profile.load import expand_inputs
from riskscore.report.format import LANGS
from riskscore.scoring.contract import percent_in_json

FORMATS = DOCUMENT_FORMATS  # md, html, json
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
    lang: str | None = None       # language of the memos (None: memo.lang); zh writes <id>.zh.md / .zh.html, the JSON is the same


@dataclass(slots=True)
class Outcome:
    """What became of one input."""

    index: int
    path: str
    status: str  # ok | rubric_error | invalid | failed | write_error | duplicate
    profile_id: str | None = None
    row: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    temps: dict[str, str] = field(default_factory=dict)  # final name -> temporary path


@dataclass
class BatchReport:
    out: Path
    outcomes: list[Outcome]
    summary_files: list[Path]
    load_failures: list[str] = field(default_factory=list)
    """Rubric plugins that could not be loaded ("name (origin) not loaded: reason"); the batch ran without them."""
    scores: list[tuple[float | None, str | None]] = field(default_factory=list)  # (adjusted score, band) of each profile written

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def exit_code(self) -> int:
        """0 all written; 2 only invalid inputs failed; 1 anything else failed, or a rubric plugin did not load."""
        statuses = {o.status for o in self.outcomes}
        if self.load_failures:
            return 1
        if statuses <= {"ok"}:
            return 0
        return 2 if statuses <= {"ok", "invalid"} else 1


class BatchInterrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a batch (SIGINT is a plain KeyboardInterrupt); ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def safe_name(profile_id: str) -> str:
    """A file-name stem from a profile id: no separators, no dot-files, no escaping ``--out``."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", profile_id).strip("-.")
    return stem[:64] or "profile"


# --------------------------------------------------------------------------- worker side

_STATE: dict[str, Any] = {}


def _init_worker(settings: BatchSettings, token: str, parent: int | None = None) -> None:
    """Load configuration and rubrics once per worker process (and once in the parent, to
    validate them up front). In a worker (``parent`` is the batch process's pid): exit when
    the parent dies, leave Ctrl-C to the parent, and die of SIGTERM."""
    if parent is not None:
        _bind_to_parent(parent)
    pipeline = Pipeline.open(settings.config_path, rubric_set=settings.rubric_set, rubrics_dirs=settings.rubrics_dirs,
                             discover=settings.discover_config)
    failures = [f"{item.name} ({item.origin}) not loaded: {item.error}" for item in pipeline.load_failures]
    _STATE.update(settings=settings, token=token, pipeline=pipeline, rubrics=pipeline.rubrics, load_failures=failures)


def _bind_to_parent(parent: int) -> None:
    """Make this worker exit when the batch process dies, whatever the signal (even SIGKILL):
    the kernel's parent-death signal on Linux, and a watchdog thread everywhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent stops us
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, signal.SIG_DFL)  # not the parent's handler, inherited through fork
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    original = os.getppid()
    if not _alive(parent):  # the parent died before we were bound to it
        os._exit(1)

    def watch() -> None:
        import time

        while True:
            time.sleep(0.5)
            if os.getppid() != original or not _alive(parent):  # re-parented, or the batch process is gone
                os._exit(1)

    threading.Thread(target=watch, name="riskscore-parent-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _lean_gc() -> Iterator[None]:
    """Garbage collection tuned for scoring many profiles, restored afterwards.

    The modules, models and compiled templates loaded at start never become garbage, yet every
    full collection walks them again; frozen, they are left alone. Collecting the young
    generation every 20,000 allocations instead of 700 spares a collection per few objects of
    a profile's parse tree. Nothing is kept: what a profile leaves behind is freed as before.
    """
    threshold = _tune_gc()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _tune_gc() -> tuple[int, int, int]:
    """Freeze what is loaded and collect the young generation less often (see :func:`_lean_gc`); return the previous thresholds."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, threshold[1], threshold[2])
    return threshold


def _worker_start(settings: BatchSettings, token: str, parent: int | None = None) -> None:
    """A worker process's start: the pipeline, then collection tuned for the rest of its life."""
    _init_worker(settings, token, parent)
    _tune_gc()


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
    pipeline: Pipeline = _STATE["pipeline"]
    profile = pipeline.load(path, settings.max_bytes)
    stem = safe_name(profile.id)  # as loaded, before any rubric runs
    if stem in RESERVED_STEMS:
        raise InputError(path, [Problem("id", f"{profile.id!r} is reserved for the batch's own files ({', '.join(sorted(RESERVED_STEMS))}); choose another id")])
    assessment = pipeline.assess(profile)
    options = pipeline.memo_options(lang=settings.lang)
    documents = pipeline.render(profile, assessment, [f for f in FORMATS if f in settings.formats], options, source=Path(path))
    temps: dict[str, str] = {}
    name = ""
    try:
        for fmt, text in documents.items():
            name = f"{stem}{options.suffix if fmt != 'json' else ''}.{fmt}"
            temps[name] = _write_temp(settings.out, name, text, _STATE["token"], index)
    except OSError as exc:  # disk full, permissions: this profile fails, the batch goes on
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        return Outcome(index, path, "write_error", profile.id, {"id": profile.id}, f"cannot write {settings.out / name}: {_reason(exc)}")
    status = "rubric_error" if assessment.failed else "ok"
    error = "; ".join(f"{o.id}: {o.error}" for o in assessment.failed) or None
    return Outcome(index, path, status, profile.id, summary_row(assessment), error, temps)


TEMP_PATTERN = re.compile(r"^\..+\.batch-[0-9a-f]{12}(-\d+|-rows)?\.tmp$")
"""The names of a batch's temporary files; a run removes any it finds in ``--out`` before it starts."""


def _write_temp(out: Path, name: str, text: str, token: str, index: int) -> str:
    # The tag is unique per input: two inputs never share a temporary file. On failure nothing is left.
    return str(io.write_temp(out / name, text, tag=f"batch-{token}-{index}"))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


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
        "coverage": percent_in_json(assessment.coverage),  # percent, as in the result JSON
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
    """Process every input; write memos, results and ``summary.csv``/``summary.json`` into ``settings.out``.

    Raises :class:`~riskscore.errors.BusyError` when another batch is writing into the same
    directory, and :class:`KeyboardInterrupt` (:class:`BatchInterrupted` for SIGTERM/SIGHUP)
    when interrupted, after the workers have stopped and the temporary files are removed.
    """
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

    with _exclusive(out), _signals_interrupt():
        _remove_stale_temporaries(out)
        try:
            return _run_locked(inputs, settings, token, workers, extra, progress)
        finally:
            with _signals_ignored():  # a second Ctrl-C must not stop the clean-up half-way
                for leftover in out.glob(f".*.batch-{token}*.tmp"):
                    leftover.unlink(missing_ok=True)


def _run_locked(inputs: Iterable[str], settings: BatchSettings, token: str, workers: int, extra: list[str],
                progress: Callable[[int, int, Outcome], None] | None) -> BatchReport:
    out = settings.out
    previous = _previous_outputs(out)
    paths, unmatched = expand_inputs(inputs)
    outcomes = [Outcome(-1, u.input, "invalid", error=str(u)) for u in unmatched]
    total = len(paths) + len(outcomes)
    for done, outcome in enumerate(outcomes, start=1):
        if progress:
            progress(done, total, outcome)
    written_by: dict[str, tuple[str, str]] = {}
    scores: list[tuple[float | None, str | None]] = []  # two values per profile, for the CLI's one-line summary
    jobs = [(i, str(p)) for i, p in enumerate(paths)]
    del paths  # the jobs carry the names; keep one copy
    missing = sorted(outcomes, key=lambda o: o.path)
    # Summary rows stream to a file as profiles finish: memory stays flat however many there are.
    rows_path = out / f".summary-rows.batch-{token}-rows.tmp"
    results = _results(jobs, settings, token, workers)
    try:
        with open(rows_path, "w", encoding="utf-8") as rows:
            for outcome in results:
                _settle(outcome, out, written_by)
                _remove_stale_outputs(outcome, out, written_by, previous)
                if outcome.status in ("ok", "rubric_error"):
                    scores.append((outcome.row.get("adjusted_score"), outcome.row.get("adjusted_band")))
                rows.write(_row_json(outcome))
                outcome.row, outcome.temps = {}, {}
                outcomes.append(outcome)
                if progress:
                    progress(len(outcomes), total, outcome)
            for outcome in missing:  # inputs that matched nothing come last, by name
                _remove_stale_outputs(outcome, out, written_by, previous)
                rows.write(_row_json(outcome))
    finally:
        results.close()  # stops the workers first when interrupted: none writes after the clean-up
    summary_files = write_summary(out, rows_path, extra, [r.id for r in _STATE["rubrics"]], token,
                                  methodology_version=_STATE["pipeline"].config.methodology_version)
    return BatchReport(out, outcomes, summary_files, list(_STATE["load_failures"]), scores)


def _row_json(outcome: Outcome) -> str:
    import json

    return json.dumps({"file": outcome.path, "status": outcome.status, "error": outcome.error, **outcome.row}, ensure_ascii=False) + "\n"


def _results(jobs: list[tuple[int, str]], settings: BatchSettings, token: str, workers: int) -> Generator[Outcome, None, None]:
    if workers <= 1 or len(jobs) <= 1:
        with _lean_gc():
            for job in jobs:
                yield _process(job)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(64, len(jobs) // (workers * 8) or 1))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start, initargs=(settings, token, os.getpid()))
    try:
        yield from pool.map(_process, jobs, chunksize=chunk)
    except BaseException:  # an interrupt, or the consumer stopped early: stop the workers now
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: Any) -> None:
    """Terminate a process pool's workers and wait for them: none may write after the clean-up."""
    with _signals_ignored():
        procs = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before Python 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


# --------------------------------------------------------------------------- locking, signals, stale files

LOCK_NAME = ".riskscore-batch.lock"


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``out/.riskscore-batch.lock`` for the run, or raise BusyError.

    The kernel releases the lock however the process ends, so a killed run never leaves a
    stale lock; the file itself is removed at the end (after checking, on taking the lock,
    that it is still the file at that path, so two runs cannot each lock a different one).
    Without ``fcntl`` (Windows) runs are not locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    path = out / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise BusyError(f"another riskscore batch{f' (pid {holder})' if holder.isdigit() else ''} is writing into {out} "
                            f"(it holds {path}); wait for it to finish, or choose another --out") from None
        try:
            here = os.stat(path)
            mine = os.fstat(fd)
            if (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # the run before removed the file as we opened it: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        with _signals_ignored():
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(fd)


_STOP_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`BatchInterrupted` (as Ctrl-C raises KeyboardInterrupt),
    so the run stops its workers and removes its temporary files before it exits. Only the
    main thread can handle signals; elsewhere the handlers stay as they are."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise BatchInterrupted(signum)

    previous = {s: signal.signal(s, interrupt) for s in _STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Hold off SIGINT, SIGTERM and SIGHUP while cleaning up (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, *_STOP_SIGNALS)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a batch that was killed (SIGKILL, power loss) before it could clean up."""
    for entry in os.scandir(out):
        if TEMP_PATTERN.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _previous_outputs(out: Path) -> dict[str, str]:
    """Input file -> profile id, for the inputs the previous run (its summary.csv) wrote files for."""
    import csv

    summary = out / "summary.csv"
    found: dict[str, str] = {}
    try:
        with open(summary, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("status") in ("ok", "rubric_error") and row.get("id") and row.get("file"):
                    found[_unescape_cell(row["file"])] = _unescape_cell(row["id"])
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}  # no previous summary, or not one of ours: nothing is known to be stale
    return found


def _unescape_cell(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value


def _remove_stale_outputs(outcome: Outcome, out: Path, written_by: dict[str, tuple[str, str]], previous: dict[str, str]) -> None:
    """An input that fails now must not leave the files an earlier run wrote for it beside a
    summary saying it failed: remove them (unless another input of this run wrote that name)."""
    if outcome.status not in ("invalid", "failed", "write_error"):
        return
    ids = {previous.get(outcome.path), previous.get(str(Path(outcome.path).resolve())) if outcome.path else None}
    if outcome.status == "write_error":
        ids.add(outcome.profile_id)
    removed, kept = [], []
    for stem in sorted({safe_name(i) for i in ids if i}):
        if stem in written_by and written_by[stem][0] != outcome.path:
            continue
        # the memos in every language (<id>.md, <id>.zh.md) and the JSON result
        for name in [f"{stem}.{fmt}" for fmt in FORMATS] + [f"{stem}.{lang}.{fmt}" for lang in LANGS[1:] for fmt in MEMO_FORMATS]:
            target = out / name
            if os.path.lexists(target) and (target.is_symlink() or not target.is_dir()):  # never a directory: not ours
                try:
                    target.unlink()
                    removed.append(target.name)
                except OSError:
                    kept.append(target.name)
    if removed:
        outcome.error = f"{outcome.error}; previous outputs removed: {', '.join(removed)}"
    if kept:
        outcome.error = f"{outcome.error}; could not remove: {', '.join(kept)}"


def _settle(outcome: Outcome, out: Path, written_by: dict[str, tuple[str, str]]) -> None:
    """Rename a finished profile's files into place, unless its file name was already written.

    The check is on the file name, not the id, so two ids that sanitise to one name
    (``acme`` and ``acme-``) cannot overwrite each other either. The set is all or nothing:
    if one file cannot be put in place, the profile is ``write_error`` and none of its new
    files is left.
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
            outcome.row = {key: outcome.row[key] for key in _IDENTITY if key in outcome.row}  # no scores: nothing was written for it
            return
        written_by[stem] = (outcome.path, outcome.profile_id)
        placed: list[Path] = []
        target = out
        try:
            for name in outcome.temps:
                target = out / name
                if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
                    raise OSError(f"{'a symbolic link' if target.is_symlink() else 'a directory or special file'} is in the way")
            for name, tmp in outcome.temps.items():
                target = out / name
                io.commit(Path(tmp), target)
                placed.append(target)
        except OSError as exc:
            for tmp in outcome.temps.values():
                Path(tmp).unlink(missing_ok=True)
            for done in placed:  # a half-replaced set would pair new and old files
                done.unlink(missing_ok=True)
            outcome.status, outcome.row = "write_error", {"id": outcome.profile_id}
            outcome.error = f"cannot write {target}: {_reason(exc)}"
            outcome.temps = {}


def _problem(message: str) -> Problem:
    return Problem("", message)


def _check_summary_engine(fmt: str) -> None:
    if fmt not in _SUMMARY_ENGINES:
        raise InputError("--summary-format", [_problem(f"unknown summary format {fmt!r}; choose from {', '.join(SUMMARY_FORMATS)}")])
    module, hint = _SUMMARY_ENGINES[fmt]
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InputError("--summary-format", [_problem(f"{fmt} needs the {module} package, which is not installed ({hint})")])


SUMMARY_DTYPES: dict[str, str] = {
    "file": "string", "id": "string", "company": "string", "as_of": "string", "status": "string", "error": "string",
    "adjusted_score": "Float64", "adjusted_band": "string", "indicated_score": "Float64", "indicated_band": "string",
    "red_flags": "Int64", "coverage": "Float64", "confidence": "string", "score_low": "Float64", "score_high": "Float64",
    "methodology_version": "string", "result_schema_version": "Int64",
}
"""Every summary column's pandas dtype, whatever the run: nullable, so a missing value never turns
a column of counts into floats or a column of text into numbers. ``score_<rubric>`` columns are Float64."""
SUMMARY_COLUMNS = list(SUMMARY_DTYPES)
_IDENTITY = ("id", "company", "as_of")


def summary_dtypes(columns: Iterable[str]) -> dict[str, str]:
    """The dtype of each summary column (``score_<rubric>`` ones included), for ``pandas.read_csv(..., dtype=...)``."""
    return {c: SUMMARY_DTYPES.get(c, "Float64") for c in columns}


def read_summary(path: str | Path) -> Any:
    """A ``summary.csv`` or ``summary.json`` as a pandas DataFrame with the documented dtypes."""
    import json

    import pandas as pd

    path = Path(path)
    if path.suffix == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        columns = list(records[0]) if records else SUMMARY_COLUMNS
        return pd.DataFrame.from_records(records, columns=columns).astype(summary_dtypes(columns))
    header = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, dtype=summary_dtypes(header), keep_default_na=False, na_values=[""])


def write_summary(out: Path, rows_path: Path, extra_formats: list[str], rubric_ids: Sequence[str] = (),
                  token: str | None = None, methodology_version: str | None = None) -> list[Path]:
    """``summary.csv`` and ``summary.json`` from the streamed rows (one per input, input order),
    plus parquet/xlsx when asked for.

    Columns and their types are fixed by the run (:data:`SUMMARY_DTYPES`; every selected
    rubric has its ``score_<id>`` column even when nothing scored), so a reporting tool can
    rely on them. Every row carries the run's ``methodology_version`` and
    ``result_schema_version``. CSV and JSON are written chunk by chunk, so memory does not
    grow with the number of profiles.
    """
    import json

    import pandas as pd

    from riskscore.scoring.engine import RESULT_SCHEMA_VERSION

    columns = SUMMARY_COLUMNS + [f"score_{rid}" for rid in sorted(rubric_ids)]
    dtypes = summary_dtypes(columns)
    run_columns = {"methodology_version": methodology_version, "result_schema_version": RESULT_SCHEMA_VERSION}

    def chunks() -> Iterator[Any]:
        with open(rows_path, encoding="utf-8") as fh:
            batch: list[dict[str, Any]] = []
            for line in fh:
                batch.append(json.loads(line))
                if len(batch) == 500:  # small chunks: the summary's memory does not grow with the batch
                    yield _frame(pd, batch, dtypes, run_columns)
                    batch = []
            if batch:
                yield _frame(pd, batch, dtypes, run_columns)

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
                _frame(pd, [], dtypes, run_columns).to_csv(fh, index=False, lineterminator="\n")

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
        return pd.concat(list(chunks()) or [_frame(pd, [], dtypes, run_columns)], ignore_index=True)

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
        with io.replacing(final, tag=f"batch-{token or uuid.uuid4().hex[:12]}") as tmp:
            write(tmp)
        written.append(final)
    return written


def _frame(pd: Any, records: list[dict[str, Any]], dtypes: dict[str, str], run_columns: dict[str, Any]) -> Any:
    """Rows as a frame of the declared dtypes: the same types whichever rows a run produced."""
    frame = pd.DataFrame.from_records([{**r, **run_columns} for r in records], columns=list(dtypes))
    return frame.astype(dtypes)


def _jsonable(value: Any) -> Any:
    """numpy scalars from pandas as plain JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)
