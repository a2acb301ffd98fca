"""Inputs that are not regular files — /dev/zero, a FIFO, a directory — are refused with exit 2
(never read until memory runs out, never waited on forever), and the size limit applies to the
bytes actually read. FIFO cases run in a subprocess with a timeout, so a regression fails
instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from riskscore.errors import InputError
from riskscore.inputfile import read_limited

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="needs /dev/zero and FIFOs")


def riskscore(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "riskscore", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "RISKSCORE_CACHE_DIR": str(cwd / "cache")})


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


@posix_only
def test_validate_refuses_what_is_not_a_regular_file(tmp_path: Path, fifo: Path) -> None:
    result = riskscore("validate", "/dev/zero", fifo, tmp_path, WEDOCTOR, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "/dev/zero: is a character device, not a profile file" in result.stderr
    assert f"{fifo}: is a FIFO (named pipe), not a profile file" in result.stderr
    assert f"{tmp_path}: is a directory, not a profile file" in result.stderr
    assert f"ok: {WEDOCTOR}" in result.stderr
    assert "3 of 4 profile(s) invalid" in result.stderr
    assert "Traceback" not in result.stderr


@posix_only
@pytest.mark.parametrize("command, special", [("score", "fifo"), ("memo", "dev_zero"), ("whatif", "fifo"), ("trend", "dev_zero")])
def test_scoring_commands_refuse_a_fifo_and_dev_zero_as_the_profile(tmp_path: Path, fifo: Path, command: str, special: str) -> None:
    extra = {"whatif": ["--set", "company.name=x"], "memo": ["--out", tmp_path / "out"], "trend": ["--out", tmp_path / "out"]}.get(command, [])
    target = fifo if special == "fifo" else Path("/dev/zero")
    result = riskscore(command, target, *extra, cwd=tmp_path)
    assert result.returncode == 2, (target, result.stderr)
    assert f"{target}: is a" in result.stderr and "not a profile file" in result.stderr
    assert not (tmp_path / "out").exists()


@posix_only
def test_configuration_and_calibration_files_must_be_regular_files(tmp_path: Path, fifo: Path) -> None:
    for option, target, what in (("--config", fifo, "configuration"), ("--config", Path("/dev/zero"), "configuration"),
                                 ("--calibration", fifo, "calibration")):
        result = riskscore("memo", WEDOCTOR, option, target, "--out", tmp_path / "out", cwd=tmp_path)
        assert result.returncode == 2, (option, target, result.stderr)
        assert f"{target}: is a" in result.stderr and f"not a {what} file" in result.stderr
    csv_fifo = tmp_path / "history.csv"
    os.mkfifo(csv_fifo)
    result = riskscore("calibrate", csv_fifo, "--out", tmp_path / "cal.json", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{csv_fifo}: is a FIFO (named pipe), not a history CSV file" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cal.json").exists()


@posix_only
def test_batch_lists_a_named_fifo_as_invalid_and_goes_on(tmp_path: Path, fifo: Path) -> None:
    result = riskscore("batch", fifo, "/dev/zero", WEDOCTOR, "--out", tmp_path / "out", "--format", "json", "--quiet", cwd=tmp_path)
    assert result.returncode == 2, result.stderr  # only invalid inputs failed
    assert f"invalid: {fifo}: is a FIFO (named pipe), not a profile file" in result.stderr
    assert "invalid: /dev/zero: is a character device, not a profile file" in result.stderr
    assert (tmp_path / "out" / "wedoctor.json").is_file()


def test_a_directory_given_as_the_configuration_file_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from riskscore.cli.app import app

    result = CliRunner().invoke(app, ["score", str(WEDOCTOR), "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}: is a directory, not a configuration file" in result.stderr


def test_the_limit_applies_to_the_bytes_read_not_to_the_size_stat_reports(tmp_path: Path) -> None:
    proc_file = Path("/proc/self/status")  # a regular file whose stat size is 0 but which holds more
    if not proc_file.exists() or proc_file.stat().st_size != 0:
        pytest.skip("needs a /proc file that reports size 0")
    assert len(read_limited(proc_file, 1 << 20)) > 64
    with pytest.raises(InputError) as info:
        read_limited(proc_file, 64, "profile")
    assert str(info.value) == f"{proc_file}: file is more than 64 bytes; profiles are limited to 64"


def test_the_limit_admits_a_file_of_exactly_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 100)
    assert read_limited(path, 100) == b"x" * 100
    with pytest.raises(InputError, match="file is 100 bytes; profiles are limited to 99"):
        read_limited(path, 99, "profile")
