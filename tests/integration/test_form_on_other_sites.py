"""The sign-up form reached from elsewhere (issue 19): a link that fills in the area and street,
the form in an iframe on the initiative's own site, and a site's own HTML form that sends the
browser back after a valid sign-up, to an allowed site only. In a real browser, across
origins: tests/e2e/test_embed_browser.py."""

from __future__ import annotations

import pytest

from buurtwhatsapp import bootstrap
from buurtwhatsapp.model import SIGNUPS
from tests.integration.conftest import create_function_app

pytestmark = pytest.mark.emulator

SITE = "https://www.buurt.example"


@pytest.fixture
def signup(app_environment, monkeypatch):
    monkeypatch.setenv("EMBED_ORIGINS", f"{SITE}, https://wijk.example/")
    monkeypatch.setenv("ALLOWED_ORIGINS", SITE)
    bootstrap.reset()
    return create_function_app("signup").test_client()


def signups(client) -> list[dict]:
    return [s.to_dict() for s in client.collection(SIGNUPS).stream()]


def policy(response) -> dict[str, str]:
    directives = response.headers["Content-Security-Policy"].split("; ")
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in directives}


def test_without_embed_origins_no_site_may_frame_the_form(app_environment):
    bootstrap.reset()
    page = create_function_app("signup").test_client().get("/signup?embed=1")
    assert policy(page)["frame-ancestors"] == "'none'"


def test_the_embedded_form_may_be_framed_by_the_listed_sites_and_keeps_its_guards(signup):
    page = signup.get("/signup?embed=1&area=dorp")
    csp = policy(page)
    assert csp["frame-ancestors"] == f"{SITE} https://wijk.example"
    assert csp["script-src"] == "'self'" and csp["default-src"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert "<header>" not in html and "<footer>" not in html  # the site has its own
    assert 'class="honeypot"' in html and '<form method="post"' in html
    assert (
        f'<script src="?script=resize" data-parents="{SITE} https://wijk.example"></script>' in html
    )
    assert "<script" not in html.replace('<script src="?script=resize"', "")  # no inline script
    plain = signup.get("/signup")
    assert "<header>" in plain.get_data(as_text=True) and "script-src" not in policy(plain)


def test_the_resize_script_is_static_javascript(signup):
    script = signup.get("/signup?script=resize")
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert script.headers["Cache-Control"] == "public, max-age=3600"
    body = script.get_data(as_text=True)
    assert "postMessage" in body and 'getAttribute("data-parents")' in body


def test_an_embedded_sign_up_thanks_inside_the_frame(signup, valid_signup, firestore_client):
    posted = signup.post("/signup?embed=1", data=valid_signup, headers={"Origin": SITE})
    assert posted.status_code == 303 and posted.headers["Location"] == "?received=1&embed=1"
    thanks = signup.get("/signup?received=1&embed=1").get_data(as_text=True)
    assert "Dank u wel voor uw aanmelding" in thanks and "<header>" not in thanks
    assert len(signups(firestore_client)) == 1


def test_a_link_fills_in_the_area_and_street_checked_like_the_form(signup):
    html = signup.get("/signup?area=dorp&street=Kagerdreef").get_data(as_text=True)
    assert "U meldt zich aan voor <strong>Buitenkaag dorp</strong>" in html
    assert 'name="street"' in html and 'value="Kagerdreef"' in html
    unknown = signup.get("/signup?area=maan&street=" + "x" * 101).get_data(as_text=True)
    assert "noemt een buurt die wij niet kennen" in unknown
    assert "De straat in de link naar dit formulier kunnen wij niet overnemen" in unknown
    assert "U meldt zich aan voor" not in unknown and "x" * 101 not in unknown
    hostile = signup.get('/signup?street=<b onclick="x">Laan').get_data(as_text=True)
    assert '<b onclick="x">' not in hostile and "&lt;b onclick=" in hostile


def test_a_sites_own_form_goes_back_to_that_site_after_a_valid_sign_up(
    signup, valid_signup, firestore_client
):
    back = f"{SITE}/bedankt?bron=formulier"
    posted = signup.post(
        "/signup", data={**valid_signup, "redirect": back}, headers={"Origin": SITE}
    )
    assert posted.status_code == 303 and posted.headers["Location"] == back
    assert len(signups(firestore_client)) == 1


def test_a_typo_keeps_the_way_back_for_the_second_try(signup, valid_signup):
    back = f"{SITE}/bedankt"
    posted = signup.post(
        "/signup",
        data={**valid_signup, "email": "fout", "redirect": back},
        headers={"Origin": SITE},
    )
    assert posted.status_code == 422
    html = posted.get_data(as_text=True)
    assert f'<input type="hidden" name="redirect" value="{back}">' in html
    assert policy(posted)["form-action"] == f"'self' {SITE}"  # the browser may follow it there


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://ev.il/bedankt",
        "javascript:alert(1)",
        "//ev.il/bedankt",
        f"{SITE}@ev.il/",
        "https://www.buurt.example.ev.il/",
        "http://www.buurt.example/",  # the scheme is part of the origin
        f"{SITE}/\r\nSet-Cookie: x=1",
    ],
)
def test_a_redirect_anywhere_else_is_refused_and_nothing_is_stored(
    elsewhere, signup, valid_signup, firestore_client
):
    posted = signup.post(
        "/signup", data={**valid_signup, "redirect": elsewhere}, headers={"Origin": SITE}
    )
    assert posted.status_code == 400 and "Location" not in posted.headers
    assert "Daarom hebben wij niets opgeslagen" in posted.get_data(as_text=True)
    assert signups(firestore_client) == []


def test_a_correction_in_the_frame_stays_in_the_frame(signup, valid_signup):
    typo = {**valid_signup, "email": "fout"}
    posted = signup.post("/signup?embed=1&area=dorp", data=typo, headers={"Origin": SITE})
    assert posted.status_code == 422
    assert policy(posted)["script-src"] == "'self'"
    assert f"frame-ancestors {SITE}" in posted.headers["Content-Security-Policy"]
    html = posted.get_data(as_text=True)
    assert "<header>" not in html and 'src="?script=resize"' in html
    assert "U meldt zich aan voor <strong>Buitenkaag dorp</strong>" in html  # still said


def test_a_refusal_in_the_frame_can_be_read_there(signup, valid_signup, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT", "1/600")
    bootstrap.reset()
    client = create_function_app("signup").test_client()
    client.post("/signup?embed=1", data=valid_signup, headers={"Origin": SITE})
    again = client.post("/signup?embed=1", data=valid_signup, headers={"Origin": SITE})
    assert again.status_code == 429
    assert policy(again)["frame-ancestors"] == f"{SITE} https://wijk.example"


def test_the_coordinator_form_may_be_framed_and_go_back_too(app_environment, monkeypatch):
    monkeypatch.setenv("EMBED_ORIGINS", SITE)
    monkeypatch.setenv("ALLOWED_ORIGINS", SITE)
    bootstrap.reset()
    client = create_function_app("coordinator").test_client()
    page = client.get("/coordinator?embed=1")
    assert policy(page)["frame-ancestors"] == SITE and "<header>" not in page.get_data(as_text=True)
    refused = client.post(
        "/coordinator", data={"redirect": "https://ev.il/"}, headers={"Origin": SITE}
    )
    assert refused.status_code == 400
    asked = client.post(
        "/coordinator",
        data={"redirect": f"{SITE}/dank", "name": ""},
        headers={"Origin": SITE, "Accept": "application/json"},
    )
    assert asked.status_code == 422  # the way back is fine; the application is not


def test_a_json_client_gets_json_for_a_refused_redirect(signup, valid_signup):
    body = {**valid_signup, "adult": True, "whatsapp": True, "rules": True, "privacy": True}
    refused = signup.post("/signup", json={**body, "redirect": "https://ev.il/"})
    assert refused.status_code == 400 and "redirect" in refused.get_json()["errors"]
