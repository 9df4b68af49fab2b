"""The regiegroep's overview in a real browser, on a phone (360 px) and a desktop (1280 px):
the page and its chart fit without scrolling sideways, read at a legible size, pass axe and
the Nu HTML Checker, and work without JavaScript (the page has none)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.signed_links import Purpose
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.model import CURRENT, PEOPLE, SIGNUPS
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.signup import sign_up
from tests.conftest import VALID_SIGNUP
from tests.e2e.axe import assert_accessible

if TYPE_CHECKING:
    from tests.e2e.conftest import SeenHtml

pytestmark = pytest.mark.browser

MEMBER = Person("Jan Regie", "jan.regie@example.org", "+31612340101")
# Street, house number, how far the resident got; Dorpsstraat 1–49 stays without members.
RESIDENTS = (
    ("Kagerdreef", "1", "active"),
    ("Kagerdreef", "3", "active"),
    ("Kagerdreef", "5", "confirmed"),
    ("Lisserweg", "500", "pending"),
    ("Zandslootweg", "2", "active"),
    # A long name as a resident may type it, where the buitengebied has no street list.
    ("Oosterdwarsweggetjeslaantjespad <b>", "4", "pending"),
)

# The font size of each text of the chart on the screen, in CSS pixels: as set, times the
# scale at which the viewBox is drawn.
SHOWN_FONT_SIZES = """[...document.querySelectorAll("svg.chart text")].map(
  (text) => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a
)"""


def seed(firestore_client) -> str:
    """The village, and the overview link of a regiegroep member."""
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    for number, (street, house_number, step) in enumerate(RESIDENTS):
        raw = {
            **VALID_SIGNUP,
            "name": f"Bewoner Geheim{number}",
            "email": f"geheim{number}@example.org",
            "phone": f"06-2345{number:04d}",
            "street": street,
            "house_number": house_number,
        }
        before = {s.id for s in firestore_client.collection(SIGNUPS).stream()}
        sign_up(raw, **services, keys=runtime.keys)
        [signup_id] = {s.id for s in firestore_client.collection(SIGNUPS).stream()} - before
        if step != "pending":
            confirm(signup_id, **services)
        if step == "active":
            mark_added(signup_id, **services)
    people = People(regiegroep=(MEMBER,), version=1)
    firestore_client.collection(PEOPLE).document(CURRENT).set(
        people.to_document(runtime.clock.now())
    )
    return runtime.links.url(Purpose.OVERVIEW, runtime.keys.email(MEMBER.email))


@pytest.mark.parametrize("width", [360, 1280])
def test_the_overview_fits_reads_and_passes_axe_and_vnu(
    width, new_context, live_server, firestore_client, seen_html: SeenHtml, screenshots_dir
):
    url = seed(firestore_client)
    page = new_context(java_script_enabled=False).new_page()
    page.set_viewport_size({"width": width, "height": 900})

    response = page.goto(url)

    assert response is not None and response.status == 200
    assert response.header_value("cache-control") == "no-store"
    expect(page.get_by_role("heading", name="Overzicht van de dekking")).to_be_visible()
    chart = page.get_by_role("img", name="Deelnemers per straat, per gebied", exact=True)
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_description(
        re.compile(
            r"^Staafdiagram\. .* Kagerdreef: 3 \(2 actief, 1 bevestigd, 0 aangemeld\), "
            r"5% van 40 huishoudens;.* de drempel voor borden, 30%\.$"
        )
    )

    # Nothing wider than the screen: no scrolling sideways, not even at 360 px.
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width == width
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["width"] >= min(width - 40, 450)  # as wide as the text, up to its own limit

    # The chart's text, scaled with it, stays as large as the page's small print.
    sizes = page.evaluate(SHOWN_FONT_SIZES)
    assert sizes and min(sizes) >= 12, sizes
    labels = page.locator("svg.chart text").all_text_contents()
    assert "Kagerdreef" in labels and "0 · geen deelnemers" in labels
    assert "Oosterdwarsweggetjeslaantjespad <b>" in labels  # shown as typed, not as markup
    streets = page.get_by_role("table", name="Buitenkaag dorp", exact=True)
    shares = page.get_by_role("table", name="Deelname in Buitenkaag dorp, per huishouden")
    for street in ("Kagerdreef", "Dorpsstraat 1–49 (oneven nummers)"):
        for table in (streets, shares):  # the members, and the share of households
            expect(table.get_by_role("rowheader", name=street, exact=True)).to_be_visible()
    expect(shares.get_by_role("cell", name="5%", exact=True)).to_be_visible()
    # Every table fits too.
    for table in page.locator("table").all():
        table_box = table.bounding_box()
        assert table_box is not None and table_box["x"] + table_box["width"] <= width

    html = response.text()
    for number in range(len(RESIDENTS)):
        assert f"Geheim{number}" not in html and f"geheim{number}@" not in html

    page.screenshot(path=str(screenshots_dir / f"overview-{width}.png"), full_page=True)
    # axe runs as a script of its own: on the same page, in a context that allows it.
    axe_page = new_context().new_page()
    axe_page.set_viewport_size({"width": width, "height": 900})
    assert axe_page.goto(url).status == 200
    assert_accessible(axe_page)
    seen_html.page(f"overview.html at {width} px", response)
    seen_html.assert_valid()
