"""The package's import graph, read from the source (ast), function-level imports included:
no import circle between riskscore modules, and no module importing another's private names.

Imports under ``if TYPE_CHECKING:`` never run, so they may point back up the layers (for
annotations) and are left out of the circle check; they must still not name private things.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "riskscore"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, text: str | None = None) -> list[tuple[str, str | None, int, bool]]:
    """(imported module, name taken from it or None, line, under TYPE_CHECKING) for each import in ``module``."""
    path = MODULES.get(module)
    is_package = path is not None and path.name == "__init__.py"
    tree = ast.parse(text if text is not None else path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    found: list[tuple[str, str | None, int, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, None, node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node)
            for alias in node.names:
                found.append((source, alias.name, node.lineno, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree, False)
    return found


def _targets(source: str, name: str | None) -> list[str]:
    """The riskscore modules an import runs: the module itself (``from pkg import submodule`` runs the submodule too)."""
    if not (source == "riskscore" or source.startswith("riskscore.")):
        return []
    targets = []
    if name is not None and f"{source}.{name}" in MODULES:
        targets.append(f"{source}.{name}")
    elif source in MODULES:
        targets.append(source)
    return targets


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for source, name, _, typing_only in _imports(module):
            if typing_only:
                continue
            graph[module].update(t for t in _targets(source, name) if t != module)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_function_level_and_relative_imports() -> None:
    graph = import_graph()
    assert "riskscore.report.render" in graph["riskscore.pipeline"]       # inside a method
    assert "riskscore.analysis.peers" in graph["riskscore.pipeline"]      # `from riskscore.analysis import peers as pr`
    assert "riskscore.profile.load" in graph["riskscore.batch"]           # module level


def test_find_cycle_reports_a_circle_through_function_level_imports() -> None:
    # batch → memo → calibration → batch: the circle this layout removed (expand_inputs)
    assert find_cycle({"batch": {"memo"}, "memo": {"calibration"}, "calibration": {"batch"}}) == ["batch", "memo", "calibration", "batch"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_between_riskscore_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(module: str, text: str | None = None) -> list[str]:
    """Each import in ``module`` of a private name (``_x``) from another riskscore module, as 'line: what'."""
    offending = []
    for source, name, line, _ in _imports(module, text):
        if not (source == "riskscore" or source.startswith("riskscore.")) or source == module:
            continue
        parts = source.split(".") + ([name] if name and name != "*" else [])
        if any(_private(part) for part in parts):
            offending.append(f"{line}: {source}" + (f" import {name}" if name else ""))
    return offending


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_imported_from_another_module(module: str) -> None:
    offending = private_imports(module)
    assert not offending, f"{MODULES[module]}: private names imported across modules:\n" + "\n".join(offending)


def test_private_import_check_finds_the_old_trend_memo_imports() -> None:
    old = "def render_trend():\n    from riskscore.report.render import _css, _environment\n"
    assert private_imports("riskscore.analysis.trend", old) == [
        "2: riskscore.report.render import _css", "2: riskscore.report.render import _environment"]
    relative = "if TYPE_CHECKING:\n    from ..report._private import Thing\nfrom riskscore import __version__\n"
    assert private_imports("riskscore.analysis.trend", relative) == ["2: riskscore.report._private import Thing"]


# The layers, in order: a module imports from its own layer and the ones before it, never
# from a later one (the README's "Architecture" shows the same list).
LAYERS: list[tuple[str, ...]] = [
    ("riskscore", "riskscore.errors", "riskscore.io", "riskscore.inputfile"),
    # report.format is the one number formatter and report.i18n the one message type: they need
    # only units, and every layer writes its figures and sentences through them, so they sit
    # with the profile layer although they live in report/.
    ("riskscore.profile", "riskscore.report.format", "riskscore.report.i18n"),
    ("riskscore.scoring",),
    ("riskscore.rubric", "riskscore.scale", "riskscore.facts", "riskscore.evidence", "riskscore.units"),  # author facade, shims
    ("riskscore.analysis",),
    ("riskscore.report",),
    ("riskscore.pipeline",),
    ("riskscore.batch",),
    ("riskscore.api",),
    ("riskscore.cli", "riskscore.__main__"),
    ("riskscore.testing",),
]
# Known exceptions, each to be removed by the change that fixes it (never add one lightly).
LAYER_EXCEPTIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> int:
    matches = [(len(prefix), i) for i, names in enumerate(LAYERS) for prefix in names
               if module == prefix or (prefix != "riskscore" and module.startswith(prefix + "."))]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


def test_every_module_imports_only_from_its_own_or_an_earlier_layer() -> None:
    upward = [f"{m} → {d}" for m, deps in sorted(import_graph().items()) for d in sorted(deps)
              if layer_of(d) > layer_of(m) and (m, d) not in LAYER_EXCEPTIONS]
    assert not upward, "imports from a later layer:\n" + "\n".join(upward)
