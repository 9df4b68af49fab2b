"""Every page, in every state a browser can reach it, passes the Nu HTML Checker (vnu).

A real Chromium walks the forms (empty, refused with every problem, refused with markup typed
into them, thanked) and the pages behind the links (before and after their button, clicked
once and again, and each kind of link that does not work), against the real functions. What the
server sent for each page is checked by vnu, all in one run at the end; the journey test checks
the pages of its walk and the mails it received the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Response

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.signed_links import Links, Purpose, group_subject
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.model import CURRENT, PEOPLE, SIGNUPS
from tests.conftest import FakeClock
from tests.e2e.forms import APPLICANT, APPLICANT_PRIVACY, CONDITIONS, RESIDENT

if TYPE_CHECKING:
    from tests.e2e.conftest import SeenHtml

pytestmark = pytest.mark.browser

PAGES = Path(__file__).resolve().parents[2] / "templates" / "pages"

# Typed back into the refused form: markup in values and in a textarea must stay text.
MARKUP = '"><b>Zoë</b> & </textarea><script>alert(1)</script>'
# Older than the longest-lived link (the leave link's 730 days).
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def visit(page: Page, url: str, status: int) -> Response:
    response = page.goto(url)
    assert response is not None
    assert response.status == status, (url, response.status)
    return response


def press(page: Page, button: str, status: int) -> Response:
    """Clicks the button; returns the answer to the form's POST, which went to the very URL
    the page was opened with (a link page's token is in its query)."""
    opened = page.url
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    assert answer.value.url == opened
    assert answer.value.status == status, (button, answer.value.status)
    return answer.value


def fill(page: Page, fields: dict[str, str], conditions: tuple[str, ...]) -> None:
    """Types every field and ticks the conditions; a refused condition's label also holds its
    message, so conditions are found by the start of their label."""
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for label in conditions:
        page.get_by_label(label).check()


def test_every_page_the_browser_gets_passes_the_html_checker(
    page, live_server, firestore_client, seen_html: SeenHtml
):
    # The regiegroep, stored before any page reads who is in it.
    member = Person("Jan Regie", "jan.regie@example.org", "+31612340101")
    people = replace(People.from_deployment(bootstrap.runtime().deployment), regiegroep=(member,))
    firestore_client.collection(PEOPLE).document(CURRENT).set(people.to_document(LONG_AGO))

    # The sign-up form: empty, refused with every problem, refused with markup typed, thanked.
    seen_html.page("signup.html", visit(page, live_server("/signup"), 200))
    seen_html.page("signup.html, every field refused", press(page, "Aanmelden", 422))
    fill(page, {**RESIDENT, "Naam": MARKUP, "Mobiel nummer": "071-5123456"}, CONDITIONS[:3])
    page.get_by_label("Wilt u nog iets kwijt? (niet verplicht)", exact=True).fill(MARKUP)
    seen_html.page("signup.html, markup typed", press(page, "Aanmelden", 422))
    fill(page, {**RESIDENT, "Wilt u nog iets kwijt? (niet verplicht)": ""}, CONDITIONS)
    seen_html.page("signup_received.html", press(page, "Aanmelden", 303))

    # The coordinator form likewise.
    embedded = live_server("/signup?embed=1&area=dorp&street=Kagerdreef")
    seen_html.page("signup.html, embedded and filled in by a link", visit(page, embedded, 200))
    unknown = live_server("/signup?area=maan&street=" + "x" * 101)
    seen_html.page("signup.html, a link that cannot be used", visit(page, unknown, 200))
    seen_html.page("coordinator.html", visit(page, live_server("/coordinator"), 200))
    seen_html.page(
        "coordinator.html, every field refused", press(page, "Aanmelden als coördinator", 422)
    )
    fill(page, APPLICANT, (APPLICANT_PRIVACY,))
    seen_html.page("coordinator_received.html", press(page, "Aanmelden als coördinator", 303))

    # The pages behind the links of that sign-up, made as its mails make them.
    [signup_id] = [snapshot.id for snapshot in firestore_client.collection(SIGNUPS).stream()]
    runtime = bootstrap.runtime()
    confirm_url = runtime.links.url(Purpose.CONFIRM, signup_id)
    added_url = runtime.links.url(Purpose.ADDED, signup_id)
    leave_url = runtime.links.url(Purpose.LEAVE, signup_id)

    added_button = f"Ja, ik heb {RESIDENT['Naam']} toegevoegd"
    expired = Links(runtime.settings.signing_key, live_server.url, FakeClock(LONG_AGO))
    seen_html.page("added.html", visit(page, added_url, 200))
    seen_html.page("link_problem.html, added before confirm", press(page, added_button, 409))

    seen_html.page("confirm.html", visit(page, confirm_url, 200))
    seen_html.page("confirmed.html", press(page, "Aanmelding bevestigen", 200))
    visit(page, confirm_url, 200)
    seen_html.page("confirmed.html, again", press(page, "Aanmelding bevestigen", 200))

    visit(page, added_url, 200)
    seen_html.page("added_done.html", press(page, added_button, 200))
    visit(page, added_url, 200)
    seen_html.page("added_done.html, again", press(page, added_button, 200))

    # The yearly check's answer: with a question open, then again (nothing open).
    still_url = runtime.links.url(Purpose.STILL, signup_id)
    firestore_client.collection(SIGNUPS).document(signup_id).update({"check_stage": "asked"})
    seen_html.page("still.html", visit(page, still_url, 200))
    seen_html.page("still_done.html", press(page, "Ja, ik doe nog mee", 200))
    visit(page, still_url, 200)
    seen_html.page("still_done.html, again", press(page, "Ja, ik doe nog mee", 200))
    # ... with group rules the member has not accepted yet, which the "yes" accepts too.
    older_rules = {"accepted.rules": "2025-01"}
    firestore_client.collection(SIGNUPS).document(signup_id).update(
        {"check_stage": "asked", **older_rules}
    )
    seen_html.page("still.html, with new rules", visit(page, still_url, 200))
    press(page, "Ja, ik doe nog mee", 200)
    # New group rules: accepted with one click; then nothing is left to accept.
    rules_url = runtime.links.url(Purpose.RULES, signup_id)
    firestore_client.collection(SIGNUPS).document(signup_id).update(older_rules)
    seen_html.page("rules.html", visit(page, rules_url, 200))
    seen_html.page("rules_done.html", press(page, "Ik ga akkoord met de groepsregels", 200))
    seen_html.page("rules.html, accepted before", visit(page, rules_url, 200))
    # The coordinator's page, in add mode; its invite link form refused, then taken.
    coordinator = people.coordinator_of("dorp")
    assert coordinator is not None
    group_url = runtime.links.url(
        Purpose.GROUP, group_subject("dorp", runtime.keys.email(coordinator.email))
    )
    join_url = runtime.links.url(Purpose.JOIN, signup_id)
    seen_html.page("join.html, add mode", visit(page, join_url, 200))
    seen_html.page("group.html", visit(page, group_url, 200))
    page.get_by_label("Uitnodigingslink").fill(MARKUP)
    seen_html.page("group.html, link refused", press(page, "Link opslaan", 422))
    visit(page, group_url, 200)
    page.get_by_label("Uitnodigingslink").fill("https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd")
    seen_html.page("group.html, invite mode", press(page, "Link opslaan", 303))
    seen_html.page("join.html, invite mode", visit(page, join_url, 200))
    seen_html.page("leave.html", visit(page, leave_url, 200))
    seen_html.page("left.html", press(page, "Afmelden en gegevens wissen", 200))
    seen_html.page("group.html, a number to remove", visit(page, group_url, 200))
    seen_html.page("group.html, removed", press(page, f"Verwijderd: {RESIDENT['Naam']}", 303))
    seen_html.page("link_problem.html, join used", visit(page, join_url, 410))
    seen_html.page("link_problem.html, still used", visit(page, still_url, 410))
    seen_html.page("link_problem.html, rules used", visit(page, rules_url, 410))
    seen_html.page(
        "link_problem.html, rules expired", visit(page, expired.url(Purpose.RULES, signup_id), 410)
    )
    old_join = expired.url(Purpose.JOIN, signup_id)
    joined_late = visit(page, old_join, 410)
    assert "nieuwe link" in joined_late.text() and "afmeldlink" not in joined_late.text()
    seen_html.page("link_problem.html, join expired", joined_late)
    damaged = live_server("/group?token=beschadigd")
    seen_html.page("link_problem.html, group damaged", visit(page, damaged, 400))
    old = expired.url(Purpose.GROUP, group_subject("dorp", runtime.keys.email(coordinator.email)))
    seen_html.page("link_problem.html, group expired", visit(page, old, 410))

    # Links that do not work: used (the sign-up is gone), damaged, expired.
    for purpose, url in (("confirm", confirm_url), ("added", added_url), ("leave", leave_url)):
        seen_html.page(f"link_problem.html, {purpose} used", visit(page, url, 410))
        damaged = live_server(f"/{purpose}?token=beschadigd")
        seen_html.page(f"link_problem.html, {purpose} damaged", visit(page, damaged, 400))
        old = expired.url(Purpose(purpose), signup_id)
        seen_html.page(f"link_problem.html, {purpose} expired", visit(page, old, 410))

    # The regiegroep's overview, and its link when it no longer works (its holder left the
    # regiegroep, or it expired) or is damaged.
    overview_url = runtime.links.url(Purpose.OVERVIEW, runtime.keys.email(member.email))
    seen_html.page("overview.html", visit(page, overview_url, 200))
    outsider = runtime.links.url(Purpose.OVERVIEW, runtime.keys.email(RESIDENT["E-mailadres"]))
    seen_html.page("link_problem.html, overview not for them", visit(page, outsider, 410))
    old = expired.url(Purpose.OVERVIEW, runtime.keys.email(member.email))
    seen_html.page("link_problem.html, overview expired", visit(page, old, 410))
    damaged = live_server("/overview?token=beschadigd")
    seen_html.page("link_problem.html, overview damaged", visit(page, damaged, 400))

    # The error page: a browser that opens what only Cloud Scheduler may post to.
    seen_html.page("problem.html", visit(page, live_server("/sweep-mail"), 405))

    # Every page; the layout and the macros (files named _*) are part of each.
    templates = {path.name for path in PAGES.glob("*.html") if not path.name.startswith("_")}
    templates.discard("layout.html")
    assert {name.split(",")[0] for name in seen_html.documents} == templates
    seen_html.assert_valid()
