"""``riskscore config show``: the effective configuration, each value with its origin."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from riskscore.scoring.config import Config


def effective(config: Config, loaded: Sequence[Any] | None = None) -> list[tuple[str, Any, str]]:
    """``(dotted key, value, origin)`` for every setting that affects a run, in TOML order.

    ``loaded`` is the result of :func:`riskscore.scoring.registry.discover`, when the caller has it already.
    """
    from riskscore.scoring import registry

    loaded = registry.discover(config.rubrics_dirs) if loaded is None else loaded
    rubrics = registry.select(config, loaded)
    origin_of = {item.name: item.origin for item in loaded if item.ok}
    default = "default"

    def origin(key: str, fallback: str = default) -> str:
        return config.origin(key) or fallback

    entries: list[tuple[str, Any, str]] = [("methodology_version", config.methodology_version, origin("methodology_version"))]
    if config.rubric_set:
        entries.append(("rubric_set", config.rubric_set, origin("rubric_set")))
    if config.rubrics_dirs:
        entries.append(("rubrics_dirs", [str(d) for d in config.rubrics_dirs], origin("rubrics_dirs")))
    entries.append(("enabled", [r.id for r in rubrics], origin("enabled", "default (every rubric found)")))
    for table, settings in (("engine", config.engine), ("memo", config.memo), ("calibration", config.calibration), ("limits", config.limits)):
        for key, value in settings.model_dump(mode="json").items():
            entries.append((f"{table}.{key}", value, origin(f"{table}.{key}")))
    for rubric in rubrics:
        key = f"weights.{rubric.id}"
        entries.append((key, config.weight_for(rubric.id, rubric.default_weight), origin(key, f"rubric default ({origin_of[rubric.id]})")))
    for rubric in rubrics:
        for name, value in param_values(registry.params_for(rubric, config)).items():
            key = f"rubrics.{rubric.id}.{name}"
            entries.append((key, value, origin(key, f"rubric default ({origin_of[rubric.id]})")))
    return entries


def param_values(params: Any) -> dict[str, Any]:
    """A rubric's parameters as a configuration file writes them (grids as ``[[x, score], ...]``)."""
    out = {}
    for name, value in params.model_dump(mode="json").items():
        if isinstance(value, dict) and set(value) == {"points"}:
            value = value["points"]
        out[name] = value
    return out


def toml_value(value: Any) -> str:
    """A value as TOML writes it (grids and inline tables included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '""  # not set'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def as_toml(entries: list[tuple[str, Any, str]]) -> str:
    """TOML a person can read and copy into riskscore.toml, the origin as a comment."""
    lines = ["# Effective riskscore configuration; each value's origin is in its comment."]
    table = None
    for key, value, origin in entries:
        head, _, name = key.rpartition(".")
        if head != table:
            lines.append("")
            if head:
                lines.append(f"[{head}]")
            table = head
        if value is None:  # TOML has no null: show the key commented out, so the output reads back as the same configuration
            lines.append(f"# {name} =".ljust(60) + f"  # not set; {origin}")
        else:
            lines.append(f"{name} = {toml_value(value)}".ljust(60) + f"  # {origin}")
    return "\n".join(lines)
