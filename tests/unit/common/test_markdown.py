"""News Markdown to the two parts of a mail: raw HTML off, no images, styled for mail clients,
and a plain-text part that says the same."""

from __future__ import annotations

import pytest

from buurtwhatsapp.common.markdown import markdown_html, markdown_text

STYLES = {"p": "P", "h": "H", "ul": "U", "li": "L", "a": "A"}


@pytest.mark.parametrize(
    ("source", "absent", "shown"),
    [
        ("<script>alert(1)</script>", "<script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "<img", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[klik](javascript:alert(1))", "href", "[klik](javascript:alert(1))"),
        ("<javascript:alert(1)>", "href", "&lt;javascript:alert(1)&gt;"),
        ("[x](vbscript:msgbox(1)) [y](data:text/html;base64,PHNjcmlwdD4=)", "href", "[x]"),
        ("[plaatje](data:image/png;base64,iVBORw0KGgo=)", "href", "[plaatje](data:"),
        ("[pad](/intern) [bestand](file:///etc/passwd)", "href", "[pad](/intern)"),
    ],
)
def test_markup_is_text_and_unsafe_links_are_no_links(source, absent, shown):
    html = markdown_html(source, STYLES)
    assert absent not in html and shown in html


def test_images_are_not_loaded_but_their_address_stays_a_link():
    html = markdown_html("![kaart](https://tracker.example/p.gif)")
    assert "<img" not in html and 'href="https://tracker.example/p.gif"' in html


def test_headings_start_below_the_mail_title_and_every_element_gets_its_style():
    html = markdown_html(
        "# Kop\n\nTekst met [link](https://example.org).\n\n- een\n- twee\n\n1. a\n", STYLES
    )
    assert '<h2 style="H">Kop</h2>' in html
    assert '<p style="P">' in html and '<a href="https://example.org" style="A">' in html
    assert '<ul style="U">' in html and '<ol style="U">' in html and '<li style="L">' in html
    assert markdown_html("#### Diep").startswith("<h4>")  # never beyond h4


def test_the_text_part_says_the_same_wrapped_with_links_written_out():
    text = markdown_text(
        "# Informatieavond\n\nOp **12 maart** komt de wijkagent naar het dorpshuis om te vertellen "
        "hoe u inbraak voorkomt. Meer op [onze site](https://example.org/nieuws).\n\n"
        "- Inloop vanaf 19.30 uur\n- Aanmelden hoeft niet\n\n1. eerst koffie\n2. dan de uitleg\n"
    )
    assert text.startswith("Informatieavond\n===============\n\n")
    assert "onze site (https://example.org/nieuws)." in text
    assert (
        "- Inloop vanaf 19.30 uur\n- Aanmelden hoeft niet\n\n1. eerst koffie\n2. dan de uitleg\n"
        in text
    )
    assert "**" not in text
    assert max(len(line) for line in text.splitlines()) <= 72


def test_the_text_part_keeps_typed_markup_literal():
    text = markdown_text('<script>alert("x")</script> en [klik](javascript:alert(1))')
    assert text == '<script>alert("x")</script> en [klik](javascript:alert(1))\n'


def test_web_and_mail_addresses_stay_links():
    html = markdown_html("[a](https://x.example) [b](HTTP://y.example) [c](mailto:info@x.example)")
    assert html.count("<a href=") == 3
