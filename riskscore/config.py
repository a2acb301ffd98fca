"""Configuration: engine settings, rubric weights and each rubric's parameters.

Layers, later wins: the packaged ``defaults.toml`` (the methodology's starting values),
then the file given with ``--config``. A rubric's parameters are validated by that rubric's
own parameter model, so a misspelt key is an error naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskscore.errors import InputError, Problem


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    missing_data: Literal["reallocate", "neutral"]
    neutral_score: float = Field(ge=0, le=100)
    red_flag_floor: float = Field(ge=0, le=100)
    red_flag_floors: dict[str, float] = Field(default_factory=dict)


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    methodology_version: str | None = None
    engine: dict[str, Any] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    enabled: list[str] | None = None
    rubrics: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    methodology_version: str
    engine: EngineSettings
    weights: dict[str, float]
    enabled: list[str] | None
    rubric_params: dict[str, dict[str, Any]]
    files: tuple[str, ...] = field(default=())

    def weight_for(self, rubric_id: str, default: float) -> float:
        return self.weights.get(rubric_id, default)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "red_flag_floors":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        text = (Path(__file__).parent / "defaults.toml").read_text(encoding="utf-8")
        name = "riskscore/defaults.toml"
    else:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(name, [Problem("", "no such file")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(name, [Problem("", f"cannot read: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(name, [Problem("", f"not valid TOML: {exc}")]) from None
    try:
        _FileModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(name, [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    return name, data


def load_config(path: str | Path | None = None) -> Config:
    """The packaged defaults, overlaid with the file at ``path`` when given."""
    names = []
    name, data = _read(None)
    names.append(name)
    if path is not None:
        name, user = _read(Path(path))
        names.append(name)
        data = _merge(data, user)
    try:
        engine = EngineSettings.model_validate(data.get("engine", {}))
    except ValidationError as exc:
        raise InputError(names[-1], [Problem("engine." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    return Config(
        methodology_version=data.get("methodology_version", "unversioned"),
        engine=engine,
        weights=dict(data.get("weights", {})),
        enabled=data.get("enabled"),
        rubric_params=data.get("rubrics", {}),
        files=tuple(names),
    )
