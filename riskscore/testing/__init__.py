"""The contract kit: check a rubric against the rubric contract in one line from pytest.

    from riskscore.testing import check_rubric
    from my_plugin import CashRunway

    def test_contract():
        check_rubric(CashRunway)

:func:`check_rubric` runs the rubric on the sample profiles shipped here (a complete one and
an empty one) and on any profiles you pass, and raises :class:`ContractError` listing
*every* check that failed, each with what to change. The checks:

- metadata: ``id`` (lower-case slug), ``title``, ``version``, ``default_weight`` (a number
  >= 0), a supported ``contract_version`` (required: ``contract_version = 1``);
- docs: a docstring whose first paragraph describes the rubric and whose rest explains its
  method (shown by ``riskscore rubrics --detail`` and in the memo);
- parameters: ``Params`` subclasses ``RubricParams``, every field has a default, and it
  validates from the configuration;
- result: ``score`` returns a ``RubricResult`` that re-validates, with a score within 0–100
  (or ``None``) and the band the score implies; its evidence cites sources of the profile;
- purity: the same profile gives the same result twice, and the profile is not mutated;
- missing data: on a profile with no facts the rubric returns a result (no exception), and
  a ``None`` score comes with at least one data gap saying what is missing;
- languages: every text the memo prints from the result (narrative, metric label, unit,
  display and note, adjustments, evidence, red flags, data gaps, scenarios) renders in every
  memo language (English and Chinese) without an error, a translation using only its
  message's placeholders. A rubric that ships a catalogue for a language (``locale/zh.po``
  beside its module, or a ``messages`` attribute) must translate all of it: its title,
  description and method, every message id its results use, and return no plain-string
  sentence there (a plain string cannot be translated). A rubric that ships none renders in
  English inside a Chinese memo, which passes.
- catalogue up to date: each entry of a ``locale/<lang>.po`` beside the rubric's module
  records the English it was translated from (``#. en: "…"``), and that English is still
  the message's English in code; a stale entry names the id, the catalogue's file and line
  and both texts (``riskscore rubrics catalogue PATH --update`` records the English; see
  :mod:`riskscore.report.catalogues`). A ``messages`` attribute has nowhere to record it
  and is not checked.

When ``score`` raises, the failure names the exception and the line of the rubric's source
that raised it (``file:line``), plus the innermost frame when that lies outside the rubric.

For a plugin package, :func:`check_installed` checks what ``riskscore rubrics`` will see:
an installed entry point named after the rubric's id that loads the class.
"""

from __future__ import annotations

import copy
import re
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from riskscore.profile.model import Profile

HERE = Path(__file__).parent
SAMPLE_PROFILE = HERE / "sample_profile.yaml"
EMPTY_PROFILE = HERE / "empty_profile.yaml"


class ContractError(AssertionError):
    """A rubric that breaks the contract; the message lists every failed check."""


def sample_profiles() -> list[Profile]:
    from riskscore.profile.load import load_profile

    return [load_profile(SAMPLE_PROFILE), load_profile(EMPTY_PROFILE)]


def check_rubric(rubric: type, profiles: Iterable[Profile | str | Path] = (), config_path: str | Path | None = None) -> None:
    """Check ``rubric`` against the contract; raise :class:`ContractError` listing all failures."""
    failures = contract_failures(rubric, profiles, config_path)
    if failures:
        name = getattr(rubric, "__name__", repr(rubric))
        raise ContractError(f"{name} breaks the rubric contract:\n" + "\n".join(f"  - {f}" for f in failures))


def contract_failures(rubric: type, profiles: Iterable[Profile | str | Path] = (), config_path: str | Path | None = None) -> list[str]:
    """Every contract check ``rubric`` fails, as readable sentences (empty when it passes)."""
    from riskscore.errors import InputError, RubricLoadError
    from riskscore.profile.load import load_profile
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.contract import CONTRACT_VERSION, Rubric, RubricParams, RubricResult
    from riskscore.scoring.scale import band_for

    failures: list[str] = []
    if not (isinstance(rubric, type) and issubclass(rubric, Rubric)):
        return [f"{rubric!r} is not a subclass of riskscore.rubric.Rubric"]
    rid = getattr(rubric, "id", None)
    if not isinstance(rid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", rid):
        failures.append(f"id must be a lower-case slug such as 'cash_runway'; got {rid!r}")
    if not isinstance(getattr(rubric, "title", None), str) or not rubric.title.strip():
        failures.append("title must be a non-empty string")
    if not isinstance(getattr(rubric, "version", None), str) or not rubric.version.strip():
        failures.append("version must be a string such as '1.0'")
    weight = getattr(rubric, "default_weight", None)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        failures.append(f"default_weight must be a number >= 0; got {weight!r}")
    if not rubric.description():
        failures.append("the docstring must start with a one-paragraph description")
    elif not rubric.method():
        failures.append("the docstring must explain the method after its first paragraph (metrics, grids, red flags)")
    if not (isinstance(rubric.Params, type) and issubclass(rubric.Params, RubricParams)):
        failures.append("Params must be a subclass of riskscore.rubric.RubricParams")
        return failures
    if not hasattr(rubric, "contract_version"):
        failures.append(f"contract_version is missing: set contract_version = {CONTRACT_VERSION!r}, the rubric contract version the class was written for")
    else:
        problem = registry.contract_version_problem(rubric.contract_version)
        if problem:
            failures.append(problem)
    if not isinstance(rid, str):
        failures.append("without an id the rubric cannot be configured or scored; fix the metadata first")
        return failures
    try:
        registry.check_params(rubric)
    except RubricLoadError as exc:
        failures.append(str(exc))
        return failures
    try:
        params = registry.params_for(rubric, load_config(config_path))
    except InputError as exc:
        failures.append(f"Params does not validate from the configuration (give every parameter a default, or configure it): {exc}")
        return failures

    failures += catalogue_failures(rubric)
    checked = sample_profiles() + [p if isinstance(p, Profile) else load_profile(p) for p in profiles]
    for index, profile in enumerate(checked):
        label = "the empty sample profile" if index == 1 else f"profile {profile.id!r}"
        before = profile.model_dump_json()
        guard = copy.deepcopy(profile)
        try:
            first = rubric().score(guard, params)
            second = rubric().score(guard, params)
        except Exception as exc:  # the point is to report it
            failures.append(f"score raised {type(exc).__name__}: {exc} {raised_at(rubric, exc.__traceback__)}on {label}" + (" — handle missing data by returning RubricResult(score=None, data_gaps=[...])" if index == 1 else ""))
            continue
        if guard.model_dump_json() != before:
            failures.append(f"score mutated {label}; treat the profile as read-only")
        if not isinstance(first, RubricResult):
            failures.append(f"score returned {type(first).__name__} on {label}, not a RubricResult")
            continue
        try:
            RubricResult.model_validate(first.model_dump())
        except Exception as exc:  # report, then go on with the checks that still make sense
            failures.append(f"the result on {label} does not validate: {exc}")
        else:
            if first.score is None and not first.data_gaps:
                failures.append(f"a result without a score on {label} must list data gaps saying what is missing")
        if first.score is not None and first.band != band_for(first.score):
            failures.append(f"band {first.band!r} does not match score {first.score} on {label}")
        if not isinstance(second, RubricResult) or second.model_dump_json() != first.model_dump_json():
            failures.append(f"score is not deterministic on {label}: two runs gave different results")
        failures += language_failures(rubric, first, label)
        known = {s.id for s in profile.sources}
        cited = ({s for m in first.metrics for s in m.sources} | {s for e in first.evidence for s in e.sources}
                 | {s for f in first.red_flags for s in f.sources})
        if cited - known:
            failures.append(f"the result on {label} cites unknown source ids {sorted(cited - known)} (metrics, evidence or red flags)")
    return failures


_LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}


def visible_texts(result: object) -> list[tuple[str, object]]:
    """Every text of a ``RubricResult`` that the memo prints, with where it is (``metrics[0].label``)."""
    out: list[tuple[str, object]] = [("narrative", getattr(result, "narrative", ""))]
    fields = {"metrics": ("label", "unit", "display", "note"), "adjustments": ("label",), "evidence": ("statement",),
              "red_flags": ("title", "detail"), "data_gaps": ("reason",), "scenarios": ("label", "note")}
    for name, attrs in fields.items():
        for i, item in enumerate(getattr(result, name, []) or []):
            out += [(f"{name}[{i}].{attr}", getattr(item, attr)) for attr in attrs if getattr(item, attr, None)]
    return out


def language_failures(rubric: type, result: object, label: str = "the profile") -> list[str]:
    """Texts of ``result`` that do not render in every memo language, and, for a rubric that ships a
    catalogue, what it leaves untranslated (see the module's docstring)."""
    import string

    from riskscore.report.i18n import LANGS, Localizable, Translator, catalogue, rubric_catalogue

    failures: list[str] = []
    texts = visible_texts(result)
    rid = getattr(rubric, "id", "rubric")
    for lang in LANGS:
        name = _LANGUAGE_NAMES.get(lang, lang)
        try:
            own = rubric_catalogue(rubric, lang) if lang != "en" else {}
            tr = Translator(lang, catalogue(lang, [rubric]))
        except (OSError, ValueError) as exc:  # a catalogue that does not parse
            failures.append(f"the {name} catalogue does not load: {exc}")
            continue
        for msgid, translation in sorted(own.items()):
            try:
                list(string.Formatter().parse(translation))
            except ValueError as exc:
                failures.append(f"the {name} translation of {msgid!r} is not a valid message text ({exc}): {translation[:60]!r}")
        for where, text in texts:
            if isinstance(text, Localizable):
                try:
                    text.localize(tr)
                except Exception as exc:  # the point is to report it
                    failures.append(f"{where} on {label} does not render in {name} ({', '.join(sorted(set(text.ids()))) or 'no message id'}): "
                                    f"{type(exc).__name__}: {exc} — a translation may use only its message's placeholders")
            elif own and isinstance(text, str) and any(c.isalpha() for c in text):
                failures.append(f"{where} on {label} is a plain string, {str(text)[:60]!r}: a rubric that ships a {name} catalogue must "
                                f"return a Message (riskscore.rubric.Message) there, so that it can be translated")
        if own:
            wanted = {f"{rid}.{key}" for key in ("title", "description", "method")} | tr.missing
            missing = sorted(i for i in wanted if i not in tr.messages)
            if missing:
                failures.append(f"the {name} catalogue leaves untranslated on {label}: {', '.join(missing)}")
    return failures


def catalogue_failures(rubric: type) -> list[str]:
    """Entries of the rubric's own ``.po`` catalogues that no longer translate its English (or do not say which English they translate)."""
    from riskscore.report import catalogues
    from riskscore.report.i18n import LANGS, LOCALE, read_po

    module_file = getattr(sys.modules.get(rubric.__module__), "__file__", None)
    rid = getattr(rubric, "id", None)
    if not module_file or not isinstance(rid, str):
        return []
    failures: list[str] = []
    for lang in LANGS:
        po = Path(module_file).resolve().parent / "locale" / f"{lang}.po"
        if lang == "en" or not po.is_file():
            continue
        try:
            report = catalogues.check(po, elsewhere=read_po(LOCALE / f"{lang}.po"),
                                      overrides=catalogues.rubric_overrides(rubric))
        except (OSError, ValueError, SyntaxError) as exc:
            failures.append(f"the {_LANGUAGE_NAMES.get(lang, lang)} catalogue {po} cannot be checked: {exc}")
            continue
        failures += [str(f) for f in report.findings if f.kind in ("stale", "unrecorded", "fuzzy", "conflict") and f.msgid.startswith(rid + ".")]
    return failures


def raised_at(rubric: type, tb: TracebackType | None) -> str:
    """``at file:line (in function) `` of the rubric's own frame that raised, then the innermost frame if elsewhere."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return ""
    own: set[str] = set()
    module_file = getattr(sys.modules.get(rubric.__module__), "__file__", None)
    if module_file:
        own.add(module_file)
    code = getattr(getattr(rubric, "score", None), "__code__", None)
    if code is not None:  # the file that defines score, when the module is not registered
        own.add(code.co_filename)
    mine = [f for f in frames if f.filename in own]
    inner = frames[-1]
    where = mine[-1] if mine else inner
    text = f"at {where.filename}:{where.lineno} (in {where.name}"
    text += f": {where.line.strip()}) " if where.line else ") "
    if where is not inner:
        text += f"from {inner.filename}:{inner.lineno} (in {inner.name}) "
    return text


def check_installed(rubric: type) -> None:
    """Check that riskscore finds ``rubric`` through an installed entry point, as a user's ``riskscore rubrics`` would.

    For a plugin package: the package is installed (``pip install -e .``), it declares an
    entry point in the group ``riskscore.rubrics`` whose name equals the rubric's ``id`` and
    whose object is the class, the class loads there without a contract problem, and no
    other installed rubric uses the same id. Raises :class:`ContractError` saying which.
    """
    from riskscore.scoring import registry

    name = f"{rubric.__module__}:{rubric.__qualname__}"
    rid = getattr(rubric, "id", None)
    discovery = registry.discover()
    mine = [item for item in discovery if item.kind == "entry point" and (item.rubric is rubric or _names(item.source, rubric))]
    if not mine:
        raise ContractError(f"no entry point in the group {registry.GROUP!r} loads {name}: install the package (pip install -e .) "
                            f"and declare it in pyproject.toml under [project.entry-points.\"{registry.GROUP}\"] as {rid} = \"<module>:{rubric.__qualname__}\"")
    problems = [f"the entry point {item.source} ({item.origin}) did not load: {item.error}" for item in mine if not item.ok]
    problems += [registry.duplicate_message(item.name, discovery.duplicates[item.name]) for item in mine
                 if item.ok and item.name in discovery.duplicates]
    if problems:
        raise ContractError(f"{rubric.__name__} is installed but riskscore cannot use it:\n" + "\n".join(f"  - {p}" for p in problems))


def _names(source: str, rubric: type) -> bool:
    """Whether an entry point ``name = module:Class`` names ``rubric`` (directly or through a package re-export)."""
    module, _, attr = source.split(" = ", 1)[-1].partition(":")
    return attr == rubric.__qualname__ and (rubric.__module__ == module or rubric.__module__.startswith(module + "."))
