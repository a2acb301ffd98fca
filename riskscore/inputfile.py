"""Reading an input file safely: only regular files, and never more than a limit.

Profiles, configuration, calibration and CSV history files are all read through
:func:`read_limited`, so ``/dev/zero`` is refused instead of filling memory, a FIFO is
refused instead of blocking forever, and a directory is named as one. The size limit applies
to the bytes actually read (at most ``limit + 1``), not to what ``stat`` claims, so a file
that grows while it is read cannot get past it either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from riskscore.errors import InputError, Problem

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_limited(path: str | Path, limit: int, what: str = "input", missing: str = "no such file") -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes; else :class:`InputError` naming it.

    ``what`` names the kind of file in messages ("profile": "is a FIFO (named pipe), not a
    profile file", "profiles are limited to 2,097,152").

    The file is checked with ``stat`` before it is opened, opened non-blocking (a FIFO put in
    its place after the check cannot block) and checked again on the open descriptor.
    """
    name = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(name, [Problem("", missing)]) from None
    except OSError as exc:
        raise InputError(name, [Problem("", f"cannot read: {exc.strerror}")]) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(name, [Problem("", f"is {_kind(st.st_mode)}, not a {what} file")])
    if st.st_size > limit:
        raise InputError(name, [Problem("", f"file is {st.st_size:,} bytes; {what}s are limited to {limit:,}")])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(name, [Problem("", missing)]) from None
    except OSError as exc:
        raise InputError(name, [Problem("", f"cannot read: {exc.strerror}")]) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped for something else between stat and open
            raise InputError(name, [Problem("", f"is {_kind(st.st_mode)}, not a {what} file")])
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise InputError(name, [Problem("", f"cannot read: {exc.strerror}")]) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputError(name, [Problem("", f"file is more than {limit:,} bytes; {what}s are limited to {limit:,}")])
    return data


def read_text_limited(path: str | Path, limit: int, what: str = "input", missing: str = "no such file") -> str:
    """:func:`read_limited`, decoded as UTF-8 (an :class:`InputError` naming the offset if it is not)."""
    raw = read_limited(path, limit, what, missing)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(str(path), [Problem("", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line)]) from None
