"""axe-core, Deque's accessibility engine, on a page as the browser shows it.

``make setup`` installs axe-core from npm, pinned in ``devstack/vnu/`` beside the HTML checker.
Playwright's ``evaluate`` runs it in the page: it is not a script of the page, so the page's
Content-Security-Policy (which allows none) stays as it is served.

    assert_accessible(page)   # fails listing every violation, with the elements concerned
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

REPOSITORY = Path(__file__).resolve().parents[2]
AXE_JS = REPOSITORY / "devstack" / "vnu" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, and Deque's best practices (landmarks, heading order…).
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")

RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return {
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
    })),
    passes: result.passes.length,
  };
}"""


def axe_report(page: Page) -> dict:
    """axe's violations on ``page`` (and how many rules passed)."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `make setup` (npm ci in devstack/vnu)")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(RUN, list(TAGS))


def assert_accessible(page: Page) -> None:
    report = axe_report(page)
    assert report["passes"] > 10, "axe checked next to nothing: is the page there?"
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in report["violations"]
    ]
    assert not problems, f"axe found {len(problems)} violation(s) on {page.url}:\n" + "\n".join(
        problems
    )
