"""Generate docs/api.md, the API reference for rubric authors, from the docstrings.

It documents every name :mod:`riskscore.rubric` exports, in the sections below. Run it after
changing one of those names or its docstring::

    python docs/gen_api.py            # rewrite docs/api.md
    python docs/gen_api.py --check    # exit 1 when docs/api.md is out of date (tests/test_api_docs.py)

Docstrings are reStructuredText-flavoured (``code``, :class:`Name`); they are turned into
Markdown with a few substitutions, so keep them to that subset.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from pydantic import BaseModel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUTPUT = HERE / "api.md"

SECTIONS: list[tuple[str, str, list[str]]] = [
    ("The contract", "What a rubric declares and returns.",
     ["Rubric", "RubricParams", "RubricResult", "Metric", "Evidence", "Citation", "RedFlag", "DataGap", "Adjustment", "Scenario",
      "CONTRACT_VERSION", "SUPPORTED_CONTRACT_VERSIONS"]),
    ("Grids and bands", "The common 0-100 scale and the piecewise-linear grids that map a metric onto it.",
     ["Grid", "GridParam", "Band", "band_for", "clamp"]),
    ("Reading figures (evidence and facts helpers)",
     "A figure may hold several observations from disagreeing sources; these return the one the engine's source ranking chose.",
     ["value", "sources_of", "cited", "series", "latest", "ratio_pct", "revenue_share", "path"]),
    ("Formatting figures", "Figures as the memo writes them.", ["fmt_obs", "fmt_money", "fmt_pct"]),
    ("Messages in more than one language",
     "What a memo prints, as message ids with parameters, so that a Chinese memo can translate it "
     "(see docs/writing-a-rubric.md, \"Messages and translations\").",
     ["Message", "Value", "Text"]),
    ("The profile's types", "What ``score`` receives: a validated, read-only profile.",
     ["Profile", "Period", "Filing", "GovernanceEvent", "CapitalEvent", "ConcentrationStatement", "CoreTechnology", "Instrument",
      "MoneyFigure", "MoneyObservation", "PercentFigure", "PercentObservation"]),
    ("Dates", "", ["PartialDate", "months_between"]),
    ("The listing process", "The stage each filing reached, from its cited milestones.", ["stage", "latest_stage", "Stage"]),
]

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|obj):`~?([^`]+)`")


def markdown(text: str) -> str:
    """A docstring in Markdown: ``x`` -> `x`, :role:`x` -> `x`, a trailing ``::`` -> ``:``."""
    text = inspect.cleandoc(text)
    text = _ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    text = re.sub(r"::$", ":", text, flags=re.MULTILINE)
    return text


def _line(text: str) -> str:
    """A docstring on one line, for a list item."""
    return " ".join(markdown(text).split())


def _cell(text: str) -> str:
    """A docstring in a table cell: one line, pipes escaped (GitHub tables split on them, even in code)."""
    return _line(text).replace("|", "\\|")


def _annotation(annotation: Any) -> str:
    """An annotation as the source writes it, without the quotes of a forward reference."""
    if annotation is inspect.Parameter.empty:
        return ""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    if "Literal[" not in text:
        text = re.sub(r"""(['"])([A-Za-z_][\w.]*(?: \| [A-Za-z_][\w.]*)*)\1""", r"\2", text)
    return text


def signature(func: Any, skip_first: bool = False) -> str:
    """``(profile: Profile, figure: MoneyFigure | None) -> Observation | None`` as the source writes it."""
    sig = inspect.signature(func)
    parts = []
    params = list(sig.parameters.values())[1 if skip_first else 0:]
    for p in params:
        text = ("*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else "") + p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += f" = {p.default!r}" if p.annotation is not p.empty else f"={p.default!r}"
        parts.append(text)
    returns = f" -> {_annotation(sig.return_annotation)}" if sig.return_annotation is not sig.empty else ""
    return f"({', '.join(parts)}){returns}"


def _attribute_docs(module_name: str) -> dict[str, tuple[str, str]]:
    """Module-level ``NAME = value`` followed by a string: ``{NAME: (value source, docstring)}``."""
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)
    tree = ast.parse(source)
    found: dict[str, tuple[str, str]] = {}
    body = tree.body
    for node, after in zip(body, body[1:] + [None], strict=True):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        else:
            continue
        doc = ""
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            doc = after.value.value
        found[name] = (ast.get_source_segment(source, value) or "", doc)
    return found


def _facade_sources() -> dict[str, str]:
    """Which module ``riskscore.rubric`` imports each name from."""
    tree = ast.parse((ROOT / "riskscore" / "rubric.py").read_text(encoding="utf-8"))
    return {alias.asname or alias.name: node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names}


def _is_model(cls: type) -> TypeGuard[type[BaseModel]]:
    from pydantic import BaseModel

    return isinstance(cls, type) and issubclass(cls, BaseModel)


def _documented_bases(cls: type) -> list[type]:
    """``cls`` and its private riskscore bases (``_Observation``), whose members an author sees on ``cls``."""
    return [k for k in cls.__mro__ if k is cls or (k.__name__.startswith("_") and k.__module__.startswith("riskscore."))]


def _fields_table(cls: type[BaseModel]) -> list[str]:
    annotations: dict[str, str] = {}
    for klass in reversed(_documented_bases(cls)):
        annotations.update({k: _annotation(v) for k, v in inspect.get_annotations(klass).items()})
    rows = ["| Field | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, info in cls.model_fields.items():
        default = "required" if info.is_required() else f"`{info.get_default(call_default_factory=True)!r}`"
        kind = annotations.get(name, _annotation(info.annotation)).replace("|", "\\|")
        rows.append(f"| `{name}` | `{kind}` | {default} | {_cell(info.description or '')} |")
    return rows if len(rows) > 2 else []


def _attributes_table(cls: type) -> list[str]:
    rows = ["| Attribute | Type | Default |", "|---|---|---|"]
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            default = "required" if f.default is dataclasses.MISSING else f"`{f.default!r}`"
            rows.append(f"| `{f.name}` | `{_annotation(f.type)}` | {default} |")
        return rows
    for name, annotation in inspect.get_annotations(cls).items():
        if name.startswith("_"):
            continue
        value = cls.__dict__.get(name, inspect.Parameter.empty)
        default = "required" if value is inspect.Parameter.empty else f"`{getattr(value, '__name__', repr(value))}`"
        rows.append(f"| `{name}` | `{_annotation(annotation)}` | {default} |")
    return rows if len(rows) > 2 else []


def _members(cls: type) -> list[str]:
    """Public methods and properties defined on ``cls`` or its private bases, each with its docstring."""
    out: list[str] = []
    seen: set[str] = set()
    for klass in _documented_bases(cls):
        for name, member in vars(klass).items():
            if name.startswith(("_", "model_")) or name in seen:  # model_*: pydantic's machinery
                continue
            seen.add(name)
            if isinstance(member, property):
                head, doc = f"`.{name}` (property)", member.__doc__
            elif isinstance(member, (classmethod, staticmethod)):
                func = member.__func__
                head, doc = f"`{cls.__name__}.{name}{signature(func, skip_first=isinstance(member, classmethod))}` ({type(member).__name__})", func.__doc__
            elif inspect.isfunction(member):
                head, doc = f"`.{name}{signature(member, skip_first=True)}`", member.__doc__
            else:
                continue
            out += [f"- {head}" + (f": {_line(doc)}" if doc else "")]
    return out


def document(name: str, obj: Any, attribute_docs: dict[str, tuple[str, str]]) -> list[str]:
    if inspect.isclass(obj) and obj.__module__.startswith("riskscore."):
        lines = [f"### `class {name}`", "", markdown(obj.__doc__ or ""), ""]
        table = _fields_table(obj) if _is_model(obj) else _attributes_table(obj)
        if table:
            lines += table + [""]
        members = _members(obj)
        if members:
            lines += members + [""]
        return lines
    if inspect.isfunction(obj):
        return [f"### `{name}{signature(obj)}`", "", markdown(obj.__doc__ or ""), ""]
    value, doc = attribute_docs[name]
    return [f"### `{name}`", "", "```python", f"{name} = {value}", "```", "", markdown(doc), ""]


def undocumented() -> list[str]:
    """Exported names without a docstring (the test requires none)."""
    import riskscore.rubric as facade

    sources = _facade_sources()
    missing = []
    for name in facade.__all__:
        obj = getattr(facade, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = obj.__doc__ if obj.__doc__ and (not inspect.isclass(obj) or "__doc__" in vars(obj)) else None
        else:
            doc = _attribute_docs(sources[name]).get(name, ("", ""))[1]
        if not (doc or "").strip():
            missing.append(name)
    return missing


def generate() -> str:
    import riskscore.rubric as facade

    listed = [name for _, _, names in SECTIONS for name in names]
    if sorted(listed) != sorted(facade.__all__):
        extra, absent = sorted(set(listed) - set(facade.__all__)), sorted(set(facade.__all__) - set(listed))
        raise SystemExit(f"docs/gen_api.py: SECTIONS and riskscore.rubric.__all__ differ: not exported {extra}, not documented {absent}")
    sources = _facade_sources()
    attribute_docs: dict[str, tuple[str, str]] = {}
    for module in sorted(set(sources.values())):
        attribute_docs.update({k: v for k, v in _attribute_docs(module).items() if sources.get(k) == module})
    lines = [
        "# API reference for rubric authors",
        "",
        "<!-- Generated by `python docs/gen_api.py` from the docstrings; tests/test_api_docs.py fails when it is out of date. -->",
        "",
        "Everything a rubric needs is importable from one module, `riskscore.rubric`:",
        "",
        "```python",
        "from riskscore.rubric import Rubric, RubricParams, RubricResult, Metric, Evidence, GridParam, Grid, value",
        "```",
        "",
        "[writing-a-rubric.md](writing-a-rubric.md) is the guide; this page is the reference.",
        "",
    ]
    for title, _, names in SECTIONS:
        lines.append(f"- [{title}](#{_anchor(title)}): " + ", ".join(f"`{n}`" for n in names))
    lines.append("")
    for title, intro, names in SECTIONS:
        lines += [f"## {title}", ""]
        if intro:
            lines += [markdown(intro), ""]
        for name in names:
            lines += document(name, getattr(facade, name), attribute_docs)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    text = generate()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python docs/gen_api.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
