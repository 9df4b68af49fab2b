"""The overview page (templates/pages/overview.html) and its link problem, rendered with the
real templates; read as a browser reads them. In a browser, with axe and vnu:
tests/e2e/test_overview_browser.py."""

from __future__ import annotations

import pytest

from buurtwhatsapp.model import OverviewInputs, SignupRow
from buurtwhatsapp.overview.chart import members_per_street
from buurtwhatsapp.overview.counts import build_overview
from tests.unit.web.test_page_templates import (
    CONTACT,
    Page,
    content,
    make_environment,
    make_initiative,
)

HOSTILE_STREET = "Laan <b>vet</b> & Co"


def row(status: str, street: str, number: str, group: str | None = None) -> SignupRow:
    return SignupRow(status, street, number, "2158AB", group)


@pytest.fixture(scope="module")
def templates():
    return make_environment(make_initiative())


def render(templates, overview) -> str:
    return templates.get_template("pages/overview.html").render(
        overview=overview,
        chart=members_per_street(overview),
        today="26 november 2026",
        lifetime_days=30,
    )


@pytest.fixture
def overview(deployment):
    rows = (
        row("active", "Kagerdreef", "1", "dorp"),
        row("active", "Kagerdreef", "2", "dorp"),
        row("confirmed", "Lisserweg", "500", "dorp"),
        row("pending", HOSTILE_STREET, "3"),
        row("confirmed", "Zandslootweg", "4"),
    )
    return build_overview(deployment, OverviewInputs(rows, {"dorp": 3, "buitengebied": 0}, 1, 0))


def table_rows(page: Page, caption_id: str) -> list[list[str]]:
    """The rows of the table labelled by ``caption_id``, each cell's text."""
    html_rows, current, inside = [], None, False
    for element in page.elements:
        if element.tag == "table":
            inside = element.attrs.get("aria-labelledby") == caption_id
        elif inside and element.tag == "tr":
            current = []
            html_rows.append(current)
        elif inside and element.tag in ("th", "td") and current is not None:
            current.append(element.text)
    return html_rows


def test_the_page_says_every_figure_in_words(templates, overview):
    text = content(render(templates, overview))
    assert "Zo staat het ervoor op 26 november 2026." in text
    assert "2 deelnemers zitten in een WhatsApp-groep." in text
    assert "2 deelnemers hebben de aanmelding bevestigd en wachten" in text
    assert "1 bewoner heeft zich aangemeld, maar de aanmelding nog niet bevestigd." in text
    assert "1 bevestigde deelnemer heeft nog geen groep" in text
    assert "1 straat uit de stratenlijsten heeft nog geen enkele deelnemer." in text
    assert "1 aanmelding als coördinator staat open." in text
    assert "0 e-mails konden niet worden bezorgd." in text
    assert "Alle e-mails zijn bezorgd of nog onderweg." in text
    assert (
        "Buurt WhatsApp Buitenkaag Dorp (Buitenkaag dorp): 3 van de 1024 plaatsen bezet (1%)"
        in text
    )
    assert "Nog geen deelnemers in: Dorpsstraat 1–49 (oneven nummers)." in text
    assert "U ziet alleen aantallen, nooit namen." in text
    assert "De link werkt 30 dagen" in text


def test_each_area_has_a_table_of_its_streets_with_a_total(templates, overview):
    page = Page(render(templates, overview))
    assert table_rows(page, "gebied-dorp") == [
        ["Straat", "Actief", "Bevestigd", "Aangemeld"],
        ["Kagerdreef", "2", "0", "0"],
        ["Lisserweg 480–530", "0", "1", "0"],
        ["Dorpsstraat 1–49 (oneven nummers)", "0", "0", "0"],
        ["Totaal", "2", "1", "0"],
    ]
    assert page.by_id("gebied-dorp").text == "Buitenkaag dorp"
    buitengebied = table_rows(page, "gebied-buitengebied")
    assert [r[0] for r in buitengebied[1:]] == [HOSTILE_STREET, "Zandslootweg", "Totaal"]
    # Each street's name heads its row, for a screen reader reading a number.
    row_headers = [e for e in page.all("th") if e.attrs.get("scope") == "row"]
    # ... and in the table of participation, where the file gives households.
    assert len(row_headers) == 3 + 1 + 2 + 1 + 3 + 1


def test_a_street_name_as_typed_is_escaped(templates, overview):
    html = render(templates, overview)
    assert "<b>vet</b>" not in html
    assert "Laan &lt;b&gt;vet&lt;/b&gt; &amp; Co" in html


def test_the_chart_is_inline_svg_and_the_page_has_no_script(templates, overview):
    html = render(templates, overview)
    page = Page(html)
    svg = page.one("svg")
    assert svg.attrs["role"] == "img" and svg.attrs["class"] == "chart"
    assert "<script" not in html
    assert CONTACT in html


def test_an_empty_project_reads_well(templates, deployment):
    overview = build_overview(deployment, OverviewInputs((), {}, 0, 0))
    text = content(render(templates, overview))
    assert "Uit dit gebied heeft zich nog niemand aangemeld." in text
    assert "Er staan geen aanmeldingen als coördinator open." in text
    assert "None" not in text


def test_an_overview_link_that_no_longer_works_points_to_the_monthly_mail(templates):
    for reason, expected in (
        ("expired", "Iedereen in de regiegroep krijgt elke maand een e-mail met een nieuwe link."),
        ("invalid", "Kopieer de hele link uit de e-mail"),
    ):
        html = templates.get_template("pages/link_problem.html").render(
            reason=reason, purpose="overview"
        )
        text = content(html)
        assert expected in text
        assert text.count(CONTACT) == 1


def test_participation_per_household_and_the_streets_ready_for_signs(templates, deployment):
    from dataclasses import replace

    dorp = deployment.areas[0]
    streets = (replace(dorp.streets[0], households=5), replace(dorp.streets[1], households=40))
    unknown = replace(dorp.streets[2], households=None)
    village = replace(deployment, areas=(replace(dorp, streets=(*streets, unknown)),))
    rows = (row("active", "Kagerdreef", "1", "dorp"), row("active", "Kagerdreef", "2", "dorp"))
    html = render(templates, build_overview(village, OverviewInputs(rows, {}, 0, 0)))
    said = " ".join(content(html).split())
    assert "1 straat is klaar voor borden" in said and "minstens 30%" in said
    assert (
        '<th scope="row">Kagerdreef</th><td>5</td><td>40%<br>'
        '<strong class="ready">klaar voor borden</strong></td>' in html
    )
    assert '<th scope="row">Lisserweg 480–530</th><td>40</td><td>0%</td>' in html
    assert "Van 1 straat staat het aantal huishoudens niet in de configuratie" in said


def test_without_households_the_page_shows_no_participation(templates, deployment):
    from dataclasses import replace

    def uncounted(area):
        streets = tuple(replace(street, households=None) for street in area.streets)
        return replace(area, streets=streets, households=None)

    village = replace(deployment, areas=tuple(uncounted(area) for area in deployment.areas))
    rows = (row("active", "Kagerdreef", "1", "dorp"),)
    html = render(templates, build_overview(village, OverviewInputs(rows, {}, 0, 0)))
    said = " ".join(content(html).split())
    assert "borden" not in said and "Huishoudens" not in said
