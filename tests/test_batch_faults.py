"""Batch runs under faults and interrupts: a write failure fails that profile only
(``write_error``, none of its files left) and the summary is still written; SIGTERM and SIGINT
leave no temporary files and no live workers; workers die with a SIGKILLed parent; a run
removes stale temporary files of its own pattern; a second concurrent batch into one
``--out`` is refused; outputs of inputs that now fail are removed; the profile named first
wins a shared id."""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskscore import api, batch
from riskscore.cli.app import app
from riskscore.errors import BusyError

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "tests" / "rubric_cases" / "_base.yaml").read_text(encoding="utf-8")
runner = CliRunner()
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds worker processes through /proc")

SLOW_PLUGIN = '''
import time

from riskscore.rubric import DataGap, Rubric, RubricResult


class Slow(Rubric):
    """Takes its time, for interrupt tests.

    Sleeps, then scores nothing.
    """

    id = "slow"
    title = "Slow"
    version = "1.0"
    default_weight = 1
    contract_version = 1

    def score(self, profile, params):
        time.sleep(0.25)
        return RubricResult(coverage=0.0, data_gaps=[DataGap(field="x", reason="nothing")])
'''


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def profile(profile_id: str, company: str = "Test Co") -> str:
    return BASE.replace("id: testco", f"id: {profile_id}", 1).replace("name: Test Co", f"name: {company}", 1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def inputs(tmp_path: Path, ids: list[str]) -> list[Path]:
    return [write(tmp_path / "in" / f"{i}.yaml", profile(i)) for i in ids]


def names(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def summary(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "summary.csv", encoding="utf-8", newline="") as fh:
        return {Path(r["file"]).stem: r for r in csv.DictReader(fh)}


def no_litter(out: Path) -> None:
    assert [n for n in os.listdir(out) if n.startswith(".") or n.endswith(".tmp")] == []


# --------------------------------------------------------------------------- write failures


def fail_on(monkeypatch: pytest.MonkeyPatch, name: str, exc: OSError) -> None:
    real = batch._write_temp

    def write_temp(out: Path, file_name: str, text: str, token: str, index: int) -> str:
        if file_name == name:
            raise exc
        return real(out, file_name, text, token, index)

    monkeypatch.setattr(batch, "_write_temp", write_temp)


def test_disk_full_mid_set_fails_that_profile_only_and_the_summary_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = inputs(tmp_path, ["alpha", "beta", "gamma"])
    out = tmp_path / "out"
    fail_on(monkeypatch, "beta.html", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))  # beta.md is already on disk
    result = runner.invoke(app, ["batch", *map(str, files), "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output
    assert names(out) == ["alpha.html", "alpha.json", "alpha.md", "gamma.html", "gamma.json", "gamma.md", "summary.csv", "summary.json"]
    rows = summary(out)
    assert rows["beta"]["status"] == "write_error" and rows["beta"]["id"] == "beta"
    assert rows["beta"]["error"] == f"cannot write {out / 'beta.html'}: No space left on device"
    assert [rows[i]["status"] for i in ("alpha", "gamma")] == ["ok", "ok"]
    assert f"write_error: {files[1]}: cannot write {out / 'beta.html'}: No space left on device" in result.stderr
    no_litter(out)


def test_a_write_failure_removes_the_previous_set_of_that_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = inputs(tmp_path, ["alpha", "beta"])
    out = tmp_path / "out"
    assert api.batch(files, out).exit_code == 0
    fail_on(monkeypatch, "beta.json", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    report = api.batch(files, out)
    assert [o.status for o in report.outcomes] == ["ok", "write_error"]
    assert not any(n.startswith("beta.") for n in names(out))  # no old verdict beside a summary saying write_error
    assert summary(out)["beta"]["error"].endswith("; previous outputs removed: beta.md, beta.html, beta.json")
    no_litter(out)


def test_a_directory_in_the_way_fails_that_profile_only(tmp_path: Path) -> None:
    files = inputs(tmp_path, ["alpha", "jd-health", "gamma"])
    out = tmp_path / "out"
    (out / "jd-health.html").mkdir(parents=True)
    report = api.batch(files, out)
    assert [o.status for o in report.outcomes] == ["ok", "write_error", "ok"]
    assert report.exit_code == 1
    assert [n for n in names(out) if n.startswith("jd-health")] == ["jd-health.html"]  # the directory, and no .md or .json
    assert (out / "jd-health.html").is_dir()
    row = summary(out)["jd-health"]
    assert row["status"] == "write_error"
    assert row["error"] == f"cannot write {out / 'jd-health.html'}: a directory or special file is in the way"
    assert (out / "gamma.json").is_file() and (out / "summary.json").is_file()
    no_litter(out)


def test_a_rename_failing_mid_set_leaves_none_of_the_new_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = inputs(tmp_path, ["alpha", "beta"])
    out = tmp_path / "out"
    real = os.replace

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith("beta.json"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(src, dst)

    monkeypatch.setattr(batch.os, "replace", replace)
    report = api.batch(files, out)
    assert [o.status for o in report.outcomes] == ["ok", "write_error"]
    assert not any(n.startswith("beta.") for n in names(out))  # beta.md and beta.html were renamed, then taken back
    assert summary(out)["beta"]["error"] == f"cannot write {out / 'beta.json'}: Input/output error"
    no_litter(out)


# --------------------------------------------------------------------------- stale outputs, duplicate ids


def test_outputs_of_an_input_that_now_fails_are_removed(tmp_path: Path) -> None:
    alpha, beta, gamma = inputs(tmp_path, ["alpha", "beta", "gamma"])
    out = tmp_path / "out"
    assert api.batch([alpha, beta, gamma], out).exit_code == 0
    write(beta, profile("beta") + "periods: [\n")  # now invalid
    gamma.unlink()  # now missing, though still named
    report = api.batch([alpha, beta, gamma], out)
    assert report.exit_code == 2
    assert names(out) == ["alpha.html", "alpha.json", "alpha.md", "summary.csv", "summary.json"]
    rows = summary(out)
    assert rows["beta"]["status"] == "invalid" and rows["beta"]["error"].endswith("; previous outputs removed: beta.md, beta.html, beta.json")
    assert rows["gamma"]["status"] == "invalid" and rows["gamma"]["error"].endswith("; previous outputs removed: gamma.md, gamma.html, gamma.json")


def test_a_failing_input_does_not_remove_files_another_input_wrote_in_this_run(tmp_path: Path) -> None:
    (beta,) = inputs(tmp_path, ["beta"])
    out = tmp_path / "out"
    api.batch([beta], out)
    other = write(tmp_path / "in2" / "other.yaml", profile("beta", "Other Co"))  # now the one writing beta.*
    write(beta, "not: [valid\n")
    report = api.batch([other, beta], out)
    assert [o.status for o in report.outcomes] == ["ok", "invalid"]
    assert json.loads((out / "beta.json").read_text(encoding="utf-8"))["company"] == "Other Co"


@pytest.mark.parametrize("named_first", [True, False])
def test_a_named_file_and_a_stray_copy_in_a_directory_the_one_named_first_wins(tmp_path: Path, named_first: bool) -> None:
    named = write(tmp_path / "named.yaml", profile("dup", "Named Co"))
    stray = write(tmp_path / "dir" / "a-stray.yaml", profile("dup", "Stray Co"))  # its path sorts first
    args = [named, tmp_path / "dir"] if named_first else [tmp_path / "dir", named]
    report = api.batch(args, tmp_path / "out", formats=["json"])
    winner = "Named Co" if named_first else "Stray Co"
    assert json.loads((tmp_path / "out" / "dup.json").read_text(encoding="utf-8"))["company"] == winner
    assert [(o.path, o.status) for o in report.outcomes] == ([(str(named), "ok"), (str(stray), "duplicate")] if named_first
                                                             else [(str(stray), "ok"), (str(named), "duplicate")])


# --------------------------------------------------------------------------- lock and stale temporaries


def test_a_run_removes_stale_temporaries_of_its_own_pattern_only(tmp_path: Path) -> None:
    (alpha,) = inputs(tmp_path, ["alpha"])
    out = tmp_path / "out"
    out.mkdir()
    ours = [".alpha.md.batch-0123456789ab-3.tmp", ".summary-rows.batch-0123456789ab-rows.tmp", ".summary.csv.batch-abcdef012345.tmp"]
    theirs = [".alpha.md.x1y2z3ab.tmp", "notes.tmp", ".hidden", ".alpha.md.batch-XYZ-3.tmp"]
    for name in ours + theirs:
        (out / name).write_text("left by someone\n", encoding="utf-8")
    api.batch([alpha], out)
    left = [n for n in os.listdir(out) if n.startswith(".") or n.endswith(".tmp")]
    assert sorted(left) == sorted(theirs)


def test_a_second_batch_into_the_same_out_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    import fcntl

    (alpha,) = inputs(tmp_path, ["alpha"])
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".alpha.md.batch-0123456789ab-0.tmp"  # another run's temporary file: not to be touched
    stale.write_text("in flight\n", encoding="utf-8")
    with open(out / batch.LOCK_NAME, "w") as held:
        held.write("4242\n")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BusyError):
            api.batch([alpha], out)
        result = runner.invoke(app, ["batch", str(alpha), "--out", str(out)])
        assert result.exit_code == 1
        assert f"error: another riskscore batch (pid 4242) is writing into {out} (it holds {out / batch.LOCK_NAME}); " in result.stderr
        assert stale.exists() and not (out / "alpha.md").exists()
    # Released (as the kernel does when a run dies, however it dies): the next run goes ahead.
    assert api.batch([alpha], out).exit_code == 0
    assert not (out / batch.LOCK_NAME).exists()  # removed at the end of the run
    assert not stale.exists()


# --------------------------------------------------------------------------- real processes and signals


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper has exited: it is not alive)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def slow_batch(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start a real two-worker batch over 32 profiles with a slow rubric (4 s of work: the signal always lands mid-run); yields (process, out)."""
    plugins = tmp_path / "slow"
    write(plugins / "slow.py", SLOW_PLUGIN)
    inputs(tmp_path, [f"p{i:02d}" for i in range(32)])
    out = tmp_path / "out"
    procs: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-m", "riskscore", "batch", str(tmp_path / "in"), "--out", str(out), "--workers", "2",
                                 "--rubrics-dir", str(plugins), "--format", "json"],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "RISKSCORE_CACHE_DIR": str(tmp_path / "cache")})
        procs.append(proc)
        # Running for real: both workers started and at least one profile written.
        assert wait_for(lambda: len(children(proc.pid)) >= 2 and out.is_dir() and any(out.glob("p*.json"))), "the batch did not start"
        return proc

    yield start, out
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@linux_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_the_workers_and_leave_no_temporary_files(slow_batch, signum: int) -> None:  # type: ignore[no-untyped-def]
    start, out = slow_batch
    proc = start()
    workers = children(proc.pid)
    proc.send_signal(signum)
    assert proc.wait(20) == 128 + signum
    stderr = proc.stderr.read()
    assert f"interrupted ({signal.Signals(signum).name}): workers stopped, temporary files removed" in stderr
    assert "Traceback" not in stderr
    assert not [w for w in workers if alive(w)]
    no_litter(out)  # no temporary file and no lock file
    for path in out.glob("p*.json"):  # every file that is there is complete
        assert json.loads(path.read_text(encoding="utf-8"))["profile_id"] == path.stem


@linux_only
def test_workers_exit_when_the_parent_is_killed_and_the_next_run_cleans_up(slow_batch) -> None:  # type: ignore[no-untyped-def]
    start, out = slow_batch
    proc = start()
    workers = children(proc.pid)
    proc.kill()  # SIGKILL: no handler runs in the parent
    proc.wait(10)
    assert wait_for(lambda: not [w for w in workers if alive(w)], timeout=10), "workers outlived their parent"
    (out / ".p00.json.batch-0123456789ab-0.tmp").write_text("as a killed run leaves it\n", encoding="utf-8")
    again = start()  # the lock of the killed run is gone with it
    assert again.wait(60) == 0, again.stderr.read()
    no_litter(out)
    assert len(list(out.glob("p*.json"))) == 32


@linux_only
def test_two_concurrent_batches_the_second_is_refused(slow_batch) -> None:  # type: ignore[no-untyped-def]
    start, out = slow_batch
    first = start()
    (alpha,) = inputs(out.parent / "other", ["alpha"])
    result = runner.invoke(app, ["batch", str(alpha), "--out", str(out), "--quiet"])
    assert result.exit_code == 1
    assert f"error: another riskscore batch (pid {first.pid}) is writing into {out}" in result.stderr
    assert first.wait(60) == 0, first.stderr.read()  # the first run is undisturbed
    assert len(list(out.glob("p*.json"))) == 32 and not (out / "alpha.json").exists()
    no_litter(out)
