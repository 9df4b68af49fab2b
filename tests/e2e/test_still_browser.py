"""The yearly check's answer page in a real browser, on a phone and a desktop: it fits, passes
axe, works without JavaScript, and its button records the yes (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from buurtwhatsapp.common.signed_links import Purpose
from buurtwhatsapp.model import SIGNUPS
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_yes_page_fits_passes_axe_and_records_the_answer(
    width, new_context, added_member, firestore_client
):
    runtime, signup_id = added_member
    # The question is open, as housekeeping leaves it when it asks.
    firestore_client.collection(SIGNUPS).document(signup_id).update(
        {"check_stage": "asked", "check_due_at": runtime.clock.now() + timedelta(days=30)}
    )
    url = runtime.links.url(Purpose.STILL, signup_id)

    page = new_context(java_script_enabled=False).new_page()
    page.set_viewport_size({"width": width, "height": 900})
    shown = page.goto(url)
    assert shown is not None and shown.status == 200
    expect(page.get_by_role("heading", name="Doet u nog mee?")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    axe_page = new_context().new_page()
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(url)
    assert_accessible(axe_page)

    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Ja, ik doe nog mee").click()
    assert answer.value.status == 200
    expect(page.get_by_role("heading", name="Dank u wel, u doet nog mee!")).to_be_visible()
    stored = firestore_client.collection(SIGNUPS).document(signup_id).get().to_dict()
    assert stored["check_stage"] == "" and stored["checked_at"] is not None
