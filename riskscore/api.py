"""The Python API: load, score, render and batch, for tools that call riskscore in-process.

Every function takes plain paths and names and returns plain objects; invalid input raises
:class:`riskscore.errors.InputError` (``.file`` and ``.problems``, each with ``field``,
``message`` and ``line``). Examples (they run as tests, see tests/test_api.py)::

    >>> from riskscore import api
    >>> profile = api.load("companies/wedoctor.yaml")
    >>> result = api.score(profile)
    >>> result.adjusted_band, round(result.adjusted_score)
    ('Severe', 81)
    >>> [r.id for r in result.rubrics if r.status == "scored"][:2]
    ['customer_concentration', 'margin']
    >>> markdown = api.render(profile, "md")
    >>> markdown.splitlines()[0]
    '# IPO listing-risk memo: WeDoctor Holdings Limited (微医控股有限公司)'
    >>> import json
    >>> json.loads(api.render(profile, "json"))["profile_id"]
    'wedoctor'

Configuration is the same as the CLI's: ``config`` is a path to a TOML file (or an already
loaded :class:`riskscore.scoring.config.Config`); without one, the packaged defaults apply (no file
discovery, so library calls do not depend on the working directory)::

    >>> api.score(profile, rubric_set="financial").rubrics[-1].id
    'redemption_overhang'

A memo rendered here is the memo ``riskscore memo`` writes: the configuration's ``[memo]``
settings (``peers``, ``precedents``, ``calibration``) apply. For a profile given as an object
rather than a path, ids and ``tag:NAME`` peer sets are looked for in the working directory.
Each call goes through :class:`riskscore.pipeline.Pipeline`; build one yourself to load the
configuration and rubrics once for many profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from riskscore.batch import BatchReport, Outcome
    from riskscore.pipeline import Pipeline
    from riskscore.profile.model import Profile
    from riskscore.scoring.config import Config
    from riskscore.scoring.engine import Assessment

__all__ = ["load", "score", "render", "batch", "configure"]


def configure(config: str | Path | Config | None = None, rubric_set: str | None = None, rubrics_dirs: Iterable[str | Path] = ()) -> Config:
    """A :class:`Config`: the packaged defaults overlaid with ``config`` (a TOML path) and the choices given."""
    from riskscore.scoring.config import Config, load_config

    if isinstance(config, Config):
        return config
    return load_config(config, rubric_set=rubric_set, rubrics_dirs=tuple(rubrics_dirs))


def load(path: str | Path, max_bytes: int | None = None) -> Profile:
    """Read and validate a profile file."""
    from riskscore.profile.load import load_profile

    return load_profile(path, max_bytes=max_bytes)


def _pipeline(config: str | Path | Config | None, rubric_set: str | None, rubrics_dirs: Iterable[str | Path]) -> Pipeline:
    from riskscore.pipeline import Pipeline

    return Pipeline.open(config, rubric_set=rubric_set, rubrics_dirs=rubrics_dirs)  # a Config, a TOML path or the defaults, as configure()


def _profile(profile: Profile | str | Path) -> tuple[Profile, Path | None]:
    from riskscore.profile.model import Profile

    return (profile, None) if isinstance(profile, Profile) else (load(profile), Path(profile))


def score(profile: Profile | str | Path, config: str | Path | Config | None = None, rubric_set: str | None = None,
          rubrics_dirs: Iterable[str | Path] = ()) -> Assessment:
    """Score a profile (object or path); returns the :class:`~riskscore.scoring.engine.Assessment`."""
    pipeline = _pipeline(config, rubric_set, rubrics_dirs)
    return pipeline.assess(_profile(profile)[0])


def render(profile: Profile | str | Path, fmt: Literal["md", "html", "json"] = "md", config: str | Path | Config | None = None,
           rubric_set: str | None = None, rubrics_dirs: Iterable[str | Path] = ()) -> str:
    """The memo as Markdown or HTML, or the assessment as JSON (what ``riskscore schema result`` describes)."""
    pipeline = _pipeline(config, rubric_set, rubrics_dirs)
    prof, source = _profile(profile)
    return pipeline.render(prof, pipeline.assess(prof), [fmt], source=source)[fmt]


def batch(inputs: Iterable[str | Path], out: str | Path, formats: Iterable[str] = ("md", "html", "json"), workers: int = 1,
          config: str | Path | None = None, rubric_set: str | None = None, rubrics_dirs: Iterable[str | Path] = (),
          summary_formats: Iterable[str] = (), progress: Callable[[int, int, Outcome], None] | None = None,
          max_bytes: int | None = None) -> BatchReport:
    """Run a batch like ``riskscore batch``; returns the report (``.outcomes``, ``.failed``, ``.exit_code``).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     report = api.batch(["companies/"], out, formats=["json"])
    ...     [o.status for o in report.outcomes if o.profile_id == "wedoctor"], report.exit_code
    (['ok'], 0)
    """
    from riskscore.batch import BatchSettings, run_batch

    settings = BatchSettings(out=Path(out), formats=tuple(formats), config_path=str(config) if config else None,
                             rubric_set=rubric_set, rubrics_dirs=tuple(str(d) for d in rubrics_dirs), discover_config=False, max_bytes=max_bytes)
    return run_batch([str(i) for i in inputs], settings, workers, summary_formats, progress)
