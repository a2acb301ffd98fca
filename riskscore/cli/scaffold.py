"""``riskscore rubrics new NAME``: write a working rubric module, its tests and a doc stub.

With ``--package DIR`` it writes an installable plugin package instead: ``pyproject.toml``
with the entry point named after the rubric's id, a ``src/`` layout and tests built on the
contract kit. The generated files pass the contract kit (:mod:`riskscore.testing`) as
written. Existing files are never overwritten.
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


def rubric_id(name: str, module: str | None = None) -> str:
    """``Cash-Runway`` -> ``cash_runway``; refuses what cannot be a Python module name.

    ``module`` is the name the generated tests import (the id itself for a rubrics
    directory); it must not be taken by an importable module already.
    """
    rid = re.sub(r"[\s-]+", "_", name.strip()).lower()
    where = "rubrics new"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
        raise InputError(where, [Problem("NAME", f"{name!r}: a rubric name is letters, digits, '_' or '-', starting with a letter (e.g. cash_runway)")])
    if rid.startswith("test_"):
        raise InputError(where, [Problem("NAME", f"{rid!r}: modules named test_* are tests, which rubric discovery skips; choose another name")])
    if keyword.iskeyword(rid) or keyword.issoftkeyword(rid):
        raise InputError(where, [Problem("NAME", f"{rid!r} is a Python keyword and cannot be a module name")])
    module = module or rid
    if importlib.util.find_spec(module.format(id=rid)) is not None:
        raise InputError(where, [Problem("NAME", f"{module.format(id=rid)!r} is already the name of an importable module, which the generated tests would import instead")])
    return rid


def _names(rid: str) -> tuple[str, str]:
    """The class name and title for ``rid``."""
    class_name = "".join(part.capitalize() for part in rid.split("_"))
    if class_name in _TEMPLATE_NAMES:  # 'metric' must not shadow the Metric the module imports
        class_name += "Rubric"
    return class_name, rid.replace("_", " ").capitalize()


def _write(files: dict[Path, str], values: dict[str, str]) -> list[Path]:
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise InputError(existing[0], [Problem("", "already exists; riskscore never overwrites a rubric (choose another NAME or directory)")])
    from riskscore.io import write_set

    texts = {path: Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values) for path, template in files.items()}
    return write_set(texts)  # all the files or none, as every command writes


_VALUES = {
    "description_suffix": "how revenue moved between the two latest fiscal years.",
    "parameters": "| `growth_grid` | `[[-20, 90], [-5, 60], [0, 45], [10, 25], [30, 10]]` | Revenue growth (%) → score. |",
}


def write_scaffold(name: str, directory: Path) -> list[Path]:
    """Write ``<id>.py``, ``test_<id>.py`` and ``<id>.md`` into ``directory``; return their paths."""
    rid = rubric_id(name)
    class_name, title = _names(rid)
    values = {
        "id": rid, "class_name": class_name, "title": title, "version": "0.1", "module": rid,
        "description": f"{title}: {_VALUES['description_suffix']}", "parameters": _VALUES["parameters"], "directory": str(directory),
    }
    return _write({
        directory / f"{rid}.py": "rubric.py.tmpl",
        directory / f"test_{rid}.py": "test_rubric.py.tmpl",
        directory / f"{rid}.md": "doc.md.tmpl",
    }, values)


def write_package(name: str, directory: Path) -> list[Path]:
    """Write an installable plugin package for rubric ``name`` into ``directory``; return the files' paths.

    ``riskscore-<id>`` (distribution) with the import package ``riskscore_<id>`` under
    ``src/``, its entry point ``<id> = "riskscore_<id>:<Class>"`` in the group
    ``riskscore.rubrics``, a README and tests using the contract kit.
    """
    rid = rubric_id(name, "riskscore_{id}")
    class_name, title = _names(rid)
    package = f"riskscore_{rid}"
    values = {
        "id": rid, "class_name": class_name, "title": title, "version": "0.1.0", "module": package, "package": package,
        "distribution": f"riskscore-{rid.replace('_', '-')}", "requires": _requirement(),
        "description": f"{title}: {_VALUES['description_suffix']}", "parameters": _VALUES["parameters"], "directory": str(directory),
    }
    return _write({
        directory / "pyproject.toml": "pyproject.toml.tmpl",
        directory / "README.md": "package_readme.md.tmpl",
        directory / "src" / package / "__init__.py": "package_init.py.tmpl",
        directory / "src" / package / "rubric.py": "rubric.py.tmpl",
        directory / "tests" / f"test_{rid}.py": "test_package.py.tmpl",
    }, values)


def _requirement() -> str:
    """``riskscore>=X.Y`` for the riskscore that generated the package (its contract is the one the rubric targets)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("riskscore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
        return "riskscore"
    return "riskscore>=" + ".".join(release.split(".")[:2])
