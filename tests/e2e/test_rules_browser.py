"""The page to accept new group rules in a real browser, on a phone and a desktop: it fits,
passes axe, works without JavaScript, and its button records the acceptance (issue 18)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from buurtwhatsapp.common.signed_links import Purpose
from buurtwhatsapp.model import SIGNUPS
from tests.e2e.axe import assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_rules_page_fits_passes_axe_and_records_the_acceptance(
    width, new_context, added_member, firestore_client
):
    runtime, signup_id = added_member
    # Accepted at sign-up under rules that have changed since.
    firestore_client.collection(SIGNUPS).document(signup_id).update({"accepted.rules": "2025-01"})
    url = runtime.links.url(Purpose.RULES, signup_id)
    version = runtime.deployment.initiative.rules_version

    page = new_context(java_script_enabled=False).new_page()
    page.set_viewport_size({"width": width, "height": 900})
    shown = page.goto(url)
    assert shown is not None and shown.status == 200
    expect(page.get_by_role("heading", name="Nieuwe groepsregels")).to_be_visible()
    expect(page.get_by_role("listitem").first).to_contain_text("melden van verdachte situaties")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    axe_page = new_context().new_page()
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(url)
    assert_accessible(axe_page)

    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Ik ga akkoord met de groepsregels").click()
    assert answer.value.status == 200
    expect(page.get_by_role("heading", name="Dank u wel!")).to_be_visible()
    stored = firestore_client.collection(SIGNUPS).document(signup_id).get().to_dict()
    assert stored["accepted"]["rules"] == version and stored["accepted"]["rules_at"] is not None

    assert page.goto(url).status == 200  # type: ignore[union-attr]
    expect(
        page.get_by_role("heading", name="U heeft de groepsregels al geaccepteerd")
    ).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
