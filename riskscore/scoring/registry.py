"""Finding rubrics. Discovery order:

1. every entry point in the group ``riskscore.rubrics`` (the built-ins register there too),
   sorted by name;
2. every ``*.py`` module (not starting with ``_`` or ``test_``) in each rubrics directory, in the order
   given (``rubrics_dirs`` in the configuration file, then ``--rubrics-dir``), files sorted
   by name; each Rubric subclass a module defines is a rubric.

Each plugin is loaded on its own: one that fails to import or breaks the contract is
recorded with its origin and the reason, and the others still load. :func:`discover` returns
a :class:`Discovery`, a value holding what loaded, what failed (:attr:`Discovery.failures`)
and what became of every entry point and module it looked at (:meth:`Discovery.trace`).
Two rubrics with one id block only the runs that enable that id.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import traceback
import types
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, ValidationError

from riskscore.errors import InputError, Problem, RubricLoadError
from riskscore.scoring.config import MAX_WEIGHT, Config, check_against_rubrics, packaged_defaults
from riskscore.scoring.contract import CONTRACT_VERSION, SUPPORTED_CONTRACT_VERSIONS, Rubric, RubricParams

GROUP = "riskscore.rubrics"
_REQUIRED = ("id", "title", "version", "default_weight", "contract_version")


@dataclass(frozen=True)
class LoadedRubric:
    """One discovered plugin: the class, or the reason it could not be used.

    ``source`` says where discovery found it: ``name = module:Class`` for an entry point, the
    file for a module. ``traceback`` is the formatted traceback of an import that raised.
    """

    rubric: type[Rubric] | None
    name: str
    origin: str
    error: str | None = None
    kind: Literal["entry point", "module", "directory"] = "module"
    source: str = ""
    traceback: str | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.rubric is not None


class LoadFailure(BaseModel):
    """A plugin that could not be loaded: its name (rubric id, entry-point name or module), where it came from, why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    origin: str
    error: str


@dataclass(frozen=True)
class Skipped:
    """A module in a rubrics directory that discovery saw and did not import, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class TraceEntry:
    """What became of one entry point or module: ``loaded``, ``failed``, ``duplicate`` or ``skipped``."""

    kind: str
    source: str
    origin: str
    status: Literal["loaded", "failed", "duplicate", "skipped"]
    rubric: str | None
    detail: str = ""


class Discovery(Sequence[LoadedRubric]):
    """The outcome of :func:`discover`: every plugin found, in discovery order, failures included.

    Iterating it gives the :class:`LoadedRubric` items (as a list did before), so existing
    callers keep working; :attr:`failures` is what a run reports as "not loaded".
    """

    def __init__(self, items: Iterable[LoadedRubric] = (), skipped: Iterable[tuple[int, Skipped]] = ()) -> None:
        self.items: tuple[LoadedRubric, ...] = tuple(items)
        self.skipped: tuple[tuple[int, Skipped], ...] = tuple(skipped)  # (position among items, what was skipped)

    @overload
    def __getitem__(self, index: int) -> LoadedRubric: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[LoadedRubric]: ...

    def __getitem__(self, index: int | slice) -> LoadedRubric | Sequence[LoadedRubric]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[LoadedRubric]:
        return iter(self.items)

    def __add__(self, other: Iterable[LoadedRubric]) -> Discovery:
        """More plugins after these (what concatenating the list did before)."""
        return Discovery([*self.items, *other], self.skipped)

    def __repr__(self) -> str:
        return f"Discovery({list(self.items)!r})"

    @property
    def rubrics(self) -> list[type[Rubric]]:
        """Every class that loaded, duplicates included, in discovery order."""
        return [item.rubric for item in self.items if item.rubric is not None]

    @property
    def failures(self) -> list[LoadFailure]:
        """Every plugin that failed to load, as a value a run reports (``score --json``, the memo)."""
        return load_failures(self.items)

    @property
    def duplicates(self) -> dict[str, list[str]]:
        """Rubric ids defined more than once, with every origin."""
        return duplicates(self.items)

    def trace(self) -> list[TraceEntry]:
        """What became of every entry point and module discovery looked at, in discovery order."""
        dupes = self.duplicates
        entries: list[TraceEntry] = []
        skipped = list(self.skipped)
        for position, item in enumerate(self.items):
            while skipped and skipped[0][0] <= position:
                entries.append(_skipped_entry(skipped.pop(0)[1]))
            source = item.source or item.origin
            if not item.ok:
                entries.append(TraceEntry(item.kind, source, item.origin, "failed", item.name, item.error or ""))
            elif item.name in dupes:
                others = [o for o in dupes[item.name] if o != item.origin] or dupes[item.name]
                entries.append(TraceEntry(item.kind, source, item.origin, "duplicate", item.name, f"id also defined by {' and '.join(others)}"))
            else:
                entries.append(TraceEntry(item.kind, source, item.origin, "loaded", item.name))
        entries += [_skipped_entry(s) for _, s in skipped]
        return entries


def _skipped_entry(skipped: Skipped) -> TraceEntry:
    return TraceEntry("module", skipped.source, skipped.source, "skipped", None, skipped.reason)


def load_failures(loaded: Iterable[LoadedRubric]) -> list[LoadFailure]:
    """The plugins in ``loaded`` that failed, as :class:`LoadFailure` values."""
    return [LoadFailure(name=item.name, origin=item.origin, error=item.error or "not loaded") for item in loaded if not item.ok]


@functools.cache
def _packaged_params() -> dict[str, dict[str, Any]]:
    """``[rubrics.<id>]`` of the packaged defaults.toml: where the built-ins' parameters default from."""
    return dict(packaged_defaults().get("rubrics", {}))


def check_params(cls: type[Rubric]) -> None:
    """Every parameter has a default: in ``Params`` or, for a built-in, in the packaged defaults.toml.

    Checked at load, so a plugin whose parameter has no default is reported against the
    plugin, not as a problem in a configuration file.
    """
    packaged = _packaged_params().get(cls.id, {})
    missing = [name for name, info in cls.Params.model_fields.items() if info.is_required() and name not in packaged]
    if missing:
        names = ", ".join(f"Params.{name}" for name in missing)
        raise RubricLoadError(f"{names} {'has' if len(missing) == 1 else 'have'} no default; every parameter needs one")


def check_rubric_class(cls: Any) -> type[Rubric]:
    """Raise RubricLoadError unless ``cls`` honours the rubric contract's declarations."""
    if not (isinstance(cls, type) and issubclass(cls, Rubric)):
        raise RubricLoadError(f"{cls!r} is not a subclass of riskscore.rubric.Rubric")
    missing = [name for name in _REQUIRED if not hasattr(cls, name)]
    if missing:
        hint = (f" (set contract_version = {CONTRACT_VERSION!r}, the version of the rubric contract the class was written for)"
                if "contract_version" in missing else "")
        raise RubricLoadError(f"missing metadata: {', '.join(missing)}{hint}")
    message = contract_version_problem(cls.contract_version)
    if message:
        raise RubricLoadError(message)
    if not cls.doc():
        raise RubricLoadError("has no docstring; the docstring documents the rubric's method")
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, RubricParams)):
        raise RubricLoadError("Params must subclass riskscore.rubric.RubricParams")
    check_params(cls)
    check_metadata(cls)
    return cls


def contract_version_problem(version: object) -> str | None:
    """Why a rubric declaring ``contract_version = version`` cannot run here, or None. Values are shown with repr."""
    if type(version) is int and version in SUPPORTED_CONTRACT_VERSIONS:
        return None
    supported = ", ".join(repr(v) for v in SUPPORTED_CONTRACT_VERSIONS)
    message = f"built for rubric contract {version!r}; this riskscore supports contract version {supported}"
    if isinstance(version, str) and version.strip().isdigit() and int(version) in SUPPORTED_CONTRACT_VERSIONS:
        message += f" (write contract_version = {int(version)!r}, an int, not the string {version!r})"
    return message


def _error_text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, RubricLoadError) else f"{type(exc).__name__}: {exc}"


def check_metadata(cls: type[Rubric]) -> None:
    """Raise RubricLoadError naming the attribute unless the metadata's values are usable:
    ``id`` a lower-case slug, ``title`` and ``version`` text, ``default_weight`` a finite
    number from 0 to MAX_WEIGHT, ``red_flag_ids`` None or a tuple of non-empty strings."""
    import math
    import re

    if not isinstance(cls.id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", cls.id):
        raise RubricLoadError(f"id must be a lower-case slug such as 'cash_runway'; got {cls.id!r}")
    for name in ("title", "version"):
        if not isinstance(getattr(cls, name), str) or not getattr(cls, name).strip():
            raise RubricLoadError(f"{name} must be a non-empty string; got {getattr(cls, name)!r}")
    weight = cls.default_weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
        raise RubricLoadError(f"default_weight must be a finite number from 0 to {MAX_WEIGHT:,}; got {weight!r}")
    flags = getattr(cls, "red_flag_ids", None)
    if flags is not None and (not isinstance(flags, tuple) or not all(isinstance(f, str) and f.strip("*") for f in flags)):
        raise RubricLoadError(f"red_flag_ids must be None or a tuple of red-flag ids; got {flags!r}")


def _origin(dist: Any, seen: dict[int, str]) -> str:
    """``name version`` of the distribution an entry point belongs to.

    Every entry point of a distribution shares its distribution object, and reading ``name``
    and ``version`` parses the distribution's METADATA file each time: parse it once. ``seen``
    is keyed by ``id``, so it must not outlive the entry points that hold the distributions.
    """
    key = id(dist)
    if key not in seen:
        metadata = dist.metadata
        seen[key] = f"{metadata['Name']} {metadata['Version']}"
    return seen[key]


def _from_entry_points() -> list[LoadedRubric]:
    from importlib.metadata import entry_points

    found = []
    eps = sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value))
    origins: dict[int, str] = {}  # one distribution's metadata parsed once, not twice per entry point
    for ep in eps:
        origin = _origin(ep.dist, origins) if ep.dist else ep.value
        source = f"{ep.name} = {ep.value}"
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            found.append(LoadedRubric(None, ep.name, origin, _error_text(exc), "entry point", source, traceback.format_exc()))
            continue
        try:
            cls = check_rubric_class(loaded)
            if cls.id != ep.name:
                raise RubricLoadError(f"the entry point is named {ep.name!r} but the rubric's id is {cls.id!r}; an entry point's name must "
                                      f"equal the id: register it as {cls.id} = \"{ep.value}\" under [project.entry-points.\"{GROUP}\"]")
        except Exception as exc:
            found.append(LoadedRubric(None, ep.name, origin, _error_text(exc), "entry point", source))
            continue
        found.append(LoadedRubric(cls, cls.id, origin, kind="entry point", source=source))
    return found


def _from_directory(directory: Path) -> list[LoadedRubric | Skipped]:
    """What each ``*.py`` module of ``directory`` gave, in file-name order."""
    if not directory.is_dir():
        return [LoadedRubric(None, directory.name, str(directory), "not a directory", "directory", str(directory))]
    found: list[LoadedRubric | Skipped] = []
    package = f"riskscore_local_{hashlib.sha1(str(directory.resolve()).encode()).hexdigest()[:10]}"
    if package not in sys.modules:
        # The directory acts as a package, so a plugin can import its private helpers:
        # ``from ._helpers import x`` (modules starting with '_' are not loaded as plugins).
        stub = types.ModuleType(package)
        stub.__path__ = [str(directory.resolve())]
        sys.modules[package] = stub
    for path in sorted(directory.glob("*.py")):
        origin = str(path)
        if path.name.startswith("_"):
            found.append(Skipped(origin, "a private helper (name starts with '_'), imported only by the plugins that use it"))
            continue
        if path.name.startswith("test_"):
            found.append(Skipped(origin, "a test module (name starts with 'test_')"))
            continue
        module_name = f"{package}.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            found.append(LoadedRubric(None, path.stem, origin, f"{type(exc).__name__}: {exc}", "module", origin, traceback.format_exc()))
            continue
        classes = [obj for obj in vars(module).values()
                   if isinstance(obj, type) and issubclass(obj, Rubric) and obj.__module__ == module_name]
        if not classes:
            found.append(LoadedRubric(None, path.stem, origin, "defines no Rubric subclass", "module", origin))
        for cls in sorted(classes, key=lambda c: c.__name__):
            source = f"{origin}:{cls.__name__}" if len(classes) > 1 else origin
            try:
                found.append(LoadedRubric(check_rubric_class(cls), cls.id, origin, kind="module", source=source))
            except RubricLoadError as exc:
                found.append(LoadedRubric(None, getattr(cls, "id", cls.__name__), origin, str(exc), "module", source))
    return found


def discover(directories: Iterable[Path] = ()) -> Discovery:
    """Every plugin from the entry points, then from ``directories``, each loaded in isolation."""
    found = _from_entry_points()
    skipped: list[tuple[int, Skipped]] = []
    for directory in directories:
        for event in _from_directory(Path(directory)):
            if isinstance(event, Skipped):
                skipped.append((len(found), event))  # traced just before the plugin that follows it
            else:
                found.append(event)
    return Discovery(found, skipped)


def duplicates(loaded: Iterable[LoadedRubric]) -> dict[str, list[str]]:
    """Rubric ids defined more than once, with every origin."""
    origins: dict[str, list[str]] = {}
    for item in loaded:
        if item.ok:
            origins.setdefault(item.name, []).append(item.origin)
    return {rid: where for rid, where in origins.items() if len(where) > 1}


def duplicate_message(rid: str, origins: list[str]) -> str:
    """Two rubrics share ``rid``: name both and say how to resolve it."""
    return (f"two rubrics share the id {rid!r}: {' and '.join(origins)}. Runs that enable {rid!r} cannot choose between them: "
            f"uninstall one (pip uninstall <package>) or rename its id (a package's entry-point name must then change too), "
            f"or leave {rid!r} out of `enabled` in riskscore.toml to run without it")


def select(config: Config, loaded: Iterable[LoadedRubric] | None = None) -> list[type[Rubric]]:
    """The enabled rubrics, in configuration order (``[weights]``), then by id.

    A duplicate id is an error only when the run enables it; a configured id whose plugin
    failed to load is reported as such, not as an unknown id.
    """
    items = list(discover(config.rubrics_dirs) if loaded is None else loaded)
    dupes = duplicates(items)
    by_id = {item.name: item.rubric for item in items if item.rubric is not None}
    failed = {item.name: item for item in items if not item.ok and item.name not in by_id}
    available = ", ".join(sorted(by_id))

    def unknown(rid: str, fallback: str) -> str:
        if rid in failed:
            return f"rubric {rid!r} failed to load (see above): {failed[rid].origin}"
        return fallback

    stray = [rid for rid in config.weights if rid not in by_id]
    stray += [rid for rid in config.rubric_params if rid not in by_id and rid not in stray]
    if stray:
        raise InputError(config.user_file, [Problem(config.field(f"weights.{rid}" if rid in config.weights else f"rubrics.{rid}"),
                                                    unknown(rid, f"no rubric has the id {rid!r}; available: {available}")) for rid in stray])
    wanted = config.enabled if config.enabled is not None else list(by_id)
    missing = [rid for rid in wanted if rid not in by_id]
    if missing:
        raise InputError(config.user_file, [Problem(config.field("enabled"), unknown(rid, f"unknown rubric {rid!r}; available: {available}"))
                                            for rid in missing])
    clashing = sorted(rid for rid in wanted if rid in dupes)
    if clashing:
        raise RubricLoadError("; ".join(duplicate_message(rid, dupes[rid]) for rid in clashing))
    order = {rid: i for i, rid in enumerate(config.weights)}
    selected = [by_id[rid] for rid in sorted(wanted, key=lambda r: (order.get(r, len(order)), r))]
    check_against_rubrics(config, [item.rubric for item in items if item.rubric is not None], selected)
    return selected


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
            key = config.field(".".join(map(str, (f"rubrics.{rubric.id}", *e["loc"]))))  # a model-level check has no loc
            problems.append(Problem(key, e["msg"] if e["type"] != "extra_forbidden" else f"{rubric.id} has no parameter {e['loc'][-1]!r}"))
        raise InputError(config.user_file, problems) from None
