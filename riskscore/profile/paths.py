"""The one path grammar: how a place in a profile is written and read back.

A path names a field the way the memo, validation errors, data gaps and ``whatif --set`` do:
fields joined by dots, list items in brackets by their id or name (or index)::

    periods[FY2022].revenue
    periods[2025H1].segments[AI medical services].gross_margin
    capital_structure.instruments[0].amount

:func:`join` writes a path from its parts, :func:`parse` reads one back into the same parts
(field names as ``str``, list items as :class:`Item`). An item key runs to the next ``]``, so
it may hold spaces and dots but not a closing bracket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\]")


@dataclass(frozen=True)
class Item:
    """A list item named by its id, name or index: the ``[FY2022]`` in ``periods[FY2022]``."""

    key: str


Part = str | Item


def join(parts: Iterable[Part | int]) -> str:
    """``['periods', Item('FY2022'), 'revenue']`` -> ``periods[FY2022].revenue`` (an int is an index)."""
    out = ""
    for part in parts:
        if isinstance(part, Item):
            out += f"[{part.key}]"
        elif isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def period(period_id: str, *rest: str) -> str:
    """A figure in one period: ``period('FY2022', 'revenue')`` -> ``periods[FY2022].revenue``.

    Each of ``rest`` is a field name or an already written sub-path (``segments[Cloud]``).
    """
    return join(["periods", Item(period_id), *rest])


def parse(path: str) -> list[Part]:
    """``a[b].c`` -> ``['a', Item('b'), 'c']``; raises ValueError naming the spot it cannot read."""
    out: list[Part] = []
    position = 0
    for match in _TOKEN.finditer(path):
        gap = path[position:match.start()]
        if gap not in ("", ".") or (gap == "." and not out) or (gap == "" and out and match.group(1)):
            raise ValueError(f"cannot read {path!r} near {gap or match.group(0)!r}")
        out.append(match.group(1) if match.group(1) else Item(match.group(2)))
        position = match.end()
    if position != len(path) or not out:
        raise ValueError(f"cannot read {path!r}")
    return out
