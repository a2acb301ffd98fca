"""Writing output files: the one atomic writer every command uses.

The policy, the same for a memo, a trend memo, a calibration file and every batch output:

* **Atomic.** Text goes to a temporary file in the target's own directory (so the rename
  never crosses a file system), named ``.<name>.<tag>.tmp``; only a complete file is renamed
  into place. A reader sees the old file or the new one, never half of one.
* **No fsync.** Files are flushed to the operating system, not forced to the disk: a reader
  or an interrupted run never sees half a file, but after a power cut or an OS crash the last
  files written may be lost, as with any ordinary write. Outputs are deterministic, so a
  rerun rewrites them; forcing every file to disk would cost a batch most of its speed
  (one ``fsync`` costs more than rendering a memo).
* **Ordinary permissions.** The file is created with mode ``0o666`` less the process umask,
  exactly as ``open(path, "w")`` would, and never changed afterwards.
* **All or nothing for a set.** :func:`write_set` writes the temporary files of every
  document first and renames them only when all are written; a failure removes the new
  temporary files, leaves the previous set as it was and raises :class:`WriteError` naming
  the file that failed.

Text is UTF-8 with ``\\n`` line endings on every platform (outputs are byte-for-byte
reproducible).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from riskscore.errors import WriteError

__all__ = ["WriteError", "temp_path", "write_temp", "commit", "replacing", "write_atomic", "write_set"]


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def temp_path(target: Path, tag: str | None = None) -> Path:
    """The temporary file name for ``target``: hidden, in the same directory, ending in ``.tmp``."""
    return target.parent / f".{target.name}.{tag or _tag()}.tmp"


def _create(tmp: Path) -> int:
    # O_EXCL: never write through a file (or a planted symlink) that is already there.
    # Mode 0o666: the kernel applies the umask, as for any file a program creates.
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)


def write_temp(target: Path, text: str, tag: str | None = None) -> Path:
    """Write ``text`` to a new temporary file beside ``target``; return its path.

    The caller renames it into place with :func:`commit` (or removes it). On failure nothing
    is left behind and the error propagates.
    """
    tmp = temp_path(target, tag)
    data = text.encode("utf-8")
    try:
        fd = _create(tmp)
    except FileExistsError:  # a leftover of the same tag: replace it with a fresh file
        tmp.unlink()
        fd = _create(tmp)
    try:
        try:
            view = memoryview(data)
            while view:  # os.write, not a file object: open, write, close and nothing else
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def commit(tmp: Path, target: Path) -> None:
    """Rename a finished temporary file into place (atomic on POSIX and Windows)."""
    os.replace(tmp, target)


@contextmanager
def replacing(target: Path, tag: str | None = None) -> Iterator[Path]:
    """For writers that need a path (pandas, openpyxl): yield a fresh temporary path beside
    ``target``; when the block ends without an error, rename it into place. On an error the
    temporary file is removed and ``target`` is untouched."""
    tmp = temp_path(target, tag)
    os.close(_create(tmp))  # created here, so its permissions follow the policy above
    try:
        yield tmp
        commit(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, text: str) -> None:
    """Write one file atomically (creating its directory); raises :class:`WriteError` naming it."""
    write_set({Path(path): text})


def write_set(documents: Mapping[Path, str]) -> list[Path]:
    """Write a set of documents all or nothing; returns the paths written, in order.

    Every temporary file is written before any is renamed. If writing one fails (a full
    disk, a directory where the file should be, no permission), the temporary files already
    written are removed, no existing file is touched, and :class:`WriteError` names the file
    that failed. If a rename fails, the files already renamed are put back as they were.
    """
    targets = [Path(p) for p in documents]
    tag = _tag()
    temps: dict[Path, Path] = {}
    try:
        for target in targets:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                temps[target] = write_temp(target, documents[target], tag)
            except OSError as exc:
                raise WriteError(str(target), _reason(exc)) from exc
        _rename_all(temps, tag)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return targets


def _rename_all(temps: dict[Path, Path], tag: str) -> None:
    """Rename every temporary file into place; on a failure, restore what was renamed."""
    backups: dict[Path, Path | None] = {}
    done: list[Path] = []
    try:
        for target, tmp in temps.items():
            try:
                backups[target] = _backup(target, tag)
                commit(tmp, target)
            except OSError as exc:
                raise WriteError(str(target), _reason(exc)) from exc
            done.append(target)
    except BaseException:
        for target in reversed(done):
            previous = backups.get(target)
            if previous is not None:
                os.replace(previous, target)
            else:
                target.unlink(missing_ok=True)
        raise
    finally:
        for backup in backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)


def _backup(target: Path, tag: str) -> Path | None:
    """A second name (hard link) for an existing ``target``, so a failed set can be rolled back."""
    if not target.is_file():
        return None
    backup = target.parent / f".{target.name}.{tag}.bak.tmp"
    try:
        os.link(target, backup)
    except OSError:  # no hard links on this file system: the rename is still atomic per file
        return None
    return backup


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
