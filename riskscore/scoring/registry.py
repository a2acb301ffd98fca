"""Finding rubrics. Discovery order:

1. every entry point in the group ``riskscore.rubrics`` (the built-ins register there too),
   sorted by name;
2. every ``*.py`` module (not starting with ``_`` or ``test_``) in each rubrics directory, in the order
   given (``rubrics_dirs`` in the configuration file, then ``--rubrics-dir``), files sorted
   by name; each Rubric subclass a module defines is a rubric.

Each plugin is loaded on its own: one that fails to import or breaks the contract is
recorded with its origin and the reason, and the others still load. Two rubrics with one id
are an error naming both origins.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from riskscore.scoring.config import Config
from riskscore.errors import InputError, Problem, RubricLoadError
from riskscore.scoring.contract import SUPPORTED_CONTRACT_VERSIONS, Rubric, RubricParams

GROUP = "riskscore.rubrics"
_REQUIRED = ("id", "title", "version", "default_weight")


@dataclass(frozen=True)
class LoadedRubric:
    """One discovered plugin: the class, or the reason it could not be used."""

    rubric: type[Rubric] | None
    name: str
    origin: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.rubric is not None


def check_rubric_class(cls: Any) -> type[Rubric]:
    """Raise RubricLoadError unless ``cls`` honours the rubric contract's declarations."""
    if not (isinstance(cls, type) and issubclass(cls, Rubric)):
        raise RubricLoadError(f"{cls!r} is not a subclass of riskscore.scoring.contract.Rubric")
    missing = [name for name in _REQUIRED if not hasattr(cls, name)]
    if missing:
        raise RubricLoadError(f"missing metadata: {', '.join(missing)}")
    version = getattr(cls, "contract_version", None)
    if version not in SUPPORTED_CONTRACT_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_CONTRACT_VERSIONS)
        raise RubricLoadError(f"built for rubric contract {version}; this riskscore supports contract version {supported}")
    if not cls.doc():
        raise RubricLoadError("has no docstring; the docstring documents the rubric's method")
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, RubricParams)):
        raise RubricLoadError("Params must subclass riskscore.scoring.contract.RubricParams")
    return cls


def _from_entry_points() -> list[LoadedRubric]:
    from importlib.metadata import entry_points

    found = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        origin = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
        try:
            cls = check_rubric_class(ep.load())
            if cls.id != ep.name:
                raise RubricLoadError(f"entry point {ep.name!r} names a rubric whose id is {cls.id!r}; register it as {cls.id} = \"{ep.value}\"")
        except Exception as exc:  # a broken plugin must not take the others down
            found.append(LoadedRubric(None, ep.name, origin, f"{type(exc).__name__}: {exc}" if not isinstance(exc, RubricLoadError) else str(exc)))
            continue
        found.append(LoadedRubric(cls, cls.id, origin))
    return found


def _from_directory(directory: Path) -> list[LoadedRubric]:
    if not directory.is_dir():
        return [LoadedRubric(None, directory.name, str(directory), "not a directory")]
    found = []
    package = f"riskscore_local_{hashlib.sha1(str(directory.resolve()).encode()).hexdigest()[:10]}"
    if package not in sys.modules:
        # The directory acts as a package, so a plugin can import its private helpers:
        # ``from ._helpers import x`` (modules starting with '_' are not loaded as plugins).
        stub = types.ModuleType(package)
        stub.__path__ = [str(directory.resolve())]
        sys.modules[package] = stub
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith(("_", "test_")):  # private helpers and the rubric's own tests
            continue
        origin = str(path)
        module_name = f"{package}.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            found.append(LoadedRubric(None, path.stem, origin, f"{type(exc).__name__}: {exc}"))
            continue
        classes = [obj for obj in vars(module).values()
                   if isinstance(obj, type) and issubclass(obj, Rubric) and obj.__module__ == module_name]
        if not classes:
            found.append(LoadedRubric(None, path.stem, origin, "defines no Rubric subclass"))
        for cls in sorted(classes, key=lambda c: c.__name__):
            try:
                found.append(LoadedRubric(check_rubric_class(cls), cls.id, origin))
            except RubricLoadError as exc:
                found.append(LoadedRubric(None, getattr(cls, "id", cls.__name__), origin, str(exc)))
    return found


def discover(directories: Iterable[Path] = ()) -> list[LoadedRubric]:
    """Every plugin from the entry points, then from ``directories``, each loaded in isolation."""
    found = _from_entry_points()
    for directory in directories:
        found.extend(_from_directory(Path(directory)))
    return found


def duplicates(loaded: list[LoadedRubric]) -> dict[str, list[str]]:
    """Rubric ids defined more than once, with every origin."""
    origins: dict[str, list[str]] = {}
    for item in loaded:
        if item.ok:
            origins.setdefault(item.name, []).append(item.origin)
    return {rid: where for rid, where in origins.items() if len(where) > 1}


def select(config: Config, loaded: list[LoadedRubric] | None = None) -> list[type[Rubric]]:
    """The enabled rubrics, in configuration order (``[weights]``), then by id."""
    loaded = discover(config.rubrics_dirs) if loaded is None else loaded
    dupes = duplicates(loaded)
    if dupes:
        rid, where = next(iter(sorted(dupes.items())))
        raise RubricLoadError(f"two rubrics share the id {rid!r}: {' and '.join(where)}")
    by_id = {item.name: item.rubric for item in loaded if item.ok}
    stray = [rid for rid in config.weights if rid not in by_id]
    stray += [rid for rid in config.rubric_params if rid not in by_id and rid not in stray]
    if stray:
        raise InputError(config.user_file, [Problem(config.field(f"weights.{rid}" if rid in config.weights else f"rubrics.{rid}"),
                                                    f"no rubric has the id {rid!r}; available: {', '.join(sorted(by_id))}") for rid in stray])
    wanted = config.enabled if config.enabled is not None else list(by_id)
    unknown = [rid for rid in wanted if rid not in by_id]
    if unknown:
        raise InputError(config.user_file, [Problem(config.field("enabled"), f"unknown rubric {rid!r}; available: {', '.join(sorted(by_id))}") for rid in unknown])
    order = {rid: i for i, rid in enumerate(config.weights)}
    return [by_id[rid] for rid in sorted(wanted, key=lambda r: (order.get(r, len(order)), r))]  # type: ignore[misc]


def params_for(rubric: type[Rubric], config: Config) -> RubricParams:
    """The rubric's parameters from configuration, validated by its own parameter model."""
    cached = config.params_cache.get(rubric.id)
    if cached is not None and type(cached) is rubric.Params:
        return cached
    raw = config.rubric_params.get(rubric.id, {})
    try:
        params = rubric.Params.model_validate(raw)
        config.params_cache[rubric.id] = params
        return params
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            key = config.field(f"rubrics.{rubric.id}." + ".".join(map(str, e["loc"])))
            problems.append(Problem(key, e["msg"] if e["type"] != "extra_forbidden" else f"{rubric.id} has no parameter {e['loc'][-1]!r}"))
        raise InputError(config.user_file, problems) from None
