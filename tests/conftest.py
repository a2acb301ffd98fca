"""Shared helper fixtures. Keep this small: only what several test modules need."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from riskscore.config import Config, load_config

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


@pytest.fixture(scope="session")
def default_config() -> Config:
    """The packaged defaults (``riskscore/defaults.toml``)."""
    return load_config(None)
