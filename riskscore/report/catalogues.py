"""Keeping an id-keyed catalogue in step with the English in code: stale, unrecorded and missing entries.

A message's catalogue entry is keyed by its id (``customer_concentration.flag.detail``), and the
English lives in code as the message's default text. When that English changes, the
translation still matches the id, so nothing would notice that it now says something else.
Each entry therefore records the English it was translated from, as a gettext *extracted
comment* (the kind ``xgettext`` writes for translators, shown by Poedit and Weblate beside
the entry)::

    #. en: "Majority reliance on one customer"
    msgid "customer_concentration.flag.title"
    msgstr "过半收入依赖单一客户"

:func:`english_in_code` reads the English of every message id from a package's source (no
import: ``Message("id", "English", …)`` calls, an id built from a module-level dict,
``Value.term`` vocabularies, and a rubric class's ``title`` and docstring), and
:func:`check` compares a catalogue with it. :func:`update` records the current English in
each entry the way ``msgmerge`` does: an entry whose English changed keeps its translation,
marked ``#, fuzzy`` (not used until a translator reviews it and removes the mark), and a
message that has no entry gets an empty one. ``riskscore rubrics catalogue PATH`` runs both.

A catalogue keyed by the English itself (riskscore's template words: ``msgid "Red flags"``)
needs none of this: when the English changes, the lookup misses and the missing-translation
tests fail. Those entries are left alone here.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from riskscore.report.i18n import EN_COMMENT, PoEntry, parse_po_entries

ID = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+")
"""A message id: dotted, lower-case first part (an English-keyed msgid has spaces or punctuation)."""


@dataclasses.dataclass(frozen=True)
class SourceText:
    """The English a message id has in code, and where."""

    english: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing wrong with a catalogue entry, or a message without one."""

    kind: str             # stale | unrecorded | missing | untranslated | fuzzy | conflict | unknown
    msgid: str
    catalogue: str
    line: int             # of the entry (0 for a missing one)
    recorded: str | None = None
    english: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        at = f"{self.catalogue}:{self.line}" if self.line else self.catalogue
        if self.kind == "stale":
            return (f"{at}: {self.msgid}: stale: the English in code ({self.source}) is {_q(self.english)}, "
                    f"but the translation was made from {_q(self.recorded)}; retranslate it, then record the new English")
        if self.kind == "unrecorded":
            return f"{at}: {self.msgid}: unrecorded: no '{EN_COMMENT.strip()}' comment says which English it translates (in code, {self.source}: {_q(self.english)})"
        if self.kind == "missing":
            return f"{at}: {self.msgid}: missing: no entry translates it (in code, {self.source}: {_q(self.english)})"
        if self.kind == "untranslated":
            return f"{at}: {self.msgid}: untranslated: the entry has no translation yet (the English: {_q(self.english)})"
        if self.kind == "fuzzy":
            return f"{at}: {self.msgid}: fuzzy: the English changed to {_q(self.english)}; review the translation, then remove '#, fuzzy'"
        if self.kind == "conflict":
            return f"{at}: {self.msgid}: conflict: the code gives it more than one English text ({self.source})"
        return f"{at}: {self.msgid}: unknown: no message in code has this id (a message that is gone, or an id the reader cannot follow)"


def _q(text: str | None) -> str:
    return "(none)" if text is None else json.dumps(text, ensure_ascii=False)


# --------------------------------------------------------------------------------- reading code


def _static(node: ast.expr | None) -> str | None:
    """A string the expression always is: a literal, or literals joined with ``+``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _static(node.left), _static(node.right)
        return None if left is None or right is None else left + right
    return None


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        base = f.value.id if isinstance(f.value, ast.Name) else ""
        return f"{base}.{f.attr}"
    return ""


def _dicts(tree: ast.Module) -> dict[str, dict[str, str]]:
    """Module-level dicts of string literals: ``_LEVEL_TEXT = {"low": "low", …}``."""
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        if target and isinstance(value, ast.Dict):
            pairs = {_static(k): _static(v) for k, v in zip(value.keys, value.values, strict=True)}
            if pairs and all(isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()):
                found[target] = {str(k): str(v) for k, v in pairs.items()}
    return found


def _from_dict(id_node: ast.expr, default: ast.expr, dicts: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """``Message(f"prefix.{key}", TEXTS[key])``: one id and English for each key of ``TEXTS``."""
    if not (isinstance(id_node, ast.JoinedStr) and isinstance(default, ast.Subscript) and isinstance(default.value, ast.Name)
            and default.value.id in dicts and isinstance(default.slice, ast.Name)):
        return {}
    parts = id_node.values
    fields = [p for p in parts if isinstance(p, ast.FormattedValue)]
    if len(fields) != 1 or not isinstance(fields[0].value, ast.Name) or fields[0].value.id != default.slice.id:
        return {}
    out = {}
    for key, text in dicts[default.value.id].items():
        out["".join(key if isinstance(p, ast.FormattedValue) else str(p.value) for p in parts if isinstance(p, (ast.FormattedValue, ast.Constant)))] = text
    return out


def _class_texts(node: ast.ClassDef) -> dict[str, str]:
    """A rubric class's ``<id>.title``, ``.description`` and ``.method`` (as :class:`riskscore.scoring.contract.Rubric` derives them)."""
    attrs = {}
    for item in node.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
            value = _static(item.value)
            if value is not None:
                attrs[item.targets[0].id] = value
    rid = attrs.get("id")
    if not rid or "title" not in attrs:
        return {}
    out = {f"{rid}.title": attrs["title"]}
    doc = ast.get_docstring(node, clean=True)
    if doc:
        out.update(class_docs(doc, rid))
    return out


def class_docs(doc: str, rid: str) -> dict[str, str]:
    """``<id>.description`` and ``<id>.method`` from a cleaned docstring, as the memo shows them."""
    description = doc.split("\n\n", 1)[0].replace("\n", " ")
    method = "\n\n".join(" ".join(p.split()) for p in doc.split("\n\n")[1:])
    return {f"{rid}.description": description, **({f"{rid}.method": method} if method else {})}


def english_in_code(files: Iterable[Path], root: Path | None = None) -> tuple[dict[str, SourceText], dict[str, list[SourceText]], set[str]]:
    """``(english, conflicts, vocabularies)`` of the message ids written in ``files``.

    ``english``: each id's English and where it is written; ``conflicts``: ids written with
    different English in different places; ``vocabularies``: the prefixes of ``Value.term``
    words (``control`` for ``control.third_party``), whose English is the key itself.
    An id computed at run time other than from a module-level dict is not seen.
    """
    english: dict[str, SourceText] = {}
    conflicts: dict[str, list[SourceText]] = {}
    vocabularies: set[str] = set()
    for path in sorted(files):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        shown = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
        dicts = _dicts(tree)
        found: list[tuple[str, str, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found += [(i, text, node.lineno) for i, text in _class_texts(node).items()]
            if not isinstance(node, ast.Call) or len(node.args) < 1:
                continue
            name = _callee(node)
            if name in ("Message", "i18n.Message") and len(node.args) >= 2:
                msgid, text = _static(node.args[0]), _static(node.args[1])
                if msgid is not None and text is not None:
                    found.append((msgid, text, node.lineno))
                else:
                    found += [(i, t, node.lineno) for i, t in _from_dict(node.args[0], node.args[1], dicts).items()]
            elif name in ("Value.term", "i18n.Value.term"):
                vocabulary = _static(node.args[0])
                if vocabulary is not None:
                    vocabularies.add(vocabulary)
        for msgid, text, line in found:
            source = SourceText(text, shown, line)
            if msgid in english and english[msgid].english != text:
                conflicts.setdefault(msgid, [english[msgid]]).append(source)
            english.setdefault(msgid, source)
    return english, conflicts, vocabularies


def sources_of(catalogue: Path) -> list[Path]:
    """The code a catalogue translates: every ``.py`` file under the directory that holds its ``locale/``."""
    base = catalogue.resolve().parent.parent
    return [p for p in base.rglob("*.py") if "locale" not in p.relative_to(base).parts and "__pycache__" not in p.parts]


def term_english(msgid: str, vocabularies: Iterable[str]) -> str | None:
    """A ``Value.term`` word's English: its key (``control.third_party`` -> ``third party``)."""
    for vocabulary in sorted(vocabularies, key=len, reverse=True):
        if msgid.startswith(vocabulary + ".") and "." not in msgid[len(vocabulary) + 1:]:
            return msgid[len(vocabulary) + 1:].replace("_", " ")
    return None


# ------------------------------------------------------------------------------------ checking


@dataclasses.dataclass
class Report:
    """A catalogue against the code: its entries, the code's English, and the findings."""

    catalogue: Path
    entries: list[PoEntry]
    english: dict[str, SourceText]
    findings: list[Finding]


def check(catalogue: Path | str, files: Iterable[Path] | None = None, elsewhere: Iterable[str] = (),
          overrides: Mapping[str, str] | None = None, shown: str | None = None) -> Report:
    """Every stale, unrecorded, untranslated, fuzzy or unknown entry of the id-keyed ``catalogue``, and every message of the code without one.

    ``files`` default to :func:`sources_of` the catalogue; ``elsewhere`` are ids another
    catalogue translates (riskscore's own, which rubrics use too), not missing here;
    ``overrides`` give English from a loaded class (``<id>.method``) over what the source shows.
    """
    path = Path(catalogue)
    name = shown or str(path)
    files = list(sources_of(path) if files is None else files)
    root = Path.cwd()
    english, conflicts, vocabularies = english_in_code(files, root)
    for msgid, loaded in (overrides or {}).items():
        english[msgid] = SourceText(loaded, english[msgid].file if msgid in english else "the rubric class", english[msgid].line if msgid in english else 0)
    entries = parse_po_entries(path.read_text(encoding="utf-8"), name)
    findings: list[Finding] = []
    keyed = {e.key for e in entries}
    for entry in entries:
        if not entry.msgid or not ID.fullmatch(entry.msgid):
            continue  # the header, or an English-keyed entry (its msgid is the English)
        code = english.get(entry.msgid)
        text = code.english if code else term_english(entry.msgid, vocabularies)
        source = code.where if code else "a Value.term vocabulary"
        if entry.msgid in conflicts:
            findings.append(Finding("conflict", entry.msgid, name, entry.line, entry.en, None, ", ".join(
                f"{s.where}: {_q(s.english)}" for s in conflicts[entry.msgid])))
        elif text is None:
            findings.append(Finding("unknown", entry.msgid, name, entry.line, entry.en))
        elif entry.en is None:
            findings.append(Finding("unrecorded", entry.msgid, name, entry.line, None, text, source))
        elif entry.en != text:
            findings.append(Finding("stale", entry.msgid, name, entry.en_line or entry.line, entry.en, text, source))
        elif entry.fuzzy:
            findings.append(Finding("fuzzy", entry.msgid, name, entry.line, entry.en, text, source))
        elif not entry.msgstr:
            findings.append(Finding("untranslated", entry.msgid, name, entry.line, entry.en, text, source))
    other = set(elsewhere)
    for msgid, code in sorted(english.items()):
        if msgid not in keyed and msgid not in other:
            findings.append(Finding("missing", msgid, name, 0, None, code.english, code.where))
    return Report(path, entries, english, findings)


def _quote(text: str) -> str:
    """A PO string literal: ``"…"`` with C escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def update(report: Report) -> str:
    """The catalogue's text with the current English recorded in each entry (``#. en: "…"``), like ``msgmerge``:
    an entry whose recorded English differs is marked ``#, fuzzy`` (kept, not used until reviewed),
    a message without an entry gets an empty one at the end. Nothing else in the file changes."""
    lines = report.catalogue.read_text(encoding="utf-8").splitlines()
    current = {f.msgid: f for f in report.findings}
    edits: list[tuple[int, int, list[str]]] = []  # (first line index, lines replaced, new lines)
    for entry in report.entries:
        finding = current.get(entry.msgid)
        if finding is None or finding.kind not in ("stale", "unrecorded") or finding.english is None:
            continue
        head = entry.line - 1
        end = head
        while end < len(lines) and lines[end].strip().startswith("#"):
            end += 1
        comments = [c for c in lines[head:end] if not c.strip().startswith(EN_COMMENT.rstrip())]
        if finding.kind == "stale" and not entry.fuzzy:
            flags = [i for i, c in enumerate(comments) if c.startswith("#,")]
            if flags:
                comments[flags[0]] = comments[flags[0]] + ", fuzzy"
            else:
                comments.append("#, fuzzy")
        extracted = [c for c in comments if c.startswith("#.")]
        position = comments.index(extracted[-1]) + 1 if extracted else len([c for c in comments if c.startswith("# ") or c == "#"])
        comments.insert(position, EN_COMMENT + _quote(finding.english))
        edits.append((head, end - head, comments))
    for head, count, new in sorted(edits, reverse=True):
        lines[head:head + count] = new
    for finding in report.findings:
        if finding.kind == "missing" and finding.english is not None:
            lines += ["", EN_COMMENT + _quote(finding.english), f"msgid {_quote(finding.msgid)}", 'msgstr ""']
    return "\n".join(lines) + "\n"


def rubric_overrides(rubric: type) -> dict[str, str]:
    """A loaded rubric's title, description and method, as its memo section shows them (over what the source reads)."""
    rid = getattr(rubric, "id", None)
    if not isinstance(rid, str):
        return {}
    out = {f"{rid}.title": str(getattr(rubric, "title", ""))}
    doc = inspect.cleandoc(getattr(rubric, "__doc__", None) or "")
    if doc:
        out.update(class_docs(doc, rid))
    return out


def check_file(path: Path | str) -> Report:
    """:func:`check` for ``riskscore rubrics catalogue PATH``: a catalogue ``<dir>/locale/<lang>.po`` against the code
    under ``<dir>``, the ids riskscore's own catalogue translates not missing; bad input raises
    :class:`riskscore.errors.InputError` naming the file."""
    from riskscore.errors import InputError, Problem
    from riskscore.report.i18n import LOCALE, read_po

    po = Path(path)
    if not po.is_file() or po.suffix != ".po":
        raise InputError(str(po), [Problem("", "not a .po catalogue file (a rubric's is locale/<lang>.po beside its module)")])
    own = LOCALE / po.name
    try:
        elsewhere = set(read_po(own)) if own.is_file() and own.resolve() != po.resolve() else set()
        return check(po, elsewhere=elsewhere)
    except (ValueError, SyntaxError, UnicodeDecodeError) as exc:
        raise InputError(str(po), [Problem("", f"cannot be checked: {exc}")]) from None
