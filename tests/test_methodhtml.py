"""The built-in rubrics' methods rendered to HTML in advance (riskscore/report/methodhtml.py):
the stored HTML is what markdown-it renders, every built-in method in every language is stored,
and a memo of a built-in rubric set never imports markdown-it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from riskscore.report import methodhtml, render

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"


def test_every_stored_method_is_exactly_what_markdown_it_renders() -> None:
    stored = methodhtml._stored()
    assert stored, "riskscore/report/method_html.json is missing or empty"
    md = MarkdownIt("commonmark", {"html": False})
    assert {text: md.render(text) for text in stored} == stored


def test_the_stored_file_is_current() -> None:
    """Every built-in rubric's method, in English and Chinese, and nothing else (regenerate: python -m riskscore.report.methodhtml)."""
    texts = methodhtml.methods()
    assert len(texts) == 12  # six built-in rubrics, two languages, each translated
    assert sorted(methodhtml._stored()) == texts
    assert methodhtml.STORE.read_text(encoding="utf-8") == methodhtml.dumps(methodhtml.build())


def test_a_method_not_stored_is_rendered_by_markdown_it() -> None:
    text = "A plugin's *own* method with `code_name` & <b>markup</b>."
    assert methodhtml.lookup(text) is None
    assert str(render._markdown(text)) == MarkdownIt("commonmark", {"html": False}).render(text)


def test_a_stored_method_is_served_as_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    text = methodhtml.methods()[0]
    monkeypatch.setattr(render, "_markdown_parser", lambda: pytest.fail("markdown-it was used for a stored method"))
    render._markdown_html.cache_clear()
    try:
        assert str(render._markdown(text)) == methodhtml._stored()[text]
    finally:
        render._markdown_html.cache_clear()


def test_a_missing_store_falls_back_to_markdown_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(methodhtml, "STORE", tmp_path / "absent.json")
    methodhtml._stored.cache_clear()
    try:
        assert methodhtml.lookup(methodhtml.methods()[0]) is None
    finally:
        methodhtml._stored.cache_clear()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_memo_of_the_built_in_rubrics_does_not_import_markdown_it(tmp_path: Path, lang: str) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "riskscore", "memo", str(WEDOCTOR), "--format", "html",
                           "--lang", lang, "--out", str(tmp_path)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "markdown_it" not in imported
    assert (tmp_path / f"wedoctor{'' if lang == 'en' else '.zh'}.html").is_file()
