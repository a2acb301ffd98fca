"""The company profile: the model (:mod:`.model`), units and dates, loading from YAML, the path
grammar, evidence selection between disagreeing sources, point-in-time views and data-quality checks.

The model's public names are importable from here (``from riskscore.profile import Profile``);
they load on first use, so importing :mod:`riskscore.profile.units` alone stays cheap.
"""

from __future__ import annotations

from typing import Any

_MODEL_NAMES = frozenset(
    {
        "Profile", "Period", "Filing", "Identity", "Segment", "Customers", "Person", "GovernanceEvent",
        "CoreTechnology", "Technology", "Instrument", "CapitalStructure", "ListingOutcome", "CumulativeFigure",
        "Source", "MoneyFigure", "MoneyObservation", "PercentFigure", "PercentObservation", "Figure",
        "describe_loc", "SCHEMA_VERSION",
    }
)


def __getattr__(name: str) -> Any:
    if name in _MODEL_NAMES:
        from riskscore.profile import model

        return getattr(model, name)
    raise AttributeError(f"module 'riskscore.profile' has no attribute {name!r}")
