"""Verbatim quotes: the number in a quote must be the figure, and the quote must be in the source.

An observation (and a filing, governance event, instrument, core technology, outcome,
milestone or capital event) may carry ``quote:``, the sentence it comes from, verbatim and
in the source's language. Two checks:

* **number** (no source text needed): some number in the quote, read with the units written
  beside it — 亿, 万, 百万, 千万, million, bn, %, 成 (tenths), 元/美元/港元, Arabic or simple
  Chinese numerals (八成, 百亿) — equals the figure in base units; a loss written without a
  sign (亏损 9.1 亿元) matches a negative profit. A bound word beside the number (约 about;
  超/超过/逾/多/余/以上 at least; 不足/低于/近/以下 at most) must match the figure's ``bound``;
  分别约为 A、B 和 C bounds every number of the list. Traditional forms (約, 億, 萬 …) read
  as their simplified ones.
  A transcription error (5.07 for 5.06) is caught this way without the article.
* **found** (``riskscore validate --sources DIR``): the quote occurs in the stored copy of
  its source (``file:`` under DIR), after normalising both: Unicode NFKC (full-width ``，``
  and ``２`` become ``,`` and ``2``), HTML tags dropped and entities unescaped for ``.html``
  copies, runs of whitespace collapsed and whitespace next to non-ASCII characters removed
  (``2022 年`` and ``2022年`` are the same). ``…`` in a quote stands for an elision: the parts
  must occur in order.

Nothing here changes a score.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskscore.profile.model import MoneyObservation, PercentObservation, Profile

# --------------------------------------------------------------------------- normalising text

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_SPACE_BY_WIDE = re.compile(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ")
ELLIPSIS = re.compile(r"…+|\.\.\.+")


def normalise(text: str, is_html: bool = False) -> str:
    """Width- and whitespace-normalised text, the form quotes and sources are compared in."""
    text = unicodedata.normalize("NFKC", text)
    if is_html:
        text = html.unescape(_TAG.sub("", text))
        text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub(" ", text)
    return _SPACE_BY_WIDE.sub("", text).strip()


def occurs(quote: str, text: str) -> bool:
    """Whether ``quote`` (normalised; ``…`` an elision) occurs in ``text`` (normalised)."""
    position = 0
    for part in (p.strip() for p in ELLIPSIS.split(quote)):
        if not part:
            continue
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


# --------------------------------------------------------------------------- numbers in a quote

_SCALES = {
    "万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "亿": 1e8, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "千": 1e3,
    "trillion": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
}
_CURRENCY_WORDS = {"元": "RMB", "人民币": "RMB", "rmb": "RMB", "美元": "USD", "usd": "USD", "us$": "USD", "港元": "HKD", "港币": "HKD",
                   "hkd": "HKD", "hk$": "HKD"}
_BEFORE = {"约": "about", "大约": "about", "约为": "about", "超过": "at_least", "超": "at_least", "逾": "at_least", "突破": "at_least",
           "多于": "at_least", "至少": "at_least", "不足": "at_most", "低于": "at_most", "少于": "at_most", "不到": "at_most",
           "未满": "at_most", "近": "at_most", "接近": "at_most", "将近": "at_most", "about": "about", "approximately": "about",
           "over": "at_least", "more than": "at_least", "nearly": "at_most", "less than": "at_most", "under": "at_most"}
_AFTER = {"多": "at_least", "余": "at_least", "以上": "at_least", "左右": "about", "以下": "at_most"}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

_before = "|".join(sorted(map(re.escape, _BEFORE), key=len, reverse=True))
_scales = "|".join(sorted(map(re.escape, _SCALES), key=len, reverse=True))
_currencies = "|".join(sorted(map(re.escape, _CURRENCY_WORDS), key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?P<before>{_before})?\s?(?P<cur1>us\$|hk\$|rmb|usd|hkd|\$)?\s?(?P<sign>[-+−–])?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+(?=[多余]?(?:成|亿|万|元|倍)))"
    rf"(?P<more>多|余)?\s?(?P<scale>{_scales})?(?![a-z])\s?(?P<cur2>{_currencies})?(?P<pct>%|成)?(?P<after>以上|左右|以下)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Number:
    """A number as a quote writes it, with what is written beside it."""

    text: str
    value: float          # the number with its written sign, times its scale (10^8 for 亿), in percent for % and 成
    percent: bool
    scaled: bool          # a scale word was written (亿, million …)
    currency: str | None
    signed: str | None    # "-" or "+" when written
    bound: str            # exact | about | at_least | at_most


def _chinese(text: str) -> float | None:
    """``八`` → 8, ``三十五`` → 35, ``百`` → 100 (enough for 八成 and 百亿)."""
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


# Traditional forms of the characters numbers are read with (Hong Kong and Taiwan outlets):
# 約 is 约, 億 亿, 萬 万, 餘 余, 兩 两, 過 过 (超過), 為 为, 別 别 (分別約為), 幣 币 (人民幣).
_TRADITIONAL = str.maketrans("約億萬餘兩過為別幣", "约亿万余两过为别币")
# 分别约为 A、B 和 C: the 约 bounds every number of the list, up to the end of the clause.
_LIST_ABOUT = re.compile(r"(?:分别|均)(?:为)?约")
_CLAUSE_END = re.compile(r"[。;；]|,(?!\d)|(?<!\d),")


def numbers_in(quote: str) -> list[Number]:
    """Every number in ``quote`` with its scale, currency, sign and bound words."""
    text = normalise(quote).translate(_TRADITIONAL)
    about_spans = []
    for lead in _LIST_ABOUT.finditer(text):
        end = _CLAUSE_END.search(text, lead.end())
        about_spans.append((lead.start(), end.start() if end else len(text)))
    out = []
    for m in _NUMBER.finditer(text):
        raw = m["num"]
        if raw[0].isdigit():
            value = float(raw.replace(",", ""))
        else:
            parsed = _chinese(raw)
            if parsed is None:
                continue
            value = parsed
        scale_word = (m["scale"] or "").lower()
        # "m" and "k" are scales only right after a number written in Latin text
        value *= _SCALES.get(scale_word, 1.0)
        percent = m["pct"] is not None
        if m["pct"] == "成":
            value *= 10
        cur = (m["cur1"] or m["cur2"] or "").lower()
        currency = _CURRENCY_WORDS.get(cur) or ("USD" if cur == "$" else None)
        bound = _AFTER.get(m["after"] or "") or _AFTER.get(m["more"] or "") or _BEFORE.get((m["before"] or "").lower(), "exact")
        if bound == "exact" and any(start <= m.start() < end for start, end in about_spans):
            bound = "about"
        sign = "-" if m["sign"] in ("-", "−", "–") else m["sign"]
        out.append(Number(m.group(0), -value if sign == "-" else value, percent, bool(scale_word), currency, sign, bound))
    return out


_BOUND_WORDS = {"about": "about (约)", "at_least": "at least (超/多)", "at_most": "at most (不足/近)", "exact": "exact"}


def number_problem(obs: Any, quote: str) -> str | None:
    """Why ``quote`` does not give ``obs``'s figure, or None when it does."""
    numbers = numbers_in(quote)
    is_money = isinstance(obs, MoneyObservation)
    target = obs.base
    matches = []
    for n in numbers:
        if is_money:
            if n.percent or (n.currency is not None and n.currency != obs.unit.currency):
                continue
            value = n.value if n.scaled or n.currency else n.value * obs.unit.factor
        else:
            if not n.percent and not _bare_percent_ok(numbers):
                continue
            value = n.value
        if abs(abs(value) - abs(target)) > 1e-9 * max(1.0, abs(target)):
            continue
        if n.signed == "-" and target > 0 or n.signed == "+" and target < 0:
            continue
        matches.append(n)
    if not matches:
        shown = ", ".join(n.text for n in numbers) or "no number"
        return f"does not give the figure {_figure(obs)} (the quote has: {shown})"
    if not any(n.bound == obs.bound for n in matches):
        return f"gives {matches[0].text}, which is {_BOUND_WORDS[matches[0].bound]}, but the figure's bound is {obs.bound}"
    return None


def _bare_percent_ok(numbers: list[Number]) -> bool:
    """A quote without any percent sign (a table row) may give a percentage as a bare number."""
    return not any(n.percent for n in numbers)


def _figure(obs: Any) -> str:
    if isinstance(obs, PercentObservation):
        return f"{obs.value:.{obs.decimals}f}%"
    return f"{obs.amount:.{obs.decimals}f} {obs.unit}"


# --------------------------------------------------------------------------- checking a profile


@dataclass(frozen=True)
class QuoteProblem:
    loc: tuple             # location of the quoted item in the profile
    kind: str              # number | not_found | no_quote | no_file | missing_file
    message: str
    quote: str | None = None

    @property
    def is_error(self) -> bool:
        return self.kind in ("number", "not_found", "missing_file")


def quoted_items(profile: Profile) -> Iterator[tuple[tuple, Any, list[str]]]:
    """``(location, item, [the source its quote is from])`` for everything that can carry a quote,
    in document order. A text fact's quote is from the first of its ``sources``."""
    for loc, figure in profile.iter_figures():
        for j, obs in enumerate(figure):
            yield loc + (j,), obs, [obs.source]
    for loc, statement in profile.iter_statements():
        yield loc, statement, [statement.source]
    facts: list[tuple[tuple, Any]] = [(("filings", i), f) for i, f in enumerate(profile.filings)]
    facts += [(("governance_events", i), e) for i, e in enumerate(profile.governance_events or [])]
    facts += [(("technology", "core", i), t) for i, t in enumerate(profile.technology.core if profile.technology else [])]
    facts += [(("capital_structure", "instruments", i), inst)
              for i, inst in enumerate((profile.capital_structure.instruments or []) if profile.capital_structure else [])]
    for name in ("milestones", "capital_events"):
        facts += [((name, i), item) for i, item in enumerate(getattr(profile, name, None) or [])]
    if profile.outcome is not None:
        facts.append((("outcome",), profile.outcome))
    for loc, item in facts:
        own = [item.source] if hasattr(item, "source") else list(item.sources)
        yield loc, item, own[:1]


def check_quotes(profile: Profile, sources_dir: Path | None = None) -> list[QuoteProblem]:
    """Numbers that do not match their figure; with ``sources_dir``, also quotes not found in
    their source's stored copy, sources without a copy, and figures without a quote."""
    problems: list[QuoteProblem] = []
    texts: dict[str, str | None] = {}

    def text_of(source_id: str, sources_dir: Path) -> str | None:
        if source_id not in texts:
            texts[source_id] = None
            source = profile.source(source_id)
            index = next(i for i, s in enumerate(profile.sources) if s.id == source_id)
            if source.file is None:
                problems.append(QuoteProblem(("sources", index), "no_file", f"source {source_id!r} has no `file:`, so its quotes cannot be checked"))
            else:
                path = sources_dir / source.file
                try:
                    texts[source_id] = normalise(path.read_text(encoding="utf-8"), is_html=".htm" in path.name.lower())
                except (OSError, UnicodeDecodeError) as exc:
                    problems.append(QuoteProblem(("sources", index, "file"), "missing_file", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"))
        return texts[source_id]

    for loc, item, source_ids in quoted_items(profile):
        quote = getattr(item, "quote", None)
        is_figure = isinstance(item, (MoneyObservation, PercentObservation))
        if quote is None:
            if sources_dir is not None and is_figure:
                problems.append(QuoteProblem(loc, "no_quote", f"the figure {_figure(item)} ({item.source}) has no quote"))
            continue
        if is_figure and (why := number_problem(item, quote)) is not None:
            problems.append(QuoteProblem(loc + ("quote",), "number", why, quote))
        if sources_dir is not None:
            available = [t for t in (text_of(s, sources_dir) for s in source_ids) if t is not None]
            if available and not any(occurs(normalise(quote), t) for t in available):
                where = " or ".join(profile.source(s).file or s for s in source_ids)
                if not is_figure:
                    where += f" (a quote on {loc[0]} is from its first source)"
                problems.append(QuoteProblem(loc + ("quote",), "not_found", f"not found in {where}", quote))
    return problems


def report_quotes(file: str, profile: Profile, node: Any, sources_dir: Path | None) -> tuple[list[str], bool]:
    """Lines for ``riskscore validate`` (``file:line: field: …``) and whether any is an error."""
    from riskscore.profile.load import line_of

    problems = check_quotes(profile, sources_dir)
    lines = []
    for p in problems:
        line = line_of(node, p.loc)
        where = f"{file}:{line}" if line else file
        field = profile.describe_loc(p.loc)
        level = "error" if p.is_error else "note"
        quote = f' "{p.quote}"' if p.quote else ""
        lines.append(f"{where}: {field}: {level}: quote{quote} {p.message}" if p.quote else f"{where}: {field}: {level}: {p.message}")
    if sources_dir is not None:
        quoted = sum(1 for _, item, _ in quoted_items(profile) if isinstance(item, (MoneyObservation, PercentObservation)) and item.quote)
        total = sum(len(f) for _, f in profile.iter_figures())
        errors = sum(p.is_error for p in problems)
        lines.append(f"{file}: quotes: {quoted} of {total} figures quoted; {errors} quote problem(s)")
    return lines, any(p.is_error for p in problems)
