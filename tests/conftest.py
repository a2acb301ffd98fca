"""Shared helper fixtures. Keep this small: only what several test modules need."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from riskscore.profile.model import Profile
from riskscore.scoring.config import Config, load_config

BASE_PROFILE_PATH = Path(__file__).parent / "rubric_cases" / "_base.yaml"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture(scope="session")
def _base_profile_data() -> dict[str, Any]:
    return yaml.safe_load(BASE_PROFILE_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def make_profile_data(_base_profile_data: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """``make_profile_data(fragment)``: a fresh profile mapping, the fragment merged over ``rubric_cases/_base.yaml``.

    Mappings merge key by key; lists and scalars in the fragment replace the base's.
    """

    def make(fragment: dict[str, Any] | None = None) -> dict[str, Any]:
        return _deep_merge(_base_profile_data, fragment or {})

    return make


@pytest.fixture
def make_profile(make_profile_data: Callable[..., dict[str, Any]]) -> Callable[..., Profile]:
    """``make_profile(fragment)``: :func:`make_profile_data`'s mapping, validated as a :class:`Profile`."""

    def make(fragment: dict[str, Any] | None = None) -> Profile:
        return Profile.model_validate(make_profile_data(fragment))

    return make


@pytest.fixture(scope="session")
def default_config() -> Config:
    """The packaged defaults (``riskscore/defaults.toml``)."""
    return load_config(None)


@pytest.fixture(autouse=True)
def _only_builtin_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see riskscore's own rubrics only, whatever plugins the environment has installed.

    (A user who ran ``pip install ./examples/riskscore-going-concern`` must still get a green
    suite; the example is tested end to end in a subprocess of its own.)
    """
    import importlib.metadata

    real = importlib.metadata.entry_points

    def builtin_only(**params: Any):  # type: ignore[no-untyped-def]
        found = real(**params)
        if params.get("group") != "riskscore.rubrics":
            return found
        return importlib.metadata.EntryPoints(ep for ep in found if ep.dist is None or ep.dist.name == "riskscore")

    monkeypatch.setattr(importlib.metadata, "entry_points", builtin_only)
