"""What a link to the form may carry (forms/validation.py): the area and street it fills in,
and the ``redirect`` back to an allowed site after a valid sign-up; and the frame's CSP
(web/embedding.py)."""

from __future__ import annotations

import pytest

from buurtwhatsapp.forms.validation import (
    UNKNOWN_AREA,
    UNUSABLE_STREET,
    RedirectRefused,
    check_redirect,
    prefill_from_link,
)
from buurtwhatsapp.settings import Settings
from buurtwhatsapp.web.embedding import form_headers

SITE = "https://www.buurt.example"
ALLOWED = (SITE, "http://localhost:8081")


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        (f"{SITE}/bedankt?x=1#boven", SITE),
        ("HTTPS://WWW.BUURT.EXAMPLE/bedankt", SITE),  # scheme and host are case-insensitive
        ("https://www.buurt.example:443/bedankt", SITE),  # the default port, written out
        ("http://localhost:8081/", "http://localhost:8081"),
    ],
)
def test_a_redirect_to_an_allowed_site_goes_back_there(given, origin):
    back = check_redirect(given, ALLOWED)
    assert back is not None and (back.url, back.origin) == (given, origin)


@pytest.mark.parametrize(
    "given",
    [
        "https://ev.il/",
        "//www.buurt.example/",  # protocol-relative
        "/bedankt",
        "javascript:alert(1)//https://www.buurt.example",
        "https://www.buurt.example@ev.il/",
        "https://ev.il#@www.buurt.example",
        "https://ev.il\\@www.buurt.example/",
        "https://www.buurt.example.ev.il/",
        "http://www.buurt.example/",  # another scheme is another origin
        "https://www.buurt.example:8443/",
        "https://www.buurt.example:/",  # an empty port
        "https://www.buurt.example:0/",
        "https://www.buurt.example/\r\nSet-Cookie: x",
        "https://www.buurt.example/ bedankt",
        "https://www.bürt.example/",
        "https://www.buurt.example/" + "x" * 2000,
        ["https://www.buurt.example/"],
    ],
)
def test_a_redirect_anywhere_else_is_refused(given):
    with pytest.raises(RedirectRefused):
        check_redirect(given, ALLOWED)


def test_no_redirect_asked_is_none():
    assert check_redirect(None, ALLOWED) is None and check_redirect("", ALLOWED) is None


def test_a_link_fills_in_what_the_form_would_take(deployment):
    filled = prefill_from_link({"area": "dorp", "street": "  Kagerdreef "}, deployment)
    assert filled.area is not None and filled.area.id == "dorp"
    assert dict(filled.values) == {"street": "Kagerdreef"} and filled.notices == ()
    refused = prefill_from_link({"area": "maan", "street": "Laan\u202e"}, deployment)
    assert refused.area is None and dict(refused.values) == {}
    assert refused.notices == (UNKNOWN_AREA, UNUSABLE_STREET)
    assert prefill_from_link({}, deployment).notices == ()


def test_the_frames_csp_names_its_sites_and_allows_its_one_script_only_when_framed():
    settings = Settings.from_env({"EMBED_ORIGINS": f"{SITE},https://wijk.example"})
    framed = form_headers(settings, embedded=True, redirect_to=(SITE,))["Content-Security-Policy"]
    assert f"frame-ancestors {SITE} https://wijk.example" in framed
    assert "script-src 'self'" in framed and f"form-action 'self' {SITE}" in framed
    plain = form_headers(Settings.from_env({}), embedded=False)["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in plain and "script-src" not in plain
