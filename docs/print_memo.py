"""Print a riskscore HTML memo to PDF (and optionally take screenshots) with a headless browser.

The memo's stylesheet carries the print rules (``@page`` size, running header and footer
with "page x of y", headings kept with what follows), so any Chromium-based browser prints it
as intended; this script only drives one without a window:

    riskscore memo companies/wedoctor.yaml --format html --out reports            # A4
    riskscore memo companies/wedoctor.yaml --format html --paper letter --out out  # US Letter
    python docs/print_memo.py reports/wedoctor.html                    # -> reports/wedoctor.pdf
    python docs/print_memo.py reports/wedoctor.html --screenshots 1280,420   # also PNGs at those widths

Needs Chromium or Google Chrome (``apt-get install chromium fonts-noto-cjk`` on Debian; the
Noto CJK fonts draw the Chinese text, including the unit 亿). Set ``CHROME`` to the browser's
path when it is not on ``PATH`` as chromium, chromium-browser, google-chrome or chrome.
The browser's own header and footer (date, file URL) are switched off: the memo prints its own.

The equivalent shell command:

    chromium --headless --no-sandbox --no-pdf-header-footer --print-to-pdf=wedoctor.pdf reports/wedoctor.html
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def browser() -> str:
    """The browser to drive: ``$CHROME``, else the first Chromium-like program on PATH."""
    found = os.environ.get("CHROME") or next((p for p in map(shutil.which, BROWSERS) if p), None)
    if not found:
        raise SystemExit("no Chromium or Chrome found: install one (apt-get install chromium) or set CHROME=/path/to/browser")
    return found


def _run(args: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="riskscore-print-") as profile:
        # A throwaway user profile: a headless run never touches (or waits for) the user's own.
        cmd = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}:\n{proc.stderr.strip()}")


def print_pdf(html: Path, pdf: Path) -> Path:
    """``html`` printed to ``pdf`` on the paper size its ``@page`` rule names."""
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()])
    return pdf


def screenshot(html: Path, png: Path, width: int, height: int = 2400) -> Path:
    """The top ``height`` pixels of ``html`` laid out ``width`` CSS pixels wide."""
    _run([f"--window-size={width},{height}", f"--screenshot={png.resolve()}", html.resolve().as_uri()])
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="a memo written by `riskscore memo --format html`")
    parser.add_argument("--pdf", type=Path, help="where to write the PDF (default: next to the HTML)")
    parser.add_argument("--screenshots", metavar="WIDTHS", help="comma-separated viewport widths, e.g. 1280,420")
    parser.add_argument("--height", type=int, default=2400, help="screenshot height in CSS pixels (default 2400)")
    args = parser.parse_args(argv)
    if not args.html.is_file():
        parser.error(f"{args.html}: no such file")
    pdf = print_pdf(args.html, args.pdf or args.html.with_suffix(".pdf"))
    print(pdf)
    for width in filter(None, (args.screenshots or "").split(",")):
        print(screenshot(args.html, args.html.with_name(f"{args.html.stem}-{int(width)}.png"), int(width), args.height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
