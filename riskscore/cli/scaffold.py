"""``riskscore rubrics new NAME``: write a working rubric module, its tests and a doc stub.

The generated files pass the contract kit (:mod:`riskscore.testing`) as written. Existing
files are never overwritten.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path
from string import Template

from riskscore.errors import InputError, Problem

TEMPLATES = Path(__file__).parent / "templates"
_TEMPLATE_NAMES = {"DataGap", "Evidence", "Metric", "Rubric", "RubricParams", "RubricResult", "Grid", "GridParam", "Profile"}


def rubric_id(name: str) -> str:
    """``Cash-Runway`` -> ``cash_runway``; refuses what cannot be a Python module name."""
    rid = re.sub(r"[\s-]+", "_", name.strip()).lower()
    where = "rubrics new"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
        raise InputError(where, [Problem("NAME", f"{name!r}: a rubric name is letters, digits, '_' or '-', starting with a letter (e.g. cash_runway)")])
    if rid.startswith("test_"):
        raise InputError(where, [Problem("NAME", f"{rid!r}: modules named test_* are tests, which rubric discovery skips; choose another name")])
    if keyword.iskeyword(rid) or keyword.issoftkeyword(rid):
        raise InputError(where, [Problem("NAME", f"{rid!r} is a Python keyword and cannot be a module name")])
    if importlib.util.find_spec(rid) is not None:
        raise InputError(where, [Problem("NAME", f"{rid!r} is already the name of an importable module, which the generated tests would import instead")])
    return rid


def write_scaffold(name: str, directory: Path) -> list[Path]:
    """Write ``<id>.py``, ``test_<id>.py`` and ``<id>.md`` into ``directory``; return their paths."""
    rid = rubric_id(name)
    class_name = "".join(part.capitalize() for part in rid.split("_"))
    if class_name in _TEMPLATE_NAMES:  # 'metric' must not shadow the Metric the module imports
        class_name += "Rubric"
    title = rid.replace("_", " ").capitalize()
    files = {
        directory / f"{rid}.py": "rubric.py.tmpl",
        directory / f"test_{rid}.py": "test_rubric.py.tmpl",
        directory / f"{rid}.md": "doc.md.tmpl",
    }
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise InputError(existing[0], [Problem("", "already exists; riskscore never overwrites a rubric (choose another NAME or --dir)")])
    values = {
        "id": rid,
        "class_name": class_name,
        "title": title,
        "description": f"{title}: how revenue moved between the two latest fiscal years.",
        "parameters": "| `growth_grid` | `[[-20, 90], [-5, 60], [0, 45], [10, 25], [30, 10]]` | Revenue growth (%) → score. |",
        "directory": str(directory),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for path, template in files.items():
        text = Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
    return list(files)
