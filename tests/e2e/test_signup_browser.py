"""A resident signs up in a real browser, against the real functions and a Firestore emulator.

Every field is found by its label, as a person (or a screen reader) finds it: a label that is not
tied to its input fails these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from buurtwhatsapp.model import MAIL, SIGNUPS

pytestmark = pytest.mark.browser

RESIDENT = {
    "Naam": "Zoë Brûlé-van 't Veld",
    "E-mailadres": "zoe@example.org",
    "Mobiel nummer": "06-12345678",
    "Straat": "Lisserweg",
    "Huisnummer": "12a",
    "Postcode": "2158 ab",
    # Two lines: a browser sends a textarea's line breaks as CR LF.
    "Wilt u nog iets kwijt? (niet verplicht)": "Ik woon op de hoek.\nBel gerust aan.",
}
CONDITIONS = {
    "adult": "Ik ben 18 jaar of ouder.",
    "whatsapp": "Ik heb WhatsApp op mijn smartphone of tablet.",
    "rules": "Ik houd me aan de groepsregels.",
    "privacy": "Ik ga akkoord met de privacyverklaring.",
}
LANDLINE = "071-5123456"


def stored(client, collection: str) -> list[dict]:
    return [snapshot.to_dict() for snapshot in client.collection(collection).stream()]


def fill_form(page: Page, fields: dict[str, str], conditions: list[str]) -> None:
    """Types every field and ticks the named conditions, each found by its label."""
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for name in conditions:
        page.get_by_label(CONDITIONS[name]).check()


def submit(page: Page) -> Response:
    """Clicks "Aanmelden"; returns the answer to the POST (the page then shows what followed)."""
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/signup" in response.url
    ) as answer:
        page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    return answer.value


def sign_up_as_resident(page: Page, live_server, firestore_client) -> None:
    page.goto(live_server("/signup"))
    expect(page).to_have_title(re.compile("^Aanmelden"))
    fill_form(page, RESIDENT, list(CONDITIONS))

    answer = submit(page)

    assert answer.status == 303
    expect(page).to_have_url(re.compile(r"/signup\?received=1$"))
    expect(page.get_by_role("heading", name=re.compile("^Dank u wel"))).to_be_visible()
    [signup] = stored(firestore_client, SIGNUPS)
    assert signup["status"] == "pending"
    assert signup["name"] == RESIDENT["Naam"]
    assert signup["email"] == "zoe@example.org"
    assert signup["phone"] == "+31612345678"
    assert signup["street"] == "Lisserweg"
    assert signup["house_number"] == "12a"
    assert signup["postcode"] == "2158AB"
    assert signup["remarks"] == "Ik woon op de hoek.\nBel gerust aan."
    assert len(stored(firestore_client, MAIL)) == 1


def test_a_resident_signs_up_and_lands_on_the_thank_you_page(page, live_server, firestore_client):
    sign_up_as_resident(page, live_server, firestore_client)


def test_a_signup_works_with_javascript_disabled(new_context, live_server, firestore_client):
    page = new_context(java_script_enabled=False).new_page()
    sign_up_as_resident(page, live_server, firestore_client)


def submit_with_a_landline_and_without_privacy(page: Page, live_server) -> Response:
    page.goto(live_server("/signup"))
    fill_form(page, {**RESIDENT, "Mobiel nummer": LANDLINE}, ["adult", "whatsapp", "rules"])
    return submit(page)


def test_a_mistake_brings_the_form_back_with_everything_typed_kept(
    page, live_server, firestore_client
):
    answer = submit_with_a_landline_and_without_privacy(page, live_server)

    assert answer.status == 422
    expect(page).to_have_title(re.compile("^Controleer uw gegevens"))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Controleer uw gegevens")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(summary.get_by_role("link", name=re.compile("vast nummer"))).to_have_attribute(
        "href", "#phone"
    )
    expect(summary.get_by_role("link", name=re.compile("privacyverklaring"))).to_have_attribute(
        "href", "#privacy"
    )

    # Each message stands beside its field and is read out with it.
    phone = page.get_by_label("Mobiel nummer", exact=True)
    expect(page.locator(".field.invalid #phone-error")).to_contain_text("vast nummer")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("vast nummer"))
    privacy = page.get_by_label(CONDITIONS["privacy"])
    expect(page.locator(".check.invalid #privacy-error")).to_contain_text("privacyverklaring")
    expect(privacy).to_have_attribute("aria-invalid", "true")
    expect(privacy).not_to_be_checked()
    expect(page.locator(".error")).to_have_count(2)

    # Nothing the resident typed is lost.
    for label, value in {**RESIDENT, "Mobiel nummer": LANDLINE}.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    for name in ("adult", "whatsapp", "rules"):
        expect(page.get_by_label(CONDITIONS[name])).to_be_checked()

    assert stored(firestore_client, SIGNUPS) == []
    assert stored(firestore_client, MAIL) == []


def test_screenshots_of_the_form_for_review(page, live_server, screenshots_dir: Path):
    empty = screenshots_dir / "signup.png"
    with_errors = screenshots_dir / "signup-errors.png"
    for old in (empty, with_errors):
        old.unlink(missing_ok=True)

    page.goto(live_server("/signup"))
    page.screenshot(path=empty, full_page=True)
    answer = submit_with_a_landline_and_without_privacy(page, live_server)
    assert answer.status == 422
    page.screenshot(path=with_errors, full_page=True)

    for screenshot in (empty, with_errors):
        assert screenshot.stat().st_size > 0, screenshot
