"""A printable page as a one-page A4 PDF, printed by Chromium through Playwright: the same
engine that renders the page in the browser tests, so the PDF is the page as checked there.

Chromium and Playwright come with the development set-up (``make setup``), on the
maintainer's machine; the deployed functions never print, and never import this.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import ReachError

# Debian's Chromium, which make setup installs; else whatever Playwright finds itself.
CHROMIUM = Path("/usr/bin/chromium")


class PrintUnavailable(ReachError):
    """No browser to print with; the message says how to get one."""


def write_pdf(html: str, output: Path) -> int:
    """Print ``html`` to ``output`` as A4 (the page's own @page size); its number of pages."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise PrintUnavailable("Playwright is missing: run `make setup`") from None
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, timeout=60_000)
        except Error as error:
            raise PrintUnavailable(
                f"Chromium did not start ({_said(error)}); run `make setup`"
            ) from None
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load", timeout=60_000)
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        except Error as error:
            raise PrintUnavailable(f"Chromium could not print the page ({_said(error)})") from None
        finally:
            browser.close()
    output.write_bytes(pdf)
    return len(_PAGE_OBJECT.findall(pdf))


def _said(error: Exception) -> str:
    """The first line of what Playwright said, or its kind when it said nothing."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# A page object of the PDF (not the /Pages tree above them); Chromium writes them plainly.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![s\w])")
