"""The built-in rubrics' methods as HTML, rendered from Markdown when riskscore is built, not per run.

The HTML memo shows each rubric's method (its docstring, written in Markdown) as HTML.
Importing markdown-it-py and building its parser costs a cold ``riskscore memo`` more than
rendering the whole memo does, for a handful of texts that only change with a rubric's
docstring or its translation. So the HTML of every built-in rubric's method, in every
language, is rendered once and stored beside this module (``method_html.json``, text →
HTML); :func:`lookup` serves from it, and any other text (a plugin's method, an edited
docstring before the file is regenerated) is rendered by markdown-it as before.

The stored HTML is exactly what markdown-it renders (a test renders every entry again and
compares, and checks every built-in method in every language is stored). After changing a
rubric's docstring or its translation, regenerate the file::

    python -m riskscore.report.methodhtml
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

STORE = Path(__file__).parent / "method_html.json"


@functools.cache
def _stored() -> dict[str, str]:
    try:
        data = json.loads(STORE.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: every text is rendered by markdown-it instead
        return {}
    return data if isinstance(data, dict) else {}


def lookup(text: str) -> str | None:
    """The stored HTML of ``text``, or None when it is not one of the stored methods."""
    return _stored().get(text)


def parser() -> MarkdownIt:
    """The Markdown parser the memo uses: CommonMark, raw HTML in the text escaped, never passed through."""
    from markdown_it import MarkdownIt  # markdown-it-py, only for a text that is not stored

    return MarkdownIt("commonmark", {"html": False})


def methods() -> list[str]:
    """Every built-in rubric's method as the memo shows it, in every language riskscore translates to."""
    from riskscore.report.i18n import LANGS, Translator, catalogue
    from riskscore.report.memo import rubric_texts
    from riskscore.scoring import registry

    texts: list[str] = []
    for item in registry.discover():
        cls = item.rubric
        if cls is None or not item.origin.startswith("riskscore "):  # built-ins only: a plugin's are rendered when used
            continue
        message = rubric_texts(cls, cls.id)[1]
        for lang in LANGS:
            texts.append(message.localize(Translator(lang, catalogue(lang, [cls]))))
    return sorted(t for t in dict.fromkeys(texts) if t)


def build() -> dict[str, str]:
    """``{method: HTML}`` for :func:`methods`, rendered by markdown-it."""
    md = parser()
    return {text: md.render(text) for text in methods()}


def dumps(entries: dict[str, str]) -> str:
    """The stored file's text: sorted, one entry per line pair, so a change shows as a readable diff."""
    return json.dumps(dict(sorted(entries.items())), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - the generator; its output is tested
    STORE.write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {STORE}")
