"""The poster and the door letter as printable pages (reach/printed.py): what they say, where
their QR code leads, and which areas and groups they can be made for. Printed to PDF and read
back (text, pages, the QR code decoded): tests/e2e/test_print_browser.py."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from buurtwhatsapp.common.rendering import deployment_environment
from buurtwhatsapp.reach.printed import Printed, UnknownPlace, plan_print, qr_code, render_print
from tests.unit.web.test_page_templates import TEMPLATES

BASE = "https://europe-west1-buurt.cloudfunctions.net"


def make(deployment, kind, area="dorp", group=None):
    plan = plan_print(kind, deployment=deployment, base_url=BASE, area_id=area, group_id=group)
    html = render_print(plan, deployment_environment(TEMPLATES, deployment.initiative))
    return plan, html


def said(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1]).split())


def test_the_qr_code_leads_to_the_form_with_the_area_set_and_the_site_is_what_one_types(
    deployment,
):
    plan, html = make(deployment, Printed.POSTER, "buitengebied")
    assert plan.signup_url == f"{BASE}/signup?area=buitengebied"
    assert plan.short_url == "www.example.org/buurtwhatsapp"  # the initiative's own site
    assert '<svg role="img" aria-label="QR-code naar het aanmeldformulier"' in html
    without_site = replace(deployment, initiative=replace(deployment.initiative, website=None))
    plan, _ = make(without_site, Printed.POSTER)
    assert plan.short_url == "europe-west1-buurt.cloudfunctions.net/signup"


def test_the_poster_has_the_name_the_motto_the_conditions_and_saar(deployment):
    text = said(make(deployment, Printed.POSTER)[1])
    for expected in (
        "Buurt WhatsApp Buitenkaag",
        "Samen voor een veilige buurt",
        "18 jaar of ouder bent",
        "WhatsApp heeft op uw smartphone of tablet",
        "woont of gevestigd bent in Buitenkaag dorp",
        "Signaleer : ziet u iets verdachts?",
        "Alarmeer : bel de politie, 112",
        "App : meld het daarna in de groep",
        "Reageer : alleen als het veilig kan",
        "www.example.org/buurtwhatsapp",
    ):
        assert expected in text, expected


def test_the_letter_says_what_the_group_is_and_is_not_and_who_runs_it_by_role(deployment):
    text = said(make(deployment, Printed.LETTER, group="dorp")[1])
    for expected in (
        "Het is geen kletsgroep",
        "Zo werkt het: SAAR",
        "Bel 112",
        "Bel 0900-8844",
        "de coördinator van de groep Buurt WhatsApp Buitenkaag Dorp",
        "gecoördineerd door de regiegroep",
        "buurtwhatsapp@example.org",
    ):
        assert expected in text, expected
    people = [p.name for p in deployment.regiegroep] + [
        g.coordinator.name for g in deployment.groups if g.coordinator
    ]
    assert people and not [name for name in people if name in text]  # a role, never a name


@pytest.mark.parametrize(
    ("area", "group", "message"),
    [
        ("maan", None, "no area 'maan' in the deployment file (areas: dorp, buitengebied)"),
        ("dorp", "buitengebied", "no group 'buitengebied' in area 'dorp' (its groups: dorp)"),
    ],
)
def test_an_area_or_group_not_in_the_file_is_refused(deployment, area, group, message):
    with pytest.raises(UnknownPlace, match=re.escape(message)):
        make(deployment, Printed.LETTER, area, group)


def test_markup_in_names_is_escaped_and_the_qr_code_is_inline_svg(deployment):
    hostile = replace(deployment.areas[0], name="Dorp <script>x</script>")
    village = replace(deployment, areas=(hostile, *deployment.areas[1:]))
    _, html = make(village, Printed.POSTER)
    assert "<script>" not in html and "Dorp &lt;script&gt;x&lt;/script&gt;" in html
    assert str(qr_code("https://x.example/signup?area=a")).startswith('<svg role="img"')
