"""Every mail's HTML part passes the Nu HTML Checker (vnu) with no errors.

Each mail is rendered with the real templates and the sample contexts of the mail template tests
(the werkwijze with that of the rendering tests), and also in the variants that change its
markup: no group could take the member, a member not yet added, no group or website known, a
name full of markup. vnu checks them all, and two documents of its own that show it reports
what it should, in one run. The pages are checked as the browser gets them, in tests/e2e.

HTML mail keeps table attributes for Outlook on Windows (cellpadding, valign, bgcolor…): vnu
calls those obsolete, but as warnings, which these tests allow; an error they do not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jinja2
import pytest

from buurtwhatsapp.common.rendering import render_mail, template_environment
from tests.html_checker import Report, check
from tests.unit.mail.test_mail_rendering import werkwijze_context
from tests.unit.mail.test_mail_templates import (
    HOSTILE_NAME,
    MAILS,
    NO_GROUP,
    make_initiative,
    sample_context,
    with_person_name,
)
from tests.unit.overview.test_digest_mail import sample_digest_context

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RULES_INITIATIVE = replace(
    make_initiative(),
    rules_changes="Foto’s van personen delen we niet meer in de groep.",
    rules_url="https://www.buitenkaag.example/groepsregels",
)

# Each variant: the mail template and its context.
MAIL_VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    **{mail: (mail, sample_context(mail)) for mail in MAILS},
    "werkwijze": ("werkwijze", werkwijze_context()),
    "werkwijze without a website": (
        "werkwijze",
        werkwijze_context(initiative=make_initiative(website=None)),
    ),
    "coordinator-alert, no group found": (
        "coordinator-alert",
        sample_context("coordinator-alert", **NO_GROUP),
    ),
    "coordinator-reminder, no group found": (
        "coordinator-reminder",
        sample_context("coordinator-reminder", **NO_GROUP),
    ),
    "coordinator-remove, not yet added, no group": (
        "coordinator-remove",
        sample_context("coordinator-remove", was_added=False, group_name=None),
    ),
    "added, no group": ("added", sample_context("added", group_name=None)),
    "yearly-check, with new group rules": (
        "yearly-check",
        sample_context("yearly-check", rules_version="2027-03"),
    ),
    "news, every kind of Markdown and markup typed in it": (
        "news",
        sample_context(
            "news",
            body="# Kop\n\n## Tussenkop\n\nTekst met *nadruk*, `code` en [een link](https://x.example).\n\n"
            "- een\n- twee\n  1. genest\n\n> citaat\n\n    blok\n\n---\n\n"
            "<script>alert(1)</script> <img src=x onerror=alert(1)> ![beeld](https://x.example/b.png)\n",
        ),
    ),
    "rules-changed, what changed and the full text": (
        "rules-changed",
        sample_context("rules-changed", initiative=RULES_INITIATIVE),
    ),
    "regiegroep-digest": ("regiegroep-digest", sample_digest_context()),
    "regiegroep-digest, the first": ("regiegroep-digest", sample_digest_context(first=True)),
    "regiegroep-digest, with households and the months' counts": (
        "regiegroep-digest",
        sample_digest_context(
            signs={
                "threshold": 30,
                "areas": [
                    {"name": "Dorp", "percent": 31, "ready": ["Kagerdreef"]},
                    {"name": "Buitengebied", "percent": None, "ready": []},
                ],
            },
            checks={
                "label": "oktober 2026",
                **dict.fromkeys(("checks_asked", "checks_reminded", "checks_yes"), 1),
                "checks_lapsed": 0,
                "rules_accepted": 2,
                "news_sent": 40,
            },
        ),
    ),
    "coordinator-alert, a name full of markup": (
        "coordinator-alert",
        with_person_name("coordinator-alert", HOSTILE_NAME),
    ),
}


def sample(form_tag: str) -> str:
    """A small page with ``form_tag`` on line 5."""
    head = '<head><meta charset="utf-8"><title>Proef</title></head>'
    lines = ["<!doctype html>", '<html lang="nl">', head, "<body>", form_tag, "</form>", "</body>"]
    return "\n".join([*lines, "</html>", ""])


# The checker's own samples; the invalid one's name is no file name anywhere.
INVALID_SAMPLE = "sample: an empty form action / “Zoë”"
VALID_SAMPLE = "sample: a valid page"
SAMPLES = {
    INVALID_SAMPLE: sample('<form method="post" action="">'),
    VALID_SAMPLE: sample('<form method="post">'),
}
EMPTY_ACTION = "Bad value “” for attribute “action” on element “form”: Must be non-empty."


@pytest.fixture(scope="module")
def templates() -> jinja2.Environment:
    return template_environment(TEMPLATES)


@pytest.fixture(scope="module")
def report(templates: jinja2.Environment) -> Report:
    """vnu's report on every mail variant's HTML part and on the samples: one run of Java."""
    documents = {
        name: render_mail(templates, mail, context).html
        for name, (mail, context) in MAIL_VARIANTS.items()
    }
    return check({**documents, **SAMPLES})


def test_every_mail_template_is_checked(templates):
    kinds = {path.parent.name for path in (TEMPLATES / "mail").glob("*/body.html")}
    assert kinds == {mail for mail, _ in MAIL_VARIANTS.values()}


@pytest.mark.parametrize("name", sorted(MAIL_VARIANTS))
def test_the_html_part_has_no_errors(report, name):
    report.assert_no_errors(name)


def test_the_checker_reports_an_empty_form_action_where_it_is(report):
    [error] = report.errors()[INVALID_SAMPLE]
    assert error.text == EMPTY_ACTION
    assert error.line == 5
    assert 'action=""' in error.extract
    assert report.describe(INVALID_SAMPLE).startswith(f"{INVALID_SAMPLE}: 1 error(s)\n")
    with pytest.raises(AssertionError, match="line 5, column 1: error: Bad value"):
        report.assert_no_errors(INVALID_SAMPLE)


def test_the_checker_has_nothing_to_say_about_a_valid_document(report):
    assert report.messages[VALID_SAMPLE] == ()
