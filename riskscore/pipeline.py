"""One run of riskscore, assembled in one place: every entry point (the CLI commands, the Python
API, batch runs, trend and calibration) goes through a :class:`Pipeline`.

    config → discover → select → load → assess → memo → render → write

* :meth:`Pipeline.open` loads the configuration and discovers and selects the rubrics, once.
  Plugins that failed to load are kept as a value, :attr:`Pipeline.load_failures`, for the
  caller to print or record; the others still run.
* :meth:`Pipeline.load` and :meth:`Pipeline.assess` read and score one profile.
* :meth:`Pipeline.memo` builds the memo model with the configuration's ``[memo]`` settings
  (peer set, number of precedents, calibration file), which command-line choices override
  (:meth:`Pipeline.memo_options`); :meth:`Pipeline.trend` does the same for the trend memo.
* :meth:`Pipeline.render` turns an assessment into documents (``md``, ``html``, ``json``),
  everything rendered before anything is written; :func:`riskscore.io.write_set` writes a
  set of documents all or nothing.

Heavy modules (Jinja2, the charts, pandas, scikit-learn) are imported by the steps that need
them, so a pipeline that only scores stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from riskscore.scoring import registry
from riskscore.scoring.config import Config, load_config

if TYPE_CHECKING:
    from riskscore.analysis.peers import Peer
    from riskscore.analysis.trend import Trend
    from riskscore.profile.model import Profile
    from riskscore.report.i18n import Translator
    from riskscore.report.memo import Memo
    from riskscore.scoring.contract import Rubric
    from riskscore.scoring.engine import Assessment

MemoFormat = Literal["md", "html"]
MEMO_FORMATS: tuple[MemoFormat, ...] = ("md", "html")
DOCUMENT_FORMATS = (*MEMO_FORMATS, "json")


@dataclass(frozen=True)
class MemoOptions:
    """What a memo adds beyond the assessment: the configuration's ``[memo]`` table, overridable per run."""

    peers: str | None = None         # ids, a directory, or tag:NAME
    precedents: int = 3
    calibration: str | None = None   # a file written by `riskscore calibrate`
    sensitivity: bool = False
    paper: str = "a4"                # the page the HTML memo prints on: "a4" or "letter"
    lang: str = "en"                 # en or zh: the language of the memo (the model is the same)

    @property
    def suffix(self) -> str:
        """What a memo's file name carries for its language: nothing for English, ``.zh`` for Chinese."""
        return "" if self.lang == "en" else f".{self.lang}"


@dataclass
class Pipeline:
    """Configuration and rubrics loaded once, and the steps of a run that use them."""

    config: Config
    rubrics: list[type[Rubric]]
    load_failures: list[registry.LoadedRubric] = field(default_factory=list)
    _peers: dict[str, list[Peer]] = field(default_factory=dict, repr=False)
    _calibrations: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, config: str | Path | Config | None = None, *, rubric_set: str | None = None,
             rubrics_dirs: Iterable[str | Path] = (), discover: bool = False,
             on_load_failure: Callable[[registry.LoadedRubric], None] | None = None) -> Pipeline:
        """Load the configuration (a TOML path, an already loaded :class:`Config`, or the packaged
        defaults; ``discover=True`` looks for ``riskscore.toml`` as the CLI does) and select the rubrics.

        Plugins that failed to load end up in :attr:`load_failures`; ``on_load_failure`` is also
        called with each one as soon as it is known, before the rubrics are selected, so that a
        message about it comes before any selection error it causes. Raises
        :class:`~riskscore.errors.InputError` for bad configuration and
        :class:`~riskscore.errors.RubricLoadError` when two rubrics share an id.
        """
        if isinstance(config, Config):
            cfg = config
        else:
            cfg = load_config(config, rubric_set=rubric_set, rubrics_dirs=tuple(rubrics_dirs), discover=discover)
        loaded = registry.discover(cfg.rubrics_dirs)
        failures = [item for item in loaded if not item.ok]
        if on_load_failure is not None:
            for item in failures:
                on_load_failure(item)
        return cls(cfg, registry.select(cfg, loaded), failures)

    # ------------------------------------------------------------------ load and assess

    def load(self, path: str | Path, max_bytes: int | None = None) -> Profile:
        """Read and validate a profile, refusing files over ``limits.max_profile_bytes`` (or ``max_bytes``)."""
        from riskscore.profile.load import load_profile

        return load_profile(path, max_bytes=self.config.limits.max_profile_bytes if max_bytes is None else max_bytes)

    def assess(self, profile: Profile) -> Assessment:
        from riskscore.scoring.engine import assess

        return assess(profile, self.config, self.rubrics, plugin_failures=registry.load_failures(self.load_failures))

    # ------------------------------------------------------------------ memo settings

    def memo_options(self, *, peers: str | None = None, precedents: int | None = None, calibration: str | Path | None = None,
                     sensitivity: bool = False, paper: str | None = None, lang: str | None = None) -> MemoOptions:
        """The configuration's ``[memo]`` settings, with whatever the caller gives taking precedence."""
        memo = self.config.memo
        return MemoOptions(
            peers=peers or memo.peers,
            precedents=memo.precedents if precedents is None else precedents,
            calibration=str(calibration) if calibration else memo.calibration,
            sensitivity=sensitivity,
            paper=paper or memo.paper,
            lang=lang or memo.lang,
        )

    def translator(self, lang: str, profile: Profile | None = None, source: Path | None = None) -> Translator:
        """Translations into ``lang``: riskscore's catalogue, each selected rubric's, and the profile's own texts
        from its translation file (``<profile>.<lang>.po`` beside ``source``, when there is one). English loads nothing."""
        from riskscore.report.i18n import Translator, catalogue

        if lang == "en":
            return Translator()
        texts: dict[str, str] = {}
        if source is not None and profile is not None:
            from riskscore.profile.load import profile_texts

            sidecar = Path(source).with_suffix(f".{lang}.po")
            if sidecar.is_file():
                texts = profile_texts(profile, sidecar)
        return Translator(lang, catalogue(lang, self.rubrics), texts)

    def peers(self, spec: str, profile: Profile, source: Path | None = None) -> list[Peer]:
        """The peers a peer set names, scored (each peer file is loaded and scored once per pipeline).

        Ids and ``tag:NAME`` are looked for next to ``source``, the company's profile file; for a
        profile given without one, in the working directory.
        """
        from riskscore.analysis import peers as pr

        company_path = source if source is not None else Path.cwd() / f"{profile.id}.yaml"
        found: list[Peer] = []
        for path in pr.resolve(spec, company_path, profile.id):
            key = str(path.resolve())
            if key not in self._peers:
                self._peers[key] = pr.load([path], self.config, self.rubrics, company_id="")
            found += [p for p in self._peers[key] if p.profile.id != profile.id]
        return found

    def calibration(self, path: str | Path) -> dict[str, Any]:
        """A calibration file, read once per pipeline."""
        key = str(path)
        if key not in self._calibrations:
            from riskscore.analysis.calibration import load_calibration

            self._calibrations[key] = load_calibration(path)
        return self._calibrations[key]

    # ------------------------------------------------------------------ documents

    def memo(self, profile: Profile, assessment: Assessment, options: MemoOptions | None = None,
             source: Path | None = None) -> Memo:
        """The memo model, with the ``[memo]`` settings (or ``options``) applied."""
        from riskscore.report.memo import build_memo

        opts = self.memo_options() if options is None else options
        peer_list = self.peers(opts.peers, profile, source) if opts.peers else None
        fitted = self.calibration(opts.calibration) if opts.calibration else None
        return build_memo(profile, assessment, self.config, self.rubrics, sensitivity=opts.sensitivity, peers=peer_list,
                          peer_set=opts.peers, precedents=opts.precedents, calibration=fitted, paper=opts.paper)

    def render(self, profile: Profile, assessment: Assessment, formats: Iterable[str], options: MemoOptions | None = None,
               source: Path | None = None) -> dict[str, str]:
        """Every requested document, rendered before any is written: ``{format: text}``.

        ``md`` and ``html`` are the memo (built once for both); ``json`` is the assessment, as
        ``riskscore schema result`` describes it.
        """
        wanted = list(dict.fromkeys(formats))
        unknown = [f for f in wanted if f not in DOCUMENT_FORMATS]
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r}; choose from {', '.join(DOCUMENT_FORMATS)}")
        opts = self.memo_options() if options is None else options
        documents: dict[str, str] = {}
        if "md" in wanted or "html" in wanted:
            from riskscore.report import render as rendering

            model = self.memo(profile, assessment, opts, source)
            tr = self.translator(opts.lang, profile, source)
            for fmt in MEMO_FORMATS:
                if fmt in wanted:
                    documents[fmt] = rendering.render(model, fmt, tr)
        if "json" in wanted:
            documents["json"] = assessment.model_dump_json(indent=2) + "\n"
        return {fmt: documents[fmt] for fmt in wanted}

    def trend(self, profile: Profile, options: MemoOptions | None = None, source: Path | None = None) -> Trend:
        """The company scored at each filing, with the ``[memo]`` peer set and calibration applied."""
        from riskscore.analysis.trend import follow

        opts = self.memo_options() if options is None else options
        peer_list = self.peers(opts.peers, profile, source) if opts.peers else None
        fitted = self.calibration(opts.calibration) if opts.calibration else None
        return follow(profile, self.config, self.rubrics, peers=peer_list, peer_set=opts.peers, calibration=fitted)

    def render_trend(self, trend: Trend, formats: Iterable[MemoFormat], lang: str | None = None, profile: Profile | None = None,
                     source: Path | None = None) -> dict[str, str]:
        """The trend memo in each format (``md``, ``html``), all rendered before any is written."""
        from riskscore.report import render as rendering

        tr = self.translator(lang or self.config.memo.lang, profile, source)
        return {fmt: rendering.render_trend(trend, fmt, self.config.memo.paper, tr) for fmt in dict.fromkeys(formats)}
