"""Into the group in a real browser, on ``make dev``'s server and mail relay: a group with an
invite link (invite mode) and one without (add mode), on a phone (360 px) and a desktop
(1280 px). Every link is taken from a delivered ``.eml``; every page passes axe and the Nu
HTML Checker, and none scrolls sideways."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from buurtwhatsapp import bootstrap
from buurtwhatsapp.coordinators.group_desk import set_invite_link
from buurtwhatsapp.model import SIGNUPS
from tests.e2e.axe import assert_accessible
from tests.e2e.forms import CONDITIONS
from tests.e2e.test_journey_browser import (
    RESIDENT,
    RESIDENT_NAME,
    click,
    fill,
    heading,
    open_link,
    recipient,
)

if TYPE_CHECKING:
    from tests.e2e.conftest import SeenHtml

pytestmark = pytest.mark.browser

INVITE_LINK = "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd"
NEIGHBOUR = {
    **RESIDENT,
    "Naam": "Sem de Boer",
    "E-mailadres": "sem@example.org",
    "Mobiel nummer": "06-23456789",
    "Huisnummer": "9",
}


def status_of(client, name: str) -> str:
    [status] = [
        s.get("status") for s in client.collection(SIGNUPS).stream() if s.get("name") == name
    ]
    return status


def mail_link(message, name: str) -> str:
    """The URL behind the link or button called ``name`` in the mail's HTML part."""
    import re
    from html import unescape

    html = message.get_body(("html",)).get_content()
    for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        if " ".join(re.sub(r"<[^>]+>", "", text).split()) == name:
            return unescape(href)
    raise AssertionError(f"no link {name!r} in {message['Subject']}")


def check_page(page: Page, width: int, new_context, url: str) -> None:
    """Fits the screen, and passes axe (in a context that allows its script)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (page.url, scroll_width)
    axe_page = new_context().new_page()
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(url)
    assert_accessible(axe_page)
    axe_page.close()


def sign_up_and_confirm(page: Page, base_url: str, outbox, fields: dict[str, str]) -> None:
    open_link(page, f"{base_url}/signup")
    fill(page, fields, CONDITIONS)
    assert click(page, "Aanmelden", "/signup").status == 303
    werkwijze = outbox.next_mail("Welkom!", to=fields["E-mailadres"])
    open_link(page, mail_link(werkwijze, "Aanmelding bevestigen"))
    assert click(page, "Aanmelding bevestigen", "/confirm").status == 200


@pytest.mark.parametrize("width", [360, 1280])
def test_both_ways_into_the_group_end_to_end(
    width,
    dev_stack,
    new_context,
    firestore_client,
    deployment,
    seen_html: SeenHtml,
    screenshots_dir,
):
    base_url, outbox = dev_stack
    runtime = bootstrap.runtime()
    group = deployment.group("dorp")
    set_invite_link(
        "dorp", INVITE_LINK, deployment=runtime.deployment, store=runtime.store, clock=runtime.clock
    )
    resident = new_context(java_script_enabled=False).new_page()
    resident.set_viewport_size({"width": width, "height": 900})
    coordinator = new_context(java_script_enabled=False).new_page()
    coordinator.set_viewport_size({"width": width, "height": 900})

    # Invite mode: sign up, confirm; the confirmed page and the welcome mail lead to /join.
    sign_up_and_confirm(resident, base_url, outbox, RESIDENT)
    expect(resident.get_by_role("link", name="Toegang vragen tot de groep")).to_be_visible()
    welcome = outbox.next_mail("Nog één stap")
    assert recipient(welcome) == RESIDENT["E-mailadres"]
    join_url = mail_link(welcome, "Toegang vragen tot de groep")
    seen_html.page(f"join at {width}", open_link(resident, join_url))
    button = resident.get_by_role("link", name="Open de groep in WhatsApp")
    expect(button).to_have_attribute("href", INVITE_LINK)
    expect(resident.get_by_text("keurt het binnen een paar dagen goed")).to_be_visible()
    check_page(resident, width, new_context, join_url)
    resident.screenshot(path=str(screenshots_dir / f"join-{width}.png"), full_page=True)

    # The alert names the request to approve, and links the coordinator's own page.
    alert = outbox.next_mail("Nieuwe deelnemer", to=group.coordinator.email)
    text = " ".join(alert.get_body(("plain",)).get_content().replace(">>", "").split())
    assert f"{RESIDENT_NAME}, nummer eindigt op 678" in text
    group_url = mail_link(alert, "Open uw groepspagina")
    seen_html.page(f"group at {width}", open_link(coordinator, group_url))
    expect(heading(coordinator, "Wachten op u (1)")).to_be_visible()
    expect(coordinator.get_by_text("Wachtende deelnemers")).to_be_visible()
    check_page(coordinator, width, new_context, group_url)
    coordinator.screenshot(path=str(screenshots_dir / f"group-{width}.png"), full_page=True)

    answer = click(coordinator, f"Toegevoegd: {RESIDENT_NAME}", "/group")
    assert answer.status == 303
    expect(coordinator.get_by_role("status")).to_contain_text("Verwerkt")
    expect(heading(coordinator, "Wachten op u (0)")).to_be_visible()
    assert status_of(firestore_client, RESIDENT_NAME) == "active"
    added = outbox.next_mail("U bent toegevoegd", to=RESIDENT["E-mailadres"])
    assert group.name in added["Subject"]

    # Add mode, reached from the page: the coordinator clears the link and adds by hand.
    answer = click(coordinator, "Link verwijderen en zelf toevoegen", "/group")
    assert answer.status == 303
    assert runtime.store.group_invite("dorp") is None
    neighbour = new_context(java_script_enabled=False).new_page()
    neighbour.set_viewport_size({"width": width, "height": 900})
    sign_up_and_confirm(neighbour, base_url, outbox, NEIGHBOUR)
    expect(neighbour.get_by_role("link", name="Toegang vragen tot de groep")).to_have_count(0)
    alert = outbox.next_mail("Nieuwe deelnemer", to=group.coordinator.email)
    assert "nummer eindigt op" not in alert.get_body(("plain",)).get_content()
    group_url = mail_link(alert, "Open uw groepspagina")
    seen_html.page(f"group add mode at {width}", open_link(coordinator, group_url))
    expect(coordinator.get_by_text("U voegt nieuwe deelnemers zelf toe.")).to_be_visible()
    assert click(coordinator, "Toegevoegd: Sem de Boer", "/group").status == 303
    assert status_of(firestore_client, "Sem de Boer") == "active"
    outbox.next_mail("U bent toegevoegd", to="sem@example.org")
    seen_html.assert_valid()
