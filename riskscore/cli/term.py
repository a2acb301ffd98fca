"""What a person reads on the terminal: rich tables, bands in colour, wrapped to the terminal width.

Only the commands that print a table import this module (``score --json`` and ``validate``
do not), and rich is imported when a console is made, so the scoring path stays light.

Colour follows rich's rules, which are the usual ones: none when the output is not a
terminal (a pipe, a file, a test runner), none when ``NO_COLOR`` is set (https://no-color.org),
and ``FORCE_COLOR`` to force it. The width is the terminal's, else ``COLUMNS``, else 80
columns; text wraps at word boundaries, with a hanging indent, and CJK characters count
two columns.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from riskscore.report import format as formatting

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from riskscore.scoring.engine import Assessment, FlagReport

BAND_STYLES = {"Low": "green", "Moderate": "cyan", "Elevated": "yellow", "High": "red", "Severe": "bold red"}
"""The style of each band; the band's name is always printed too, so nothing rests on colour alone."""


def console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr) as it is now: made per call, so a redirected stream is honoured."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, markup=False, emoji=False)


def emit(out: Console, *renderables: Any) -> None:
    """Print ``renderables`` wrapped to the console's width, without the padding rich adds to the end of lines."""
    from rich.text import Text

    if not renderables:
        out.print()
        return
    for renderable in renderables:
        for line in out.render_lines(renderable, out.options, pad=False):
            text = Text.assemble(*((seg.text, seg.style or "") for seg in line if not seg.control))
            text.rstrip()
            out.print(text, no_wrap=True, overflow="ignore", crop=False)


def band(name: str | None, text: str | None = None) -> Text:
    """``text`` (default: the band's name) in the band's colour; an em dash for no band."""
    from rich.text import Text

    if name is None:
        return Text(text or "—")
    return Text(text if text is not None else name, style=BAND_STYLES.get(name, ""))


def scored(value: float | None, band_name: str | None) -> Text:
    """``79.9 High`` with the band coloured; ``— not scored`` without a score."""
    from rich.text import Text

    if value is None:
        return Text(f"{formatting.score(value)} not scored")
    return Text.assemble(f"{formatting.score(value)} ", band(band_name))


def _table(*headers: str, right: Sequence[int] = ()) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True, header_style="bold")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i in right else "left", overflow="fold")
    return table


def _unbroken(table: Table) -> Table:
    """Each text column at least as wide as its longest word: narrow terminals wrap between words, never inside one."""
    from rich.cells import cell_len

    for column in table.columns:
        words = [cell_len(word) for cell in [column.header, *column.cells] for word in str(cell).split()]
        column.min_width = min(max(words, default=0), 24) or None
    return table


def _fields(rows: Iterable[tuple[str, Any]]) -> Table:
    """Label / value lines; a long value wraps under itself, not under the label."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def bullets(items: Iterable[Any], mark: str = "-") -> Table:
    """One item per line, wrapped with a hanging indent."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(mark, item)
    return grid


def flag_line(flag: FlagReport) -> Text:
    from rich.text import Text

    return Text.assemble((flag.title, "bold"), f": {flag.detail}")


def print_score(a: Assessment, out: Console) -> None:
    """``riskscore score``: the rubric table, the totals, how much the score knows, red flags, conflicts."""
    from rich.text import Text

    emit(out, Text(f"{a.company} — as of {a.as_of}", style="bold"))
    if a.confidence == "insufficient":
        missing = ", ".join(o.title for o in a.rubrics if o.id in a.score_range.unscored) or "none"
        emit(out)
        emit(out, Text(f"INSUFFICIENT EVIDENCE: {formatting.share(a.coverage)} of the weight is backed by evidence; "
                       "the overall score below is provisional.", style="bold"))
        emit(out, f"Not scored: {missing} (`riskscore memo` lists the facts that would fill them).")
    emit(out)
    table = _table("Rubric", "Weight", "Score", "Band", "Contrib.", right=(1, 2, 4))
    for o in a.rubrics:
        table.add_row(o.title if o.status != "error" else f"{o.title} (error)", formatting.share(o.weight, 1),
                      formatting.score(o.score), band(o.band), formatting.score(o.contribution))
    emit(out, _unbroken(table))
    emit(out)
    adjusted = scored(a.adjusted_score, a.adjusted_band)
    if a.floor_applied is not None:
        adjusted.append(f" — floored by red flags at {formatting.plain(a.floor_applied)}")
    r = a.score_range
    span = "—" if r.low is None else f"{formatting.score(r.low)}–{formatting.score(r.high)} ({' to '.join(dict.fromkeys([r.bands[0], r.bands[-1]]))})"
    why = f"if the {len(r.unscored)} unscored rubric(s) scored anywhere from 0 to 100" if r.unscored else "every rubric scored"
    rows: list[tuple[str, Any]] = [
        ("Indicated score", scored(a.indicated_score, a.indicated_band)),
        ("Adjusted score", adjusted),
        ("Coverage", f"{formatting.share(a.coverage)} of weight backed by evidence ({a.missing_data_policy})"),
        ("Score range", f"{span}, {why}"),
        ("Confidence", f"{a.confidence}: {' '.join(a.confidence_reasons)}"),
    ]
    alt = a.other_policy
    if alt.adjusted_score != a.adjusted_score:
        rows.append(("Other policy", Text.assemble(scored(alt.adjusted_score, alt.adjusted_band),
                                                   f" with missing data {alt.missing_data_policy}")))
    emit(out, _fields(rows))
    if a.red_flags:
        emit(out)
        emit(out, Text("Red flags", style="bold"))
        emit(out, bullets(flag_line(f) for f in a.red_flags))
    if a.conflicts:
        emit(out)
        emit(out, f"Source conflicts: {len(a.conflicts)} (see the memo or --json)")


def print_whatif(company: str, assignments: Sequence[str], rows: Sequence[Any], raised: Sequence[FlagReport],
                 cleared: Sequence[FlagReport], out: Console) -> None:
    """``riskscore whatif``: each rubric and the totals before and after, and the red flags raised or cleared."""
    from rich.text import Text

    emit(out, Text(f"{company} — what if {'; '.join(assignments)}", style="bold"))
    emit(out)
    table = _table("", "Before", "After", "Change", "Band", right=(1, 2, 3))
    for k, r in enumerate(rows):
        if r.band_before == r.band_after:
            band_cell = band(r.band_after)
        else:
            band_cell = Text.assemble(band(r.band_before), " → ", band(r.band_after))
        delta = formatting.delta(None if r.before is None or r.after is None else r.after - r.before)
        table.add_row(r.title, formatting.score(r.before), formatting.score(r.after), delta, band_cell,
                      end_section=k == len(rows) - 3)
    emit(out, _unbroken(table))
    if raised or cleared:
        emit(out)
        emit(out, Text("Red flags", style="bold"))
        emit(out, bullets([Text.assemble(("raised ", "red"), flag_line(f)) for f in raised]
                          + [Text.assemble(("cleared ", "green"), flag_line(f)) for f in cleared]))
    else:
        emit(out)
        emit(out, "Red flags: none raised or cleared.")


def print_rubrics(rows: Sequence[dict[str, Any]], out: Console) -> None:
    """``riskscore rubrics``: one row per rubric found."""
    table = _table("Rubric", "Version", "Weight", "Status", "Origin", "Title", right=(2,))
    for row in rows:
        status = row["status"]
        style = {"enabled": "green", "disabled": "dim", "duplicate": "bold red", "error": "bold red"}.get(status, "")
        from rich.text import Text

        weight = "" if row["weight"] is None else f"{row['weight']:g}"
        title = row["title"] if status != "error" else row["error"]
        table.add_row(row["id"] or row["name"], "v" + row["version"] if row["version"] else "", weight,
                      Text(status.upper() if status in ("error", "duplicate") else status, style=style), row["origin"], title or "")
    emit(out, _unbroken(table))


def print_detail(row: dict[str, Any], out: Console) -> None:
    """``riskscore rubrics --detail``: a rubric's description, method and parameters, wrapped to the terminal."""
    from rich.padding import Padding
    from rich.text import Text

    weight = "" if row["weight"] is None else f"weight {row['weight']:g}, "
    emit(out, Text.assemble((row["id"], "bold"), f" v{row['version']} — {row['title']} ({weight}{row['status']}, {row['origin']})"))
    for text in (row["description"], row["method"]):
        for paragraph in (text or "").split("\n\n"):
            if paragraph.strip():
                emit(out)
                emit(out, Padding(Text(" ".join(paragraph.split())), (0, 0, 0, 4)))
    emit(out)
    emit(out, Padding(f"Parameters ([rubrics.{row['id']}] in riskscore.toml):", (0, 0, 0, 4)))
    from riskscore.cli.showconfig import toml_value

    emit(out, bullets((Text(f"{key} = {toml_value(value)}") for key, value in row["parameters"].items()), mark="     "))
    emit(out)


def summary_line(label: str, points: Iterable[tuple[str, float | None, str | None]], out: Console) -> None:
    """One line: ``label: 71.2 High (2021-04) → 79.9 High (2026-06-30)``."""
    from rich.text import Text

    line = Text(f"{label}: ")
    for k, (when, value, band_name) in enumerate(points):
        if k:
            line.append(" → ")
        line.append_text(scored(value, band_name))
        line.append(f" ({when})")
    emit(out, line)


def batch_line(scores: Sequence[tuple[float | None, str | None]], inputs: int, out: Console) -> None:
    """``batch``'s score summary: how many scored, by band, and the spread of the adjusted scores."""
    from rich.text import Text

    values = sorted(v for v, _ in scores if v is not None)
    line = Text(f"Scores: {len(values)} of {inputs} profile(s) scored")
    if values:
        counts = {name: sum(1 for _, b in scores if b == name) for name in ("Severe", "High", "Elevated", "Moderate", "Low")}
        line.append(" — ")
        for k, (name, n) in enumerate((name, n) for name, n in counts.items() if n):
            line.append(", " if k else "")
            line.append_text(band(name, f"{name} {n}"))
        middle = len(values) // 2
        median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        line.append(f"; adjusted {formatting.score(values[0])}–{formatting.score(values[-1])}, median {formatting.score(median)}")
    emit(out, line)
