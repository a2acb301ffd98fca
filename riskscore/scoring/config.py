"""Configuration: engine settings, rubric weights, enabled rubrics and each rubric's parameters.

Layers, later wins, each value remembering where it came from (``riskscore config show``):

1. **default** — the packaged ``defaults.toml`` (the methodology's starting values); for a
   plugin's parameters, the defaults of its own parameter model;
2. **file** — ``--config FILE``, else the first ``riskscore.toml`` or ``pyproject.toml`` with
   a ``[tool.riskscore]`` table found from the working directory upwards;
3. **command line** — ``--rubric-set NAME`` and ``--rubrics-dir DIR``.

A named rubric set (``[rubric_sets.NAME]``: ``enabled``, ``weights``, ``rubrics``) is applied
over the layers when selected with ``--rubric-set`` or ``rubric_set = "NAME"`` in the file.
A rubric's parameters are validated by that rubric's own parameter model (see
:func:`riskscore.scoring.registry.params_for`), so a misspelt key is an error naming the file and
the key, never a silent default.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskscore.errors import InputError, Problem
from riskscore.inputfile import read_text_limited

DEFAULTS = Path(__file__).parent.parent / "defaults.toml"
DEFAULTS_LABEL = "riskscore/defaults.toml"
MAX_CONFIG_BYTES = 1024 * 1024
MAX_WEIGHT = 1_000_000
"""Largest weight accepted (configuration or a plugin's ``default_weight``): far beyond any
sensible ratio, small enough that the weights' sum cannot overflow."""

Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, description="A rubric's weight: finite, 0 to 1,000,000.")]
Score = Annotated[float, Field(ge=0, le=100)]
_Settings = TypeVar("_Settings", bound=BaseModel)


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    missing_data: Literal["reallocate", "neutral"]
    neutral_score: Score
    red_flag_floor: Score
    red_flag_floors: dict[str, Score] = Field(default_factory=dict, description="Per red-flag id; ids are checked against the rubrics' declared flags.")
    rubric_timeout_seconds: float | None = Field(default=None, gt=0, le=86400, description="A rubric running longer is reported as not scored.")
    insufficient_coverage: float = Field(default=0.5, ge=0, le=1, allow_inf_nan=False,
                                         description="Below this share of the weight backed by evidence (0-1) an assessment is 'insufficient'.")
    provisional_coverage: float = Field(default=0.8, ge=0, le=1, allow_inf_nan=False,
                                        description="Below this share (0-1) an assessment is at best 'provisional'.")
    provisional_max_bands: int = Field(default=1, ge=1, le=5,
                                       description="A score range spanning more bands than this makes an assessment at best 'provisional'.")


class LimitsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_profile_bytes: int = Field(default=2 * 1024 * 1024, gt=0, description="Larger profile files are refused unread.")


class MemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    peers: str | None = Field(default=None, description="Peer set for every memo: ids, a directory, or tag:NAME.")
    precedents: int = Field(default=3, ge=0, le=20, description="How many closest precedents to list.")
    calibration: str | None = Field(default=None, description="Calibration file (riskscore calibrate); the memo then shows a probability.")
    precedent_min_rubrics: int = Field(default=3, ge=1, le=50, description="A peer is a precedent only when it shares this many scored rubrics with the company.")
    percentile_min_peers: int = Field(default=5, ge=1, le=1000, description="Fewer peers with a figure than this: the memo lists their values instead of a percentile.")
    paper: Literal["a4", "letter"] = Field(default="a4", description="Paper size the HTML memo prints on: a4 or letter.")
    lang: Literal["en", "zh"] = Field(default="en", description="Language memos are written in: en (English) or zh (Simplified Chinese); --lang overrides.")


class CalibrationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    relist_window_months: int = Field(default=12, ge=0, le=240, description="A lapsed, withdrawn or rejected filing followed by a listing "
                                      "within this many months is not a failure; 0 makes every such filing a failure.")
    prior: Literal["auto", "market", "history"] = Field(default="auto", description="Base rate the model's intercept is set to: the "
                                                        "market's, the history's, or 'auto' (the market's when it lies outside the history's 95% interval).")
    market_failure_rate: float = Field(default=0.708, gt=0, lt=1, allow_inf_nan=False, description="Share of filings in the market that do not list on that filing (0-1).")
    market_failure_rate_source: str = Field(default="", description="Where market_failure_rate comes from.")
    skill_margin_sd: float = Field(default=1.0, ge=0, le=10, allow_inf_nan=False, description="Skill is demonstrated only when the skill score exceeds "
                                   "zero by this many standard deviations of its spread.")


class _RubricSet(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    description: str | None = None
    enabled: list[str] | None = Field(default=None, min_length=1)
    weights: dict[str, Weight] = Field(default_factory=dict)
    rubrics: dict[str, dict[str, Any]] = Field(default_factory=dict)


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    methodology_version: str | None = None
    engine: dict[str, Any] = Field(default_factory=dict)
    limits: dict[str, Any] = Field(default_factory=dict)
    memo: dict[str, Any] = Field(default_factory=dict)
    calibration: dict[str, Any] = Field(default_factory=dict)
    weights: dict[str, Weight] = Field(default_factory=dict)
    enabled: list[str] | None = Field(default=None, min_length=1)
    rubric_set: str | None = None
    rubric_sets: dict[str, _RubricSet] = Field(default_factory=dict)
    rubrics_dirs: list[str] = Field(default_factory=list)
    rubrics: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    methodology_version: str
    engine: EngineSettings
    weights: dict[str, float]
    enabled: list[str] | None
    rubric_params: dict[str, dict[str, Any]]
    files: tuple[str, ...] = field(default=())
    rubrics_dirs: tuple[Path, ...] = field(default=())
    rubric_set: str | None = None
    rubric_sets: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    key_prefix: str = ""
    memo: MemoSettings = field(default_factory=MemoSettings)
    calibration: CalibrationSettings = field(default_factory=CalibrationSettings)
    params_cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Validated rubric parameters, filled by riskscore.scoring.registry.params_for (validated once per run)."""

    def weight_for(self, rubric_id: str, default: float) -> float:
        return self.weights.get(rubric_id, default)

    def origin(self, key: str) -> str:
        """Where the value at dotted ``key`` came from: 'default (…)', 'file (…)' or 'command line (…)'.

        For a table (``engine.red_flag_floors``), the origin of the last layer that set any of its keys.
        """
        found = [origin for k, origin in self.origins.items() if k == key or k.startswith(key + ".")]
        layered = [o for o in found if not o.startswith("default")]
        return (layered or found or [""])[-1]

    def field(self, key: str) -> str:
        """``key`` as the user wrote it: prefixed with ``tool.riskscore.`` in a pyproject.toml."""
        return f"{self.key_prefix}{key}"

    @property
    def user_file(self) -> str:
        """The file to name in an error about a user-set value (the packaged defaults if none)."""
        return self.files[-1]


def _leaves(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_leaves(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any], origins: dict[str, str], label: str, prefix: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key == "rubric_sets" and not prefix and isinstance(value, dict):
            out[key] = {**out.get(key, {}), **value}  # a file's set replaces a built-in set of that name only
            for name in value:
                origins[f"rubric_sets.{name}"] = label
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origins, label, dotted + ".")
        else:
            out[key] = value
            for leaf in _leaves({key: value}, prefix) if isinstance(value, dict) else [dotted]:
                origins[leaf] = label
    return out


def _parse(text: str, name: str, table: str | None = None) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(name, [Problem("", f"not valid TOML: {exc}")]) from None
    if table is not None:
        data = data.get("tool", {}).get(table, {})
    try:
        _FileModel.model_validate(data)
    except ValidationError as exc:
        prefix = f"tool.{table}." if table else ""
        raise InputError(name, [Problem(prefix + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    return data


@functools.cache
def _packaged() -> dict[str, Any]:
    return _parse(DEFAULTS.read_text(encoding="utf-8"), DEFAULTS_LABEL)


def packaged_defaults() -> dict[str, Any]:
    """The packaged ``defaults.toml``, parsed and validated once per process; a copy, the caller's to change.

    The configuration starts from it and rubric discovery reads the built-ins' parameter
    defaults from it: one parse serves both.
    """
    return copy.deepcopy(_packaged())


def _read_file(path: Path) -> tuple[str, dict[str, Any]]:
    name = str(path)
    text = read_text_limited(path, MAX_CONFIG_BYTES, "configuration")
    table = "riskscore" if path.name == "pyproject.toml" else None
    return name, _parse(text, name, table)


def find_config_file(start: Path | None = None) -> Path | None:
    """The first ``riskscore.toml``, or ``pyproject.toml`` with ``[tool.riskscore]``, from ``start`` upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "riskscore.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "riskscore" in tomllib.loads(read_text_limited(pyproject, MAX_CONFIG_BYTES, "configuration")).get("tool", {}):
                    return pyproject
            except (InputError, tomllib.TOMLDecodeError):
                pass
    return None


def load_config(
    path: str | Path | None = None,
    *,
    rubric_set: str | None = None,
    rubrics_dirs: Sequence[str | Path] = (),
    discover: bool = False,
) -> Config:
    """The packaged defaults, overlaid with a configuration file and command-line choices.

    ``path`` names the file; with ``discover=True`` and no ``path``, :func:`find_config_file`
    looks for one. ``rubric_set`` and ``rubrics_dirs`` are the command line's.
    """
    origins: dict[str, str] = {}
    default_label = f"default ({DEFAULTS_LABEL})"
    data = _merge({}, packaged_defaults(), origins, default_label)
    names = [DEFAULTS_LABEL]
    file_dir: Path | None = None
    key_prefix = ""
    if path is None and discover:
        path = find_config_file()
    if path is not None:
        name, user = _read_file(Path(path))
        names.append(name)
        file_dir = Path(path).parent
        key_prefix = "tool.riskscore." if Path(path).name == "pyproject.toml" else ""
        data = _merge(data, user, origins, f"file ({name})")

    dirs = [((file_dir or Path.cwd()) / d) for d in data.get("rubrics_dirs", [])]
    if rubrics_dirs:
        dirs += [Path(d) for d in rubrics_dirs]
        origins["rubrics_dirs"] = "command line (--rubrics-dir)" if len(dirs) == len(rubrics_dirs) else "file + command line (--rubrics-dir)"
    unique: dict[Path, Path] = {}
    for d in dirs:  # one directory named twice is loaded once
        unique.setdefault(d.resolve(), d)
    dirs = list(unique.values())

    sets = data.get("rubric_sets", {})
    chosen = rubric_set or data.get("rubric_set")
    if rubric_set:
        origins["rubric_set"] = "command line (--rubric-set)"
    if chosen:
        if chosen not in sets:
            where = names[-1] if not rubric_set else "--rubric-set"
            raise InputError(where, [Problem(key_prefix + "rubric_set", f"no rubric set named {chosen!r}; defined: {', '.join(sorted(sets)) or 'none'}")])
        label = f"{origins.get('rubric_set', 'file')} → rubric set {chosen!r}"
        chosen_set = {k: v for k, v in sets[chosen].items() if k in ("enabled", "weights", "rubrics")}
        data = _merge(data, chosen_set, origins, label)

    def settings(model: type[_Settings], table: str, values: dict[str, Any]) -> _Settings:
        """One settings table validated by its model; an error names the file and the key."""
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise InputError(names[-1], [Problem(f"{key_prefix}{table}." + ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None

    engine = settings(EngineSettings, "engine", data.get("engine", {}))
    if engine.insufficient_coverage > engine.provisional_coverage:
        raise InputError(names[-1], [Problem(key_prefix + "engine.insufficient_coverage", f"{engine.insufficient_coverage:g} exceeds "
                                             f"engine.provisional_coverage ({engine.provisional_coverage:g}); the insufficient threshold is the lower one")])
    memo_data = dict(data.get("memo", {}))
    for key in ("calibration", "peers"):  # paths in a file are relative to that file
        value = memo_data.get(key)
        if value and file_dir is not None and not str(value).startswith("tag:") and "," not in str(value) and not Path(value).is_absolute():
            candidate = file_dir / value
            if candidate.exists() or key == "calibration":
                memo_data[key] = str(candidate)
    memo = settings(MemoSettings, "memo", memo_data)
    limits = settings(LimitsSettings, "limits", data.get("limits", {}))
    calibration = settings(CalibrationSettings, "calibration", data.get("calibration", {}))
    return Config(
        methodology_version=data.get("methodology_version", "unversioned"),
        engine=engine,
        weights=dict(data.get("weights", {})),
        enabled=data.get("enabled"),
        rubric_params=data.get("rubrics", {}),
        files=tuple(names),
        rubrics_dirs=tuple(dirs),
        rubric_set=chosen,
        rubric_sets={name: (s.get("description") or "") for name, s in sorted(sets.items())},
        origins=origins,
        limits=limits,
        key_prefix=key_prefix,
        memo=memo,
        calibration=calibration,
    )


def check_against_rubrics(config: Config, available: list[Any], selected: list[Any]) -> None:
    """The checks that need the rubrics themselves; :class:`InputError` naming the key.

    Something to score with: at least one rubric enabled, and not every enabled rubric
    weighted 0. Every ``engine.red_flag_floors`` key is a red flag some available rubric
    declares (:func:`riskscore.scoring.contract.declares_red_flag`), so a misspelt id is an
    error, not a floor that silently never applies.
    """
    from riskscore.scoring.contract import declares_red_flag

    problems = []
    if not selected:
        problems.append(Problem(config.field("enabled"), "no rubric is enabled; there is nothing to score with"))
    elif not any(config.weight_for(r.id, r.default_weight) > 0 for r in selected):
        problems.append(Problem(config.field("weights"), f"every enabled rubric has weight 0 ({', '.join(r.id for r in selected)}); "
                                                         "at least one weight must be positive"))
    for flag in config.engine.red_flag_floors:
        if not any(declares_red_flag(r, flag) for r in available):
            known = sorted({f for r in available for f in (r.red_flag_ids if getattr(r, "red_flag_ids", None) is not None else (f"{r.id}_*",))})
            problems.append(Problem(config.field(f"engine.red_flag_floors.{flag}"),
                                    f"no rubric raises a red flag with the id {flag!r}; known: {', '.join(known)}"))
    if problems:
        raise InputError(config.user_file, problems)
