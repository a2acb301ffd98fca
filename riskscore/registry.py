"""Finding rubrics: every rubric, built-in or third-party, is an entry point in ``riskscore.rubrics``.

Each entry point is loaded on its own: one that fails to import or breaks the contract is
recorded with the reason and its origin, and the others still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from riskscore.config import Config
from riskscore.errors import InputError, Problem, RubricLoadError
from riskscore.rubric import CONTRACT_VERSION, Rubric, RubricParams

GROUP = "riskscore.rubrics"
_REQUIRED = ("id", "title", "version", "default_weight")


@dataclass(frozen=True)
class LoadedRubric:
    rubric: type[Rubric] | None
    name: str
    origin: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.rubric is not None


def check_rubric_class(cls: Any) -> type[Rubric]:
    """Raise RubricLoadError unless ``cls`` honours the rubric contract's metadata."""
    if not (isinstance(cls, type) and issubclass(cls, Rubric)):
        raise RubricLoadError(f"{cls!r} is not a subclass of riskscore.rubric.Rubric")
    missing = [name for name in _REQUIRED if not hasattr(cls, name)]
    if missing:
        raise RubricLoadError(f"missing metadata: {', '.join(missing)}")
    if getattr(cls, "contract_version", None) != CONTRACT_VERSION:
        raise RubricLoadError(
            f"built for rubric contract {getattr(cls, 'contract_version', '?')}; this riskscore supports {CONTRACT_VERSION}"
        )
    if not cls.doc():
        raise RubricLoadError("has no docstring; the docstring documents the rubric's method")
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, RubricParams)):
        raise RubricLoadError("Params must subclass riskscore.rubric.RubricParams")
    return cls


def discover() -> list[LoadedRubric]:
    """Load every entry point of the group, each in isolation."""
    found = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        origin = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
        try:
            cls = check_rubric_class(ep.load())
        except Exception as exc:  # a broken plugin must not take the others down
            found.append(LoadedRubric(None, ep.name, origin, f"{type(exc).__name__}: {exc}"))
            continue
        found.append(LoadedRubric(cls, cls.id, origin))
    return found


def select(config: Config, loaded: list[LoadedRubric] | None = None) -> list[type[Rubric]]:
    """The enabled rubrics, in configuration order (``[weights]``), then by id."""
    loaded = discover() if loaded is None else loaded
    by_id: dict[str, LoadedRubric] = {}
    for item in loaded:
        if not item.ok:
            continue
        if item.name in by_id:
            raise RubricLoadError(f"two rubrics share the id {item.name!r}: {by_id[item.name].origin} and {item.origin}")
        by_id[item.name] = item
    stray = [rid for rid in config.weights if rid not in by_id]
    if stray:
        raise InputError(config.files[-1], [Problem(f"weights.{rid}", f"no rubric has the id {rid!r}; available: {', '.join(sorted(by_id))}") for rid in stray])
    wanted = config.enabled if config.enabled is not None else list(by_id)
    unknown = [rid for rid in wanted if rid not in by_id]
    if unknown:
        raise InputError(config.files[-1], [Problem("enabled", f"unknown rubric {rid!r}; available: {', '.join(sorted(by_id))}") for rid in unknown])
    order = {rid: i for i, rid in enumerate(config.weights)}
    return [by_id[rid].rubric for rid in sorted(wanted, key=lambda r: (order.get(r, len(order)), r))]  # type: ignore[misc]


def params_for(rubric: type[Rubric], config: Config) -> RubricParams:
    """The rubric's parameters from configuration, validated by its own parameter model."""
    raw = config.rubric_params.get(rubric.id, {})
    try:
        return rubric.Params.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            config.files[-1],
            [Problem(f"rubrics.{rubric.id}." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()],
        ) from None
