"""The whole journey in a real browser, as a newcomer walks it with ``make dev``.

The dev server of ``make dev`` (devstack.serve.serving: every function, and the relay that turns
each new ``mail`` document into the CloudEvent for the delivery function) runs on the test's
emulator project. Every link is taken from a real ``.eml`` file the delivery function wrote to
the outbox folder: the mail's HTML part is shown in the browser as a mail client shows it, and
its button is what the resident or coordinator follows. Every page and mail is saved as a
full-page screenshot, ``.local/screenshots/journey-<step>.png``, for review, and checked with the
Nu HTML Checker: each page as the server sent it, each mail's HTML part as it was delivered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response, expect

from buurtwhatsapp.model import APPLICATIONS, GROUP_SEATS, MAIL, SIGNUPS
from tests.e2e.forms import APPLICANT, APPLICANT_PRIVACY, CONDITIONS

if TYPE_CHECKING:
    from tests.e2e.conftest import SeenHtml

pytestmark = pytest.mark.browser


RESIDENT_NAME = "Zoë Brûlé-van 't Veld"
RESIDENT = {
    "Naam": RESIDENT_NAME,
    "E-mailadres": "zoe@example.org",
    "Mobiel nummer": "06-12345678",
    "Straat": "Kagerdreef",  # the village: group "dorp"
    "Huisnummer": "7",
    "Postcode": "2158 ab",
}

Screenshot = Callable[[Page, str], None]


@pytest.fixture
def screenshot(screenshots_dir: Path) -> Iterator[Screenshot]:
    """screenshot(page, step) saves the whole page as journey-<step>.png; old ones go first."""
    for old in screenshots_dir.glob("journey-*.png"):
        old.unlink()
    taken: list[Path] = []

    def take(page: Page, step: str) -> None:
        path = screenshots_dir / f"journey-{step}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)

    yield take
    for path in taken:
        assert path.stat().st_size > 0, path


def stored(client, collection: str) -> dict[str, dict]:
    return {snapshot.id: snapshot.to_dict() for snapshot in client.collection(collection).stream()}


def signup_status(client) -> str:
    [signup] = stored(client, SIGNUPS).values()
    return signup["status"]


def recipient(message: EmailMessage) -> str:
    [address] = message["To"].addresses
    return address.addr_spec


def subject(message: EmailMessage) -> str:
    """The subject as a mail client shows it (a long one is folded right after "Subject:")."""
    return " ".join(message["Subject"].split())


def heading(page: Page, text: str) -> Locator:
    return page.get_by_role("heading", name=text, exact=True)


def fill(page: Page, fields: dict[str, str], conditions: tuple[str, ...]) -> None:
    """Types every field and ticks every condition, each found by its label."""
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for label in conditions:
        page.get_by_label(label, exact=True).check()


def click(page: Page, button: str, path: str) -> Response:
    """Clicks the button; returns the answer to the form's POST to ``path``."""
    page.bring_to_front()  # a tab in the background draws slowly, and so is slow to click
    with page.expect_response(
        lambda response: response.request.method == "POST" and path in response.url
    ) as answer:
        page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    return answer.value


def open_link(page: Page, url: str, status: int = 200) -> Response:
    """Opens ``url`` in ``page``, brought to the front as a person would look at it."""
    page.bring_to_front()
    shown = page.goto(url)
    assert shown is not None
    assert shown.status == status, (url, shown.status)
    return shown


def read_mail(
    context: BrowserContext,
    message: EmailMessage,
    screenshot: Screenshot,
    step: str,
    seen_html: SeenHtml,
) -> Page:
    """The mail's HTML part in a page of its own, as a mail client shows it."""
    html = message.get_body(("html",)).get_content()
    seen_html.add(step, html)
    viewer = context.new_page()
    viewer.set_content(html)
    screenshot(viewer, step)
    return viewer


def follow(viewer: Page, message: EmailMessage, link: str, path: str) -> str:
    """The URL behind the mail's button or link named ``link``; the text part has it too."""
    url = viewer.get_by_role("link", name=link, exact=True).first.get_attribute("href")
    assert url is not None
    assert re.fullmatch(rf"http://localhost:\d+/{path}\?token=[\w.\-]+", url), url
    assert url in message.get_body(("plain",)).get_content()
    viewer.close()
    return url


def test_a_newcomer_walks_the_whole_journey_in_the_browser(
    dev_stack, new_context, firestore_client, deployment, screenshot, seen_html
):
    base_url, outbox = dev_stack
    group = deployment.group("dorp")
    resident_context = new_context()
    page = resident_context.new_page()
    mail_client = new_context()  # where each mail is read

    # 1. The resident signs up with the form.
    seen_html.page("01-signup-form", open_link(page, f"{base_url}/signup"))
    screenshot(page, "01-signup-form")
    fill(page, RESIDENT, CONDITIONS)
    screenshot(page, "02-signup-filled")
    answer = click(page, "Aanmelden", "/signup")
    assert answer.status == 303
    seen_html.page("03-signup-received", answer)
    expect(page).to_have_url(re.compile(r"/signup\?received=1$"))
    expect(heading(page, "Dank u wel voor uw aanmelding!")).to_be_visible()
    screenshot(page, "03-signup-received")
    assert signup_status(firestore_client) == "pending"

    # 2. The werkwijze mail's button opens a page that changes nothing until its button is clicked.
    werkwijze = outbox.next_mail("Welkom!")
    assert recipient(werkwijze) == "zoe@example.org"
    assert subject(werkwijze) == "Welkom! Bevestig uw aanmelding bij Buurt WhatsApp Buitenkaag"
    viewer = read_mail(mail_client, werkwijze, screenshot, "mail-1-werkwijze", seen_html)
    confirm_url = follow(viewer, werkwijze, "Aanmelding bevestigen", "confirm")

    seen_html.page("04-confirm", open_link(page, confirm_url))
    expect(heading(page, "Bevestig uw aanmelding")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.get_by_role("button")).to_have_text("Aanmelding bevestigen")
    screenshot(page, "04-confirm")
    assert signup_status(firestore_client) == "pending"
    assert len(stored(firestore_client, MAIL)) == 1  # the werkwijze only: no alert queued
    assert stored(firestore_client, GROUP_SEATS) == {}

    answer = click(page, "Aanmelding bevestigen", "/confirm")
    assert answer.status == 200
    seen_html.page("05-confirmed", answer)
    expect(heading(page, "Dank u wel, uw aanmelding is bevestigd!")).to_be_visible()
    expect(page.get_by_text(f"U komt in de groep {group.name}.")).to_be_visible()
    screenshot(page, "05-confirmed")
    assert signup_status(firestore_client) == "confirmed"

    # 3. The coordinator's alert carries a contact card; its button marks the member added.
    alert = outbox.next_mail("Nieuwe deelnemer")
    assert recipient(alert) == group.coordinator.email
    assert subject(alert) == f"Nieuwe deelnemer voor {group.name}: {RESIDENT_NAME}"
    [card] = [part for part in alert.iter_attachments() if part.get_content_type() == "text/vcard"]
    assert card.get_filename() == f"{RESIDENT_NAME}.vcf"
    # The bytes a phone reads; the part names no charset (see the report), so decode as UTF-8.
    lines = card.get_payload(decode=True).decode("utf-8").splitlines()
    assert lines[0] == "BEGIN:VCARD" and lines[-1] == "END:VCARD"
    assert f"FN:{RESIDENT_NAME}" in lines
    assert "TEL;TYPE=CELL:+31612345678" in lines
    viewer = read_mail(mail_client, alert, screenshot, "mail-2-coordinator-alert", seen_html)
    expect(
        viewer.get_by_role("link", name=f"WhatsApp-bericht sturen aan {RESIDENT_NAME}")
    ).to_have_attribute("href", "https://wa.me/31612345678")
    added_url = follow(viewer, alert, "Ik heb deze deelnemer toegevoegd", "added")

    coordinator = new_context().new_page()  # the coordinator's own browser
    seen_html.page("06-added", open_link(coordinator, added_url))
    expect(heading(coordinator, f"Heeft u {RESIDENT_NAME} toegevoegd?")).to_be_visible()
    expect(coordinator.get_by_role("button")).to_have_count(1)
    screenshot(coordinator, "06-added")
    assert signup_status(firestore_client) == "confirmed"

    answer = click(coordinator, f"Ja, ik heb {RESIDENT_NAME} toegevoegd", "/added")
    assert answer.status == 200
    seen_html.page("07-added-done", answer)
    expect(heading(coordinator, "Dank u wel!")).to_be_visible()
    screenshot(coordinator, "07-added-done")
    assert signup_status(firestore_client) == "active"

    # 4. The resident's "added" mail; its leave link erases everything, once.
    welcome = outbox.next_mail("U bent toegevoegd")
    assert recipient(welcome) == "zoe@example.org"
    assert subject(welcome) == f"U bent toegevoegd aan de WhatsApp-groep {group.name}"
    viewer = read_mail(mail_client, welcome, screenshot, "mail-3-added", seen_html)
    leave_url = follow(viewer, welcome, "Afmelden en uw gegevens laten wissen", "leave")

    seen_html.page("08-leave", open_link(page, leave_url))
    expect(heading(page, "Afmelden bij Buurt WhatsApp Buitenkaag")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(1)
    screenshot(page, "08-leave")
    # The same page, left open in another tab, to be clicked once the data is gone.
    other_tab = resident_context.new_page()
    open_link(other_tab, leave_url)
    assert signup_status(firestore_client) == "active"

    answer = click(page, "Afmelden en gegevens wissen", "/leave")
    assert answer.status == 200
    seen_html.page("09-left", answer)
    expect(heading(page, "U bent afgemeld")).to_be_visible()
    screenshot(page, "09-left")
    assert stored(firestore_client, SIGNUPS) == {}
    assert stored(firestore_client, GROUP_SEATS) == {}

    left = outbox.next_mail("U bent afgemeld")
    assert recipient(left) == "zoe@example.org"
    read_mail(mail_client, left, screenshot, "mail-4-left", seen_html).close()
    remove = outbox.next_mail("heeft zich afgemeld")
    assert recipient(remove) == group.coordinator.email
    read_mail(mail_client, remove, screenshot, "mail-5-coordinator-remove", seen_html).close()

    seen_html.page("10-leave-again", open_link(page, leave_url, status=410))
    expect(heading(page, "Er is niets meer te wissen")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
    screenshot(page, "10-leave-again")

    answer = click(other_tab, "Afmelden en gegevens wissen", "/leave")
    assert answer.status == 410
    seen_html.page("11-leave-again-other-tab", answer)
    expect(heading(other_tab, "Er is niets meer te wissen")).to_be_visible()
    screenshot(other_tab, "11-leave-again-other-tab")
    other_tab.close()

    # 5. A neighbour applies to become coordinator.
    seen_html.page("12-coordinator-form", open_link(page, f"{base_url}/coordinator"))
    expect(heading(page, "Word coördinator van een buurtgroep")).to_be_visible()
    screenshot(page, "12-coordinator-form")
    fill(page, APPLICANT, (APPLICANT_PRIVACY,))
    screenshot(page, "13-coordinator-filled")
    answer = click(page, "Aanmelden als coördinator", "/coordinator")
    assert answer.status == 303
    seen_html.page("14-coordinator-received", answer)
    expect(page).to_have_url(re.compile(r"/coordinator\?received=1$"))
    expect(heading(page, "Dank u wel voor uw aanmelding als coördinator!")).to_be_visible()
    screenshot(page, "14-coordinator-received")
    [application] = stored(firestore_client, APPLICATIONS).values()
    assert application["email"] == "bram@example.org"

    ack = outbox.next_mail("Bedankt voor uw aanmelding als coördinator")
    assert recipient(ack) == "bram@example.org"
    read_mail(mail_client, ack, screenshot, "mail-6-application-ack", seen_html).close()
    alerts = [
        outbox.next_mail("Nieuwe aanmelding als coördinator", to=member.email)
        for member in deployment.regiegroep
    ]
    assert [recipient(alert) for alert in alerts] == [
        member.email for member in deployment.regiegroep
    ]
    read_mail(mail_client, alerts[0], screenshot, "mail-7-application-alert", seen_html).close()

    # 6. Every page and mail of the journey passes the Nu HTML Checker: one run for them all.
    seen_html.assert_valid()
