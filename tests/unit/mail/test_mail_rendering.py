"""Rendering mail (and pages) with the real templates: subject, HTML part and text part."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from pathlib import Path

import jinja2
import pytest

from buurtwhatsapp.common.rendering import RenderedMail, render_mail, template_environment
from buurtwhatsapp.deployment.structure import Initiative

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"

CONFIRM_URL = "https://buurt.example/confirm?token=Zm9vLmJhcg.c2lnbmF0dXJl"
LEAVE_URL = "https://buurt.example/leave?token=bGVhdmUuc2lnbmVk.bWFjLXZhbHVl"
SAAR = ("Signaleer", "Alarmeer", "App", "Reageer")
REGION = "Buitenkaag en het buitengebied"


def make_initiative(
    website: str | None = "https://www.buitenkaag.example/buurtwhatsapp", region: str = REGION
):
    return Initiative(
        name="Buurt WhatsApp Buitenkaag",
        place="Buitenkaag",
        contact_email="buurtwhatsapp@buitenkaag.example",
        website=website,
        rules_version="2026-11",
        privacy_version="2026-11",
        privacy_retention_days=30,
        region=region,
    )


def reads(body: str) -> str:
    """What a part says: tags stripped and runs of whitespace made one space."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", body)).split())


def werkwijze_context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "initiative": make_initiative(),
        "confirm_url": CONFIRM_URL,
        "leave_url": LEAVE_URL,
    }
    context.update(overrides)
    return context


@pytest.fixture(scope="module")
def templates() -> jinja2.Environment:
    return template_environment(TEMPLATES)


@pytest.fixture(scope="module")
def werkwijze(templates: jinja2.Environment) -> RenderedMail:
    return render_mail(templates, "werkwijze", werkwijze_context())


def write_mail(root: Path, name: str, subject: str) -> None:
    """A minimal mail directory under ``root``, with the given subject template."""
    directory = root / "mail" / name
    directory.mkdir(parents=True)
    (directory / "subject.txt").write_text(subject, encoding="utf-8")
    (directory / "body.html").write_text("<p>{{ name }}</p>\n", encoding="utf-8")
    (directory / "body.txt").write_text("{{ name }}\n", encoding="utf-8")


# --- The werkwijze mail -----------------------------------------------------------------------


def test_werkwijze_subject_is_one_nonempty_line_naming_the_initiative(werkwijze):
    assert werkwijze.subject
    assert "\n" not in werkwijze.subject and "\r" not in werkwijze.subject
    assert werkwijze.subject == werkwijze.subject.strip()
    assert "Buurt WhatsApp Buitenkaag" in werkwijze.subject


@pytest.mark.parametrize("part", ["html", "text"])
def test_werkwijze_carries_links_numbers_and_saar(werkwijze, part):
    body = getattr(werkwijze, part)
    for expected in (CONFIRM_URL, LEAVE_URL, "112", "0900-8844", *SAAR):
        assert expected in body, f"{expected!r} missing from the {part} part"


@pytest.mark.parametrize("part", ["html", "text"])
def test_werkwijze_names_the_region_of_the_initiative(werkwijze, part):
    said = reads(getattr(werkwijze, part))
    assert f"Samen alert op verdachte situaties in {REGION}" in said
    assert f"zodat verdachte situaties in {REGION} sneller opvallen." in said
    assert f"Dank u wel dat u meehelpt om {REGION} veilig te houden!" in said


def test_werkwijze_without_a_region_names_the_place_and_no_buitengebied(templates):
    mail = render_mail(
        templates, "werkwijze", werkwijze_context(initiative=make_initiative(region=""))
    )
    for body in (mail.html, mail.text):
        assert "zodat verdachte situaties in Buitenkaag sneller opvallen." in reads(body)
        assert "buitengebied" not in body.lower()


@pytest.mark.parametrize("part", ["html", "text"])
def test_werkwijze_asks_to_say_that_the_police_was_called(werkwijze, part):
    said = reads(getattr(werkwijze, part))
    assert "Zet in de groep dat de politie al gebeld is." in said
    # The point of it: not everyone calls, and the police does not get the same report ten times.
    assert "niet ook hoeven te bellen" in said
    assert "niet tien keer dezelfde melding" in said
    assert "112 al gebeld" not in said


def test_html_links_the_buttons_and_footer_to_the_right_urls(werkwijze):
    anchors = {
        unescape(re.sub(r"<[^>]+>", "", label)).strip(): unescape(href)
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', werkwijze.html, re.S)
    }
    assert anchors["Aanmelding bevestigen"] == CONFIRM_URL
    assert anchors["Afmelden en uw gegevens laten wissen"] == LEAVE_URL
    assert anchors["buurtwhatsapp@buitenkaag.example"] == "mailto:buurtwhatsapp@buitenkaag.example"


def test_text_part_has_every_link_and_section_of_the_html_part(werkwijze):
    hrefs = {unescape(href) for href in re.findall(r'href="([^"]+)"', werkwijze.html)}
    assert hrefs, "the HTML part has no links"
    for href in hrefs:
        assert href.removeprefix("mailto:") in werkwijze.text, f"{href} missing from the text"
    headings = [
        unescape(re.sub(r"<[^>]+>", "", heading)).strip()
        for heading in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", werkwijze.html, re.S)
    ]
    assert len(headings) >= 6
    for heading in headings:
        assert heading in werkwijze.text, f"section {heading!r} missing from the text"


def test_text_part_is_plain_and_tidy(werkwijze):
    text = werkwijze.text
    assert "<" not in text and "&lt;" not in text and "&amp;" not in text and "&#" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\n\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert all(len(line) <= 76 or line.startswith("https://") for line in text.split("\n"))


def test_html_part_is_a_dutch_document_of_mail_width(werkwijze):
    assert werkwijze.html.lstrip().lower().startswith("<!doctype html>")
    assert '<html lang="nl">' in werkwijze.html
    assert "max-width:600px" in werkwijze.html


def test_without_website_neither_part_mentions_one(templates):
    mail = render_mail(
        templates, "werkwijze", werkwijze_context(initiative=make_initiative(website=None))
    )
    for body in (mail.html, mail.text):
        assert "None" not in body
        assert "buurtwhatsapp@buitenkaag.example" in body
    assert "Website:" not in mail.text
    assert "kijk op" not in mail.html


def test_werkwijze_quotes_nothing_typed_even_when_given_a_name(templates):
    # It goes to an address nobody confirmed yet: whoever typed the form may not own it.
    name = "Klik op https://ev.il/inloggen"
    mail = render_mail(templates, "werkwijze", werkwijze_context(name=name))
    for part in (mail.subject, mail.html, mail.text):
        assert "ev.il" not in part


def test_url_with_ampersand_is_escaped_in_html_only(templates):
    url = "https://buurt.example/confirm?token=a&next=b"
    mail = render_mail(templates, "werkwijze", werkwijze_context(confirm_url=url))
    assert 'href="https://buurt.example/confirm?token=a&amp;next=b"' in mail.html
    assert url in mail.text


@pytest.mark.parametrize("missing", ["initiative", "confirm_url", "leave_url"])
def test_a_missing_context_value_raises(templates, missing):
    context = werkwijze_context()
    del context[missing]
    with pytest.raises(jinja2.UndefinedError):
        render_mail(templates, "werkwijze", context)


def test_rendered_mail_is_frozen(werkwijze):
    with pytest.raises(dataclasses.FrozenInstanceError):
        werkwijze.subject = "iets anders"  # type: ignore[misc]


# --- The shared layouts ----------------------------------------------------------------------


def with_probe_mail(html_body: str, text_body: str) -> jinja2.Environment:
    """The real templates plus a mail ``probe`` whose bodies extend the real layouts."""
    environment = template_environment(TEMPLATES)
    probe = {
        "mail/probe/subject.txt": "Proef",
        "mail/probe/body.html": '{% extends "mail/layout.html" %}' + html_body,
        "mail/probe/body.txt": '{% extends "mail/layout.txt" %}' + text_body,
    }
    environment.loader = jinja2.ChoiceLoader([jinja2.DictLoader(probe), environment.loader])
    return environment


def test_layout_footer_carries_leave_link_and_contact():
    environment = with_probe_mail(
        "{% block content %}<p>Inhoud</p>{% endblock %}",
        "{% block content %}Inhoud{% endblock %}",
    )
    mail = render_mail(
        environment, "probe", {"initiative": make_initiative(), "leave_url": LEAVE_URL}
    )
    assert re.search(
        rf'<a href="{re.escape(LEAVE_URL)}"[^>]*>Afmelden en uw gegevens laten wissen</a>',
        mail.html,
    )
    assert f"Afmelden en uw gegevens laten wissen:\n{LEAVE_URL}\n" in mail.text
    for body in (mail.html, mail.text):
        assert "Inhoud" in body
        assert "buurtwhatsapp@buitenkaag.example" in body
        assert "https://www.buitenkaag.example/buurtwhatsapp" in body


def test_layout_needs_a_leave_url_unless_the_mail_overrides_the_leave_block():
    plain = with_probe_mail("", "")
    with pytest.raises(jinja2.UndefinedError, match="leave_url"):
        render_mail(plain, "probe", {"initiative": make_initiative()})

    not_for_a_resident = with_probe_mail(
        "{% block leave %}{% endblock %}", "{% block leave %}{% endblock %}"
    )
    mail = render_mail(not_for_a_resident, "probe", {"initiative": make_initiative()})
    assert "Afmelden" not in mail.html and "Afmelden" not in mail.text
    assert "buurtwhatsapp@buitenkaag.example" in mail.text


# --- Subjects and names -----------------------------------------------------------------------


def test_subject_is_stripped_and_whitespace_collapsed(tmp_path):
    write_mail(tmp_path, "spaces", "  Welkom   bij\tde  {{ name }}  \n")
    mail = render_mail(template_environment(tmp_path), "spaces", {"name": "buurt"})
    assert mail.subject == "Welkom bij de buurt"


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Regel een\nRegel twee\n", "x"),
        ("Welkom {{ name }}\n", "Zoë\r\nBcc: iedereen@example.org"),
        ("Welkom {{ name }}", "Zoë\rBcc: iedereen@example.org"),
        ("Welkom {{ name }}", "Zoë\u2028Bcc: iedereen@example.org"),
    ],
    ids=["template-newline", "crlf-in-value", "cr-in-value", "unicode-line-separator"],
)
def test_subject_over_several_lines_is_refused(tmp_path, subject, name):
    write_mail(tmp_path, "broken", subject)
    with pytest.raises(ValueError, match="more than one line"):
        render_mail(template_environment(tmp_path), "broken", {"name": name})


def test_subject_with_a_control_character_is_refused(tmp_path):
    write_mail(tmp_path, "control", "Welkom {{ name }}")
    with pytest.raises(ValueError, match="control character"):
        render_mail(template_environment(tmp_path), "control", {"name": "Zoë\x00"})


def test_empty_subject_is_refused(tmp_path):
    write_mail(tmp_path, "empty", "{{ name }}\n")
    with pytest.raises(ValueError, match="empty"):
        render_mail(template_environment(tmp_path), "empty", {"name": "  "})


@pytest.mark.parametrize("name", ["../pages", "mail/werkwijze", "Werkwijze", "", "werkwijze/"])
def test_only_plain_mail_names_are_accepted(templates, name):
    with pytest.raises(ValueError, match="not a mail template name"):
        render_mail(templates, name, werkwijze_context())


def test_an_unknown_mail_is_not_found(templates):
    with pytest.raises(jinja2.TemplateNotFound):
        render_mail(templates, "bestaat-niet", werkwijze_context())


# --- Autoescape per kind of template -----------------------------------------------------------


def test_page_templates_still_autoescape(templates):
    html = templates.get_template("pages/problem.html").render(
        initiative=make_initiative(), message="<b>vet</b> & zo", status=400
    )
    assert "<b>vet</b>" not in html
    assert "&lt;b&gt;vet&lt;/b&gt; &amp; zo" in html


def test_only_txt_templates_go_unescaped(templates):
    assert templates.autoescape("mail/werkwijze/body.txt") is False
    assert templates.autoescape("mail/werkwijze/body.html") is True
    assert templates.autoescape("pages/signup.html") is True
    assert templates.from_string("{{ v }}").render(v="<a> & 'b'") == "&lt;a&gt; &amp; &#39;b&#39;"
