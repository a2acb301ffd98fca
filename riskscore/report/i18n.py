"""Text that can be written in more than one language: messages, formatted values, profile texts.

A memo is built once, in English, from :class:`Localizable` strings; the Chinese memo is the
same model with each of them translated (:func:`localize`). Every ``Localizable`` *is* its
English text (a ``str`` subclass), so everything that only needs English — the JSON result,
the terminal, an English memo — uses it as an ordinary string and never loads a catalogue.

* :class:`Message` — a message id, its English text with ``{named}`` placeholders, and the
  parameters. A placeholder may name how its number is written, ``{share:percent}``,
  ``{rise:pp}``, ``{year:period}`` (see :data:`SPECS`); the number is then formatted by
  :mod:`riskscore.report.format` in the document's language. A parameter may itself be a
  ``Localizable``. A translation uses the same placeholder names and need not repeat the spec.
* :class:`Value` — a value formatted by :mod:`riskscore.report.format` in the document's
  language: a date, a period, an amount, an observation, a band.
* :class:`Text` — text taken from the profile, with its Chinese form where the profile has one
  (``name_zh``) or the profile's translation file gives one (by profile path).

Catalogues are gettext ``.po`` files, the format every translation tool reads (Babel, Poedit,
Weblate), parsed here on first use by a small cached reader: no compile step, no committed
build artefact, and nothing is read for an English document. The core catalogue is
``riskscore/locale/<lang>.po``; a rubric ships its own as ``locale/<lang>.po`` beside its
module, or as a ``messages = {"zh": {id: text}}`` class attribute. An entry keyed by a message id
records the English it was translated from (``#. en: "…"``), which :mod:`riskscore.report.catalogues`
checks against the code; a memo never reads it.

This module sits with :mod:`riskscore.report.format` in the profile layer: every layer writes
its sentences with it, and it needs only the formatter and the standard library.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
import string
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import WrapValidator

from riskscore.report import format as fmt

if TYPE_CHECKING:
    from riskscore.profile.model import MoneyObservation, PercentObservation

LANGS = fmt.LANGS
LOCALE = Path(__file__).resolve().parent.parent / "locale"

BANDS = ("Low", "Moderate", "Elevated", "High", "Severe")


class Localizable(str):
    """A string that can say itself in another language; its ``str`` value is the English text."""

    __slots__ = ()

    def localize(self, tr: Translator) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def ids(self) -> Iterable[str]:
        """Message ids this text (and its parameters) needs a translation for."""
        return ()


# ---------------------------------------------------------------------------------------- specs


def _num(spec: Callable[..., str]) -> Callable[[Any, str], str]:
    return lambda value, lang: spec(value)


SPECS: dict[str, Callable[[Any, str], str]] = {
    "score": _num(fmt.score),                                    # 79.9
    "delta": _num(fmt.delta),                                    # +1.3
    "plain": _num(fmt.plain),                                    # 7, 15.89
    "int": lambda v, lang: str(int(v)),                          # 3
    "num0": _num(lambda v: fmt.number(v, 0)),                    # 62
    "num1": _num(lambda v: fmt.number(v, 1)),                    # 6.8
    "num2": _num(lambda v: fmt.number(v, 2)),                    # 4.55
    "signed1": _num(lambda v: fmt.number(v, 1, sign=True)),      # +6.8
    "percent": _num(fmt.percent),                                # 77.6%
    "percent0": _num(lambda v: fmt.percent(v, 0)),               # 62%
    "signed_percent0": _num(lambda v: fmt.percent(v, 0, sign=True)),  # -62%
    "share": _num(fmt.share),                                    # 0.94 -> 94%
    "pp": lambda v, lang: fmt.pp(v, lang=lang),                  # 2.8 pp, 2.8个百分点
    "ratio": lambda v, lang: fmt.ratio(v, lang=lang),            # 4.55×, 4.55倍
    "period": lambda v, lang: fmt.period(str(v), lang=lang),     # 2025H1, 2025年上半年
    "date": lambda v, lang: fmt.date(str(v), lang=lang),         # 2024-01, 2024年1月
}
"""How a placeholder's spec writes its parameter: ``{share:percent}``."""

_FORMATTER = string.Formatter()


@functools.lru_cache(maxsize=4096)
def _fields(template: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """(literal text, field name, spec) for each piece of ``template``."""
    return tuple((lit, name, spec or None) for lit, name, spec, _ in _FORMATTER.parse(template))


def _specs(template: str) -> dict[str, str]:
    return {name: spec for _, name, spec in _fields(template) if name and spec}


def _render(template: str, params: Mapping[str, Any], specs: Mapping[str, str], tr: Translator | None) -> str:
    lang = tr.lang if tr is not None else "en"
    out = []
    for literal, name, spec in _fields(template):
        out.append(literal)
        if name is None:
            continue
        if name not in params:
            raise KeyError(f"message parameter {{{name}}} not given")
        out.append(_param(params[name], spec or specs.get(name), lang, tr))
    return "".join(out)


def _param(value: Any, spec: str | None, lang: str, tr: Translator | None) -> str:
    if isinstance(value, Localizable):
        return value.localize(tr) if tr is not None else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        # Written as Python writes it: the engine's invariant check, not a sentence, is where a NaN is refused.
        return str(value)
    if spec is not None:
        if spec not in SPECS:
            raise ValueError(f"unknown placeholder spec {spec!r}; use one of {', '.join(SPECS)}")
        return SPECS[spec](value, lang)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt.plain(value)
    if isinstance(value, (list, tuple)):  # a list of texts, joined the language's way
        return ("、" if lang == "zh" else ", ").join(_param(v, spec, lang, tr) for v in value)
    return str(value)


class Message(Localizable):
    """A sentence as a message id, its English text and its parameters.

    ``Message("customer_concentration.flag", "The largest customer provided {share} of revenue.",
    share=observed)`` is the string ``"The largest customer provided 77.6% of revenue."``;
    in a Chinese document it is the catalogue's text for the id, with the same parameters.
    Without a translation the English text is used, so a plugin that ships none still renders.
    """

    id: str
    default: str
    params: tuple[tuple[str, Any], ...]

    def __new__(cls, id: str, default: str, /, **params: Any) -> Message:
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}
        self = super().__new__(cls, _render(default, params, _specs(default), None))
        self.id = id
        self.default = default
        self.params = tuple(sorted(params.items()))
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_message, (self.id, self.default, self.params))

    def localize(self, tr: Translator) -> str:
        template = tr.lookup(self.id)
        return _render(self.default if template is None else template, dict(self.params), _specs(self.default), tr)

    def ids(self) -> Iterable[str]:
        yield self.id
        for _, value in self.params:
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, Localizable):
                    yield from v.ids()


def _message(id: str, default: str, params: tuple[tuple[str, Any], ...]) -> Message:
    return Message(id, default, **dict(params))


class Value(Localizable):
    """A value written by :mod:`riskscore.report.format` in the document's language.

    ``Value.date("2024-01")``, ``Value.period("2025H1")``, ``Value.money(13.7, "RMB 亿")``,
    ``Value.observation(obs, profile.presentation_unit)``, ``Value.band("High")``.
    """

    kind: str
    args: tuple[Any, ...]

    def __new__(cls, kind: str, *args: Any) -> Value:
        self = super().__new__(cls, _VALUE_KINDS[kind](args, "en", None))
        self.kind = kind
        self.args = args
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Value, (self.kind, *self.args))

    def localize(self, tr: Translator) -> str:
        return _VALUE_KINDS[self.kind](self.args, tr.lang, tr)

    def ids(self) -> Iterable[str]:
        if self.kind in ("band", "term"):
            yield self._term_id()
        for a in self.args:
            for v in a if isinstance(a, tuple) else (a,):
                if isinstance(v, Localizable):
                    yield from v.ids()

    def _term_id(self) -> str:
        return f"band.{self.args[0]}" if self.kind == "band" else f"{self.args[0]}.{self.args[1]}"

    @classmethod
    def date(cls, text: object) -> Value:
        return cls("date", str(text))

    @classmethod
    def period(cls, period_id: str) -> Value:
        return cls("period", period_id)

    @classmethod
    def money(cls, amount: float, unit: object, decimals: int = 2) -> Value:
        return cls("money", amount, str(unit), decimals)

    @classmethod
    def money_base(cls, base: float, unit: object, decimals: int = 2) -> Value:
        return cls("money_base", base, str(unit), decimals)

    @classmethod
    def bounded_money_base(cls, base: float, unit: object, decimals: int = 2, bound: str = "exact") -> Value:
        """An amount in base units shown in ``unit`` after its bound's word: ``more than RMB 250 亿`` (``超过250亿元``)."""
        return cls("bounded_money_base", base, str(unit), decimals, bound)

    @classmethod
    def observation(cls, obs: MoneyObservation | PercentObservation, presentation: object) -> Value:
        return cls("observation", obs, str(presentation))

    @classmethod
    def band(cls, band: str | None, missing: str = "Not scored") -> Localizable:
        """A band's name; ``missing`` (a message) when there is none."""
        if band is None:
            return Message("band.none" if missing == "Not scored" else "band.none_lower", missing)
        return cls("band", band)

    @classmethod
    def join(cls, items: Iterable[str], sep: str = ", ", capitalize: bool = False) -> Value:
        """Texts joined with ``sep`` (``", "`` is ``、`` and ``"; "`` is ``；`` in Chinese); ``capitalize`` the English first letter."""
        return cls("join", tuple(items), sep, capitalize)

    @classmethod
    def cell(cls, obs: MoneyObservation | PercentObservation, presentation: object) -> Value:
        """An observation under a header that names its unit (:func:`riskscore.report.format.cell`): ``about 0.2`` (``约0.2``)."""
        return cls("cell", obs, str(presentation))

    @classmethod
    def pp(cls, value: float) -> Value:
        """Percentage points: ``0.6 pp`` (``0.6个百分点``)."""
        return cls("pp", value)

    @classmethod
    def bounded(cls, text: str, bound: str = "exact") -> Value:
        """``text`` (a figure) after its bound's word: ``more than 3.3%`` (``超过3.3%``)."""
        return cls("bounded", text, bound)

    @classmethod
    def lower_first(cls, text: str, always: bool = False) -> Value:
        """``text`` with its English first letter in lower case, to run on inside a sentence: ``Core segment gross margin`` ->
        ``core segment gross margin`` (only when the second letter is lower case too, so ``R&D`` and ``IFRS`` stay, unless
        ``always``). Other languages have no capitals to lower."""
        return cls("lower_first", text, always)

    @classmethod
    def quoted(cls, text: str) -> Value:
        """Text someone wrote in configuration (a source's citation), not ours to translate: as written in English;
        in another language the catalogue's translation keyed by the text itself (riskscore's own defaults have one),
        else the original in quotation marks (``“…”``), as a quote from a source is shown."""
        return cls("quoted", str(text))

    @classmethod
    def term(cls, vocabulary: str, key: str) -> Value:
        """A word from a fixed vocabulary (filing status, source kind…): message id ``vocabulary.key``, English ``key``."""
        return cls("term", vocabulary, key)


def _term(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    vocabulary, key = args
    if tr is None:
        return str(key).replace("_", " ")
    return tr.lookup(f"{vocabulary}.{key}") or str(key).replace("_", " ")


def _quoted(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    text = str(args[0])
    if tr is None or lang == "en":
        return text
    return tr.messages.get(text) or f"“{text}”"  # not recorded as missing: a user's own text has no translation to miss


def _unit(text: str, lang: str) -> str:
    """A money unit: ``RMB 亿`` (``亿元``)."""
    if lang != "zh":
        return text
    unit = _unit_of(text)
    return fmt.SCALE_ZH.get(unit.scale, unit.scale) + fmt.CURRENCY_ZH.get(unit.currency, unit.currency)


_ZH_SEPARATORS = {", ": "、", "; ": "；", " + ": " + ", " or ": "或", " to ": "至", " and ": "，", " ": ""}
"""How an English separator is written in Chinese: sentences run on without a space, a list takes 、."""


def _join(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    items, sep, capitalize = args
    texts = [_text_of(it, tr) for it in items]
    if lang == "zh":
        return _ZH_SEPARATORS.get(sep, sep).join(texts)
    out = sep.join(texts)
    return out[:1].upper() + out[1:] if capitalize else out


def _band(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    if tr is None:
        return str(args[0])
    return tr.lookup(f"band.{args[0]}") or str(args[0])


def _text_of(value: Any, tr: Translator | None) -> str:
    return value.localize(tr) if tr is not None and isinstance(value, Localizable) else str(value)


def _lower_first(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    text, always = args
    shown = _text_of(text, tr)
    if lang != "en" or not shown or not (always or shown[1:2].islower()):
        return shown
    return shown[0].lower() + shown[1:]


@functools.lru_cache(maxsize=64)
def _unit_of(text: str) -> Any:
    """The :class:`~riskscore.profile.units.Unit` a unit text names, parsed once (a Unit is frozen): a memo writes some thirty cells in one unit."""
    from riskscore.profile.units import Unit

    return Unit.parse(text)


def _cell(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    obs, unit = args
    return fmt.cell(obs, _unit_of(unit), lang=lang)


def _observation(args: tuple[Any, ...], lang: str, tr: Translator | None) -> str:
    obs, unit = args
    return fmt.observation(obs, _unit_of(unit), lang=lang)


_VALUE_KINDS: dict[str, Callable[[tuple[Any, ...], str, Translator | None], str]] = {
    "date": lambda a, lang, tr: fmt.date(a[0], lang=lang),
    "period": lambda a, lang, tr: fmt.period(a[0], lang=lang),  # a range of months ("2018-01 to 2018-06") is written as is
    "money": lambda a, lang, tr: fmt.money(a[0], a[1], a[2], lang=lang),
    "money_base": lambda a, lang, tr: fmt.money_base(a[0], a[1], a[2], lang=lang),
    "bounded_money": lambda a, lang, tr: fmt.bounded(fmt.money(a[0], a[1], a[2], lang=lang), a[3], lang=lang),
    "bounded_money_base": lambda a, lang, tr: fmt.bounded(fmt.money_base(a[0], a[1], a[2], lang=lang), a[3], lang=lang),
    "observation": _observation,
    "cell": _cell,
    "pp": lambda a, lang, tr: fmt.pp(a[0], lang=lang),
    "bounded": lambda a, lang, tr: fmt.bounded(_text_of(a[0], tr), a[1], lang=lang),
    "lower_first": _lower_first,
    "band": _band,
    "term": _term,
    "quoted": _quoted,
    "join": _join,
    "unit": lambda a, lang, tr: _unit(a[0], lang),
}


class Text(Localizable):
    """Text from the profile, with its Chinese form when known.

    ``zh`` is the profile's own Chinese form (``name_zh``); otherwise the profile's translation
    file (``companies/<id>.zh.po``: msgid the text as the profile writes it) gives it. ``path``,
    the profile path the text was read from, is kept for messages and may key a translation too.
    Without either, a Chinese document shows the text as the profile wrote it.
    """

    zh: str | None
    path: str | None

    def __new__(cls, text: str, zh: str | None = None, path: str | None = None) -> Text:
        self = super().__new__(cls, text)
        self.zh = zh
        self.path = path
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (str(self), self.zh, self.path))

    def localize(self, tr: Translator) -> str:
        if tr.lang == "zh" and self.zh:
            return self.zh
        if self.path is not None and self.path in tr.profile_texts:
            return tr.profile_texts[self.path]
        return tr.profile_texts.get(str(self), str(self))


def metric_text(metric: Any, decimals: int | None = None) -> str:
    """A rubric metric's value as the memo and the trend memo show it (:func:`riskscore.report.format.metric`),
    with units and words as messages a translation can say; ``decimals`` overrides the usual precision."""
    if metric.display is not None and decimals is None:
        return metric.display
    if metric.value is None:
        return Message("memo.not_on_file", "not on file")
    if metric.unit == "%":
        return fmt.percent(metric.value, 1 if decimals is None else decimals)
    if metric.unit == "×":
        return Message("memo.ratio", "{value:ratio}", value=metric.value) if decimals is None else fmt.ratio(metric.value, decimals)
    shown = fmt.plain(metric.value, 2 if decimals is None else decimals)
    return Message("memo.value_unit", "{value} {unit}", value=shown, unit=metric.unit) if metric.unit else shown


def text(value: str | None, zh: str | None = None, path: str | None = None) -> Text | None:
    """:class:`Text` for a profile text that may be missing (None stays None)."""
    return None if value is None else Text(value, zh, path)


def _keep(value: Any, handler: Callable[[Any], Any]) -> Any:
    return value if isinstance(value, Localizable) else handler(value)


Str = Annotated[str, WrapValidator(_keep)]
"""A pydantic ``str`` field that keeps a :class:`Localizable` as it is (JSON and schema: a plain string)."""


# ---------------------------------------------------------------------------------- catalogues


def _unquote(token: str, path: Path, line: int) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError):
        raise ValueError(f"{path}:{line}: not a quoted string: {token[:40]}") from None
    if not isinstance(value, str):
        raise ValueError(f"{path}:{line}: not a quoted string: {token[:40]}")
    return value


@dataclasses.dataclass(frozen=True)
class PoEntry:
    """One entry of a ``.po`` file, as :func:`parse_po_entries` reads it.

    ``en`` is the English the entry was translated from, recorded in an id-keyed catalogue as
    the extracted comment ``#. en: "…"`` (a quoted string, escapes as in a msgid); ``line`` is
    where the entry starts (its first comment, else its first keyword).
    """

    msgid: str
    msgstr: str
    line: int
    msgctxt: str | None = None
    fuzzy: bool = False
    en: str | None = None
    en_line: int | None = None

    @property
    def key(self) -> str:
        """The id a translator looks it up by (``msgctxt`` prefixes it as ``ctxt\\x04id``)."""
        return self.msgid if self.msgctxt is None else self.msgctxt + "\x04" + self.msgid


EN_COMMENT = "#. en: "
"""The extracted comment that records an entry's English source text: ``#. en: "Majority reliance on one customer"``."""


def parse_po_entries(text: str, path: Path | str = "<po>", english: bool = True) -> list[PoEntry]:
    """Every entry of a gettext ``.po`` file, the header (empty msgid) included, with its line and recorded English
    (not read with ``english=False``: a memo needs only the translations)."""
    path = Path(path)
    entries: list[PoEntry] = []
    current: dict[str, str] = {}
    key: str | None = None
    fuzzy = False
    start: int | None = None
    en: str | None = None
    en_line: int | None = None

    def flush() -> None:
        nonlocal current, fuzzy, key, start, en, en_line
        if "msgid" in current:
            entries.append(PoEntry(current["msgid"], current.get("msgstr", ""), start or 0, current.get("msgctxt"), fuzzy, en, en_line))
        elif en is not None:
            raise ValueError(f"{path}:{en_line}: an English comment ({EN_COMMENT.strip()}) outside an entry")
        current, fuzzy, key, start, en, en_line = {}, False, None, None, None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if "msgid" in current:  # a comment after an entry without a blank line starts the next one
                flush()
            start = start or number
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif english and line.startswith(EN_COMMENT.rstrip()):
                if en is not None:
                    raise ValueError(f"{path}:{number}: a second English comment for one entry")
                en, en_line = _unquote(line[len(EN_COMMENT.rstrip()):].strip(), path, number), number
            continue
        if line.startswith('"'):
            if key is None:
                raise ValueError(f"{path}:{number}: a continued string outside an entry")
            current[key] += _unquote(line, path, number)
            continue
        word, _, rest = line.partition(" ")
        if word not in ("msgctxt", "msgid", "msgstr"):
            raise ValueError(f"{path}:{number}: unknown keyword {word!r} (riskscore's catalogues use msgctxt, msgid, msgstr)")
        if word == "msgctxt" and "msgid" in current:
            flush()
        start = start or number
        key = word
        current[key] = _unquote(rest.strip(), path, number)
    flush()
    return entries


def parse_po(text: str, path: Path | str = "<po>") -> dict[str, str]:
    """The translations of a gettext ``.po`` file: ``{msgid: msgstr}`` (``msgctxt`` prefixes the id as ``ctxt\\x04id``).

    Entries with an empty ``msgstr`` and fuzzy entries are left out (they are not translated);
    the header (empty msgid) too. Plural forms are not used by riskscore's messages.
    """
    entries: dict[str, str] = {}
    for entry in parse_po_entries(text, path, english=False):
        if entry.msgid and entry.msgstr and not entry.fuzzy:
            if entry.key in entries:
                raise ValueError(f"{Path(path)}: duplicate msgid {entry.key!r}")
            entries[entry.key] = entry.msgstr
    return entries


@functools.lru_cache(maxsize=32)
def _read_po(path: str, mtime_ns: int) -> dict[str, str]:
    return parse_po(Path(path).read_text(encoding="utf-8"), path)


def read_po(path: Path | str) -> dict[str, str]:
    """A ``.po`` file's translations, parsed once per version of the file."""
    p = Path(path)
    return _read_po(str(p), p.stat().st_mtime_ns)


def rubric_catalogue(cls: type, lang: str) -> dict[str, str]:
    """A rubric's own translations into ``lang``: ``locale/<lang>.po`` beside its module, then its ``messages`` attribute."""
    found: dict[str, str] = {}
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    if file:
        po = Path(file).resolve().parent / "locale" / f"{lang}.po"
        if po.is_file():
            found.update(read_po(po))
    attribute = getattr(cls, "messages", None)
    if isinstance(attribute, Mapping):
        found.update(attribute.get(lang, {}))
    return found


def catalogue(lang: str, rubrics: Iterable[type] = ()) -> dict[str, str]:
    """Every translation into ``lang``: riskscore's own catalogue and each rubric's."""
    if lang == "en":
        return {}
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose from {', '.join(LANGS)}")
    merged = dict(read_po(LOCALE / f"{lang}.po"))
    for cls in rubrics:
        merged.update(rubric_catalogue(cls, lang))
    return merged


# ---------------------------------------------------------------------------------- translator


@dataclasses.dataclass
class Translator:
    """Translations into one language, and the gettext interface Jinja2's i18n extension calls."""

    lang: str = "en"
    messages: Mapping[str, str] = dataclasses.field(default_factory=dict)
    profile_texts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    missing: set[str] = dataclasses.field(default_factory=set)

    def lookup(self, msgid: str) -> str | None:
        """The translation of ``msgid``, or None (the id is then recorded in :attr:`missing`)."""
        if self.lang == "en":
            return None
        found = self.messages.get(msgid)
        if found is None:
            self.missing.add(msgid)
        return found

    def gettext(self, message: str) -> str:
        return self.lookup(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def __call__(self, value: Any) -> Any:
        return value.localize(self) if isinstance(value, Localizable) else value


def localize(obj: Any, tr: Translator) -> Any:
    """``obj`` with every :class:`Localizable` inside it (dataclasses, lists, tuples) translated."""
    if tr.lang == "en":
        return obj
    if isinstance(obj, Localizable):
        return obj.localize(tr)
    if isinstance(obj, str) or obj is None or isinstance(obj, (int, float, bool)):
        return obj
    if isinstance(obj, list):
        return [localize(v, tr) for v in obj]
    if isinstance(obj, tuple):
        return tuple(localize(v, tr) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: localize(getattr(obj, f.name), tr) for f in dataclasses.fields(obj) if f.init})
    return obj


def message_ids(obj: Any) -> set[str]:
    """Every message id that ``obj`` (a model, dataclass, list…) needs translated."""
    found: set[str] = set()

    def walk(o: Any) -> None:
        if isinstance(o, Localizable):
            found.update(o.ids())
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            for f in dataclasses.fields(o):
                walk(getattr(o, f.name))
        elif hasattr(o, "model_fields") and not isinstance(o, type):
            for name in type(o).model_fields:
                walk(getattr(o, name))

    walk(obj)
    return found
