"""riskscore/io.py: the one atomic writer — permissions from the umask, no temporary file left
behind, and a set of documents written all or nothing (memo and trend .md + .html)."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from riskscore import io
from riskscore.cli.app import app
from riskscore.errors import WriteError

ROOT = Path(__file__).resolve().parent.parent
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def run(*args: object) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for one test and put the old one back."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


def fail_nth_write(monkeypatch: pytest.MonkeyPatch, n: int, code: int = errno.ENOSPC) -> list[int]:
    """Make the n-th file riskscore.io writes fail half-way, as on a full disk (only riskscore.io sees it)."""
    opened: list[int] = []

    class OsOfRiskscoreIo:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        def open(self, path: Any, flags: int, mode: int = 0o777) -> int:
            fd = os.open(path, flags, mode)
            opened.append(fd)
            return fd

        def write(self, fd: int, data: Any) -> int:
            if len(opened) == n and fd == opened[-1]:
                os.write(fd, bytes(data[: len(data) // 2]))
                raise OSError(code, os.strerror(code))
            return os.write(fd, data)

    monkeypatch.setattr(io, "os", OsOfRiskscoreIo())
    return opened


# --------------------------------------------------------------------------- one file


def test_write_atomic_writes_utf8_with_unix_newlines_and_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "memo.md"
    io.write_atomic(target, "第一\nline two\n")
    assert target.read_bytes() == "第一\nline two\n".encode()
    assert listing(target.parent) == {"memo.md": "第一\nline two\n".encode()}  # no temporary file left


def test_write_atomic_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("old and much longer than the new text\n", encoding="utf-8")
    io.write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert listing(tmp_path) == {"x.json": b"new\n"}


@posix_only
@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o027, 0o640)])
def test_permissions_follow_the_umask_like_any_new_file(tmp_path: Path, umask: Any, mask: int, mode: int) -> None:
    umask(mask)
    io.write_atomic(tmp_path / "one.md", "x")
    io.write_set({tmp_path / "set.md": "x", tmp_path / "set.html": "y"})
    with io.replacing(tmp_path / "path.csv") as tmp:
        tmp.write_text("a,b\n", encoding="utf-8")
    tmp_ref = io.write_temp(tmp_path / "batch.json", "{}")
    io.commit(tmp_ref, tmp_path / "batch.json")
    with open(tmp_path / "plain.txt", "w") as fh:  # what an ordinary program gets
        fh.write("x")
    for name in ("one.md", "set.md", "set.html", "path.csv", "batch.json", "plain.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_write_atomic_names_the_file_that_failed_and_keeps_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "calibration.json"
    target.write_text("previous\n", encoding="utf-8")
    fail_nth_write(monkeypatch, 1)
    with pytest.raises(WriteError) as caught:
        io.write_atomic(target, "next\n")
    assert caught.value.file == str(target)
    assert os.strerror(errno.ENOSPC) in str(caught.value) and str(target) in str(caught.value)
    assert listing(tmp_path) == {"calibration.json": b"previous\n"}


def test_replacing_leaves_the_target_alone_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "summary.parquet"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), io.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer broke")
    assert listing(tmp_path) == {"summary.parquet": b"old"}


def test_write_temp_never_writes_through_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    planted = io.temp_path(tmp_path / "memo.md", "tag")
    planted.symlink_to(victim)
    tmp = io.write_temp(tmp_path / "memo.md", "new", tag="tag")
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not tmp.is_symlink() and tmp.read_text(encoding="utf-8") == "new"


# --------------------------------------------------------------------------- a set of files


@pytest.fixture
def previous_set(tmp_path: Path) -> dict[Path, str]:
    old = {tmp_path / "acme.md": "old markdown\n", tmp_path / "acme.html": "<p>old html</p>\n"}
    for path, text in old.items():
        path.write_text(text, encoding="utf-8")
    return old


def test_write_set_writes_every_file(tmp_path: Path, previous_set: dict[Path, str]) -> None:
    new = {path: text.replace("old", "new") for path, text in previous_set.items()}
    assert io.write_set(new) == list(new)
    assert listing(tmp_path) == {p.name: t.encode() for p, t in new.items()}


def test_full_disk_on_the_second_file_leaves_the_previous_set_intact(tmp_path: Path, previous_set: dict[Path, str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = listing(tmp_path)
    calls = fail_nth_write(monkeypatch, 2)  # the .md's temporary file is written; the .html's fills the disk half-way
    new = {path: text.replace("old", "new") for path, text in previous_set.items()}
    with pytest.raises(WriteError) as caught:
        io.write_set(new)
    assert len(calls) == 2
    assert caught.value.file == str(tmp_path / "acme.html")  # names the file that failed
    assert f"{tmp_path / 'acme.html'}: could not write: {os.strerror(errno.ENOSPC)}" in str(caught.value)
    assert listing(tmp_path) == before  # the old .md and .html, no new .md beside an old .html, no temporary file


def test_a_failed_rename_puts_back_what_was_already_renamed(tmp_path: Path, previous_set: dict[Path, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    before = listing(tmp_path)
    real = io.commit
    renamed: list[Path] = []

    def commit(tmp: Path, target: Path) -> None:
        if renamed and target.name == "acme.json":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        renamed.append(target)
        real(tmp, target)

    monkeypatch.setattr(io, "commit", commit)
    documents = {tmp_path / "acme.md": "new md\n", tmp_path / "acme.html": "new html\n", tmp_path / "acme.json": "{}\n"}
    with pytest.raises(WriteError) as caught:
        io.write_set(documents)
    assert caught.value.file == str(tmp_path / "acme.json")
    assert [p.name for p in renamed] == ["acme.md", "acme.html"]
    assert listing(tmp_path) == before  # both renamed files restored, the json never appeared


def test_a_failed_set_removes_a_new_file_it_had_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = io.commit

    def commit(tmp: Path, target: Path) -> None:
        if target.suffix == ".html":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(tmp, target)

    monkeypatch.setattr(io, "commit", commit)
    with pytest.raises(WriteError):
        io.write_set({tmp_path / "new.md": "md", tmp_path / "new.html": "html"})
    assert listing(tmp_path) == {}


def test_a_directory_in_the_way_is_named(tmp_path: Path, previous_set: dict[Path, str]) -> None:
    (tmp_path / "acme.json").mkdir()
    with pytest.raises(WriteError) as caught:
        io.write_set({tmp_path / "acme.md": "new\n", tmp_path / "acme.json": "{}\n"})
    assert caught.value.file == str(tmp_path / "acme.json")
    assert (tmp_path / "acme.md").read_text(encoding="utf-8") == "old markdown\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.html", "acme.json", "acme.md"]


# --------------------------------------------------------------------------- through the commands


@pytest.mark.parametrize("command,names", [
    (("memo", WEDOCTOR), ("wedoctor.md", "wedoctor.html")),
    (("trend", WEDOCTOR), ("wedoctor-trend.md", "wedoctor-trend.html")),
])
def test_command_with_a_full_disk_on_the_second_file_keeps_the_previous_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                            command: tuple[object, ...], names: tuple[str, str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in names:
        (out / name).write_text(f"previous {name}\n", encoding="utf-8")
    before = listing(out)
    fail_nth_write(monkeypatch, 2)
    result = run(*command, "--out", out)
    assert result.exit_code == 1, result.output
    assert f"error: {out / names[1]}: could not write: {os.strerror(errno.ENOSPC)}" in result.stderr
    assert "Traceback" not in result.output and "wrote" not in result.stderr
    assert listing(out) == before


@posix_only
def test_batch_outputs_and_summaries_follow_the_umask(tmp_path: Path, umask: Any) -> None:
    from riskscore import api

    umask(0o027)
    report = api.batch([WEDOCTOR], tmp_path / "out", formats=["md", "json"])
    assert report.exit_code == 0
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()}
    assert modes == {"wedoctor.md": 0o640, "wedoctor.json": 0o640, "summary.csv": 0o640, "summary.json": 0o640}
